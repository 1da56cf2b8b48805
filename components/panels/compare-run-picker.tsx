'use client';
/** The compare view's run list: each run with its colour and a remove button, an "add a run" select (eight at most), and why some were left out. */
import { runColour } from '@/lib/chart/colour';
import { MAX_COMPARE_RUNS } from '@/lib/compare/compare-runs';
import type { RunMeta } from '@/lib/protocol/live';
import { StatusBadge } from './status-badge';

interface Props {
  runs: readonly string[];
  /** Meta of the runs known (chosen and available). */
  meta: (id: string) => RunMeta | null;
  /** Every run that can be added, newest first. */
  options: readonly RunMeta[];
  onChange: (runs: string[]) => void;
  /** Runs the URL asked for that were left out (over the limit, or not run ids). */
  leftOut: { overLimit: readonly string[]; invalid: readonly string[] };
}

/** Renders the chips, the add select and the limit message. */
export function CompareRunPicker({ runs, meta, options, onChange, leftOut }: Props) {
  const full = runs.length >= MAX_COMPARE_RUNS;
  return (
    <div className="compare-runs" role="group" aria-label="Runs compared" data-testid="compare-runs" data-count={runs.length}>
      <ol className="run-chips">
        {runs.map((id, i) => {
          const m = meta(id);
          return (
            <li key={id} data-run={id}>
              <span className="swatch" style={{ background: runColour(i) }} aria-hidden="true" />
              <span>{m?.name ?? id}</span>
              {m && <StatusBadge status={m.status} />}
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${m?.name ?? id} from the comparison`}
                onClick={() => onChange(runs.filter((r) => r !== id))}
              >
                ×
              </button>
            </li>
          );
        })}
      </ol>
      <label>
        Add a run{' '}
        <select value="" disabled={full} onChange={(e) => e.target.value && onChange([...runs, e.target.value])} data-testid="compare-add">
          <option value="">{full ? `${MAX_COMPARE_RUNS} runs at most` : 'choose a run…'}</option>
          {options
            .filter((r) => !runs.includes(r.id))
            .map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} ({r.id}){r.status === 'live' ? ' · live' : ''}
              </option>
            ))}
        </select>
      </label>
      {full && (
        <span className="muted small" data-testid="compare-full">
          {MAX_COMPARE_RUNS} runs at most: remove one to add another.
        </span>
      )}
      {(leftOut.overLimit.length > 0 || leftOut.invalid.length > 0) && (
        <p className="error-text" role="alert" data-testid="compare-limit">
          {leftOut.overLimit.length > 0 && (
            <>
              Compare shows at most {MAX_COMPARE_RUNS} runs; left out: {leftOut.overLimit.join(', ')}.{' '}
            </>
          )}
          {leftOut.invalid.length > 0 && <>Not run ids, ignored: {leftOut.invalid.map((s) => JSON.stringify(s)).join(', ')}.</>}
        </p>
      )}
    </div>
  );
}
