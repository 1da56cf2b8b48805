'use client';
/** The top bar's connection pill: connected, connecting, or reconnecting with a countdown. */
import { useLayerwatch } from '@/store/provider';
import { formatDuration } from '@/lib/chart/scales';

/** Renders the pill (text carries the state; the dot colour only repeats it). */
export function ConnectionStatus() {
  const status = useLayerwatch((s) => s.connection.status);
  const rtt = useLayerwatch((s) => s.connection.rttMs);
  const text = status === 'open' ? 'connected' : status === 'connecting' ? 'connecting…' : 'reconnecting…';
  return (
    <span
      className={`conn conn-${status}`}
      data-testid="connection-status"
      data-status={status}
      title={rtt !== null && status === 'open' ? `round trip ${formatDuration(rtt)}` : undefined}
    >
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  );
}
