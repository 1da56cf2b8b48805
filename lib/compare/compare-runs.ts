/** The compare view's run list from its URL: `runs=A,B,C` (or the older `a=A&b=B`), at most MAX_COMPARE_RUNS. */
import { Topic, runTopic } from '@/lib/protocol/live';

/** Most runs one compare view overlays (one colour each in the Okabe–Ito palette). */
export const MAX_COMPARE_RUNS = 8;

export interface CompareRunList {
  /** The runs to show, in URL order, duplicates removed, at most MAX_COMPARE_RUNS. */
  runs: string[];
  /** Valid ids past the limit, left out. */
  overLimit: string[];
  /** Entries that are not run ids, left out. */
  invalid: string[];
}

/** Reads the run list: `runs` (comma-separated, repeatable) first, then `a` and `b`. */
export function parseCompareRuns(q: URLSearchParams): CompareRunList {
  const raw = [...q.getAll('runs').flatMap((v) => v.split(',')), q.get('a') ?? '', q.get('b') ?? ''].map((s) => s.trim()).filter(Boolean);
  const out: CompareRunList = { runs: [], overLimit: [], invalid: [] };
  for (const id of new Set(raw)) {
    if (!Topic.safeParse(runTopic(id)).success) out.invalid.push(id.slice(0, 80));
    else if (out.runs.length < MAX_COMPARE_RUNS) out.runs.push(id);
    else out.overLimit.push(id);
  }
  return out;
}

/** Writes the run list into `q` (in place) as one `runs` parameter, replacing `a`/`b`. */
export function writeCompareRuns(q: URLSearchParams, runs: readonly string[]): void {
  q.delete('a');
  q.delete('b');
  if (runs.length) q.set('runs', runs.join(','));
  else q.delete('runs');
}
