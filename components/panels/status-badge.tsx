/** A run status as a coloured badge; live runs pulse. */
import type { RunStatus } from '@/lib/protocol/live';

const TEXT: Record<RunStatus, string> = { live: 'live', finished: 'finished', failed: 'failed', interrupted: 'interrupted' };

/** Renders the badge (text, not colour alone, carries the status). */
export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {status === 'live' && <span className="pulse" aria-hidden="true" />}
      {TEXT[status]}
    </span>
  );
}
