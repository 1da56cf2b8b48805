'use client';
/** A banner while the /live socket is down: what is happening, when the next attempt is, and a retry button. */
import { useEffect, useState } from 'react';
import { useLayerwatch, useLiveSocket } from '@/store/provider';

/** Renders nothing while connected; appears after the socket has been down for a moment (no flash on quick reconnects). */
export function ConnectionBanner() {
  const socket = useLiveSocket();
  const { status, retryAt, attempt, downSince } = useLayerwatch((s) => s.connection);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (status === 'open') return;
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, [status]);
  const down = downSince !== null && status !== 'open' && now - downSince > 800;
  return (
    <div className="banner-slot" aria-live="polite">
      {down && (
        <div className="banner" role="alert" data-testid="connection-banner">
          <strong>Disconnected from the Layerwatch server.</strong>{' '}
          {retryAt && retryAt > now ? `Reconnecting in ${Math.ceil((retryAt - now) / 1000)} s (attempt ${attempt}).` : 'Reconnecting…'} What you see may be out
          of date; nothing is lost — the view resumes where it stopped.
          <button type="button" onClick={() => socket.retryNow()}>
            Retry now
          </button>
        </div>
      )}
    </div>
  );
}
