/**
 * How many classes a probe declares. Per-class arrays (class counts, concept statistics) are sized by it, so it is
 * read only from probes that passed the server's declaration check (server/ingest/rules.ts `probeDeclProblem`, which
 * bounds it by `maxClasses`).
 */
import type { Probe } from './ingest';

/** Largest label + 1, without spreading the array into arguments (100,000 labels overflow the stack that way). */
export function maxLabelPlusOne(labels: readonly number[]): number {
  let max = -1;
  for (const l of labels) if (l > max) max = l;
  return max + 1;
}

/** How many classes a probe has: its class names, else its largest label + 1, else 0. */
export function probeClassCount(probe: Pick<Probe, 'labels' | 'classNames'>): number {
  return probe.classNames?.length ?? (probe.labels ? maxLabelPlusOne(probe.labels) : 0);
}
