/** Which run's layer settled first: per layer, the runs' settle steps side by side and the earliest of them. */

export interface LayerSettleRow {
  layer: string;
  /** Per run, the step from which the layer counts as settled, or null (changing, not yet, or no such layer). */
  steps: Array<number | null>;
  /** Indices of the runs that settled the layer at the earliest step (ties share it); empty when none settled. */
  first: number[];
}

/**
 * Rows for the union of the runs' layers (in the order they first appear, so shared architectures keep their order),
 * from each run's settled steps by layer name.
 */
export function settleOrder(runs: ReadonlyArray<{ layers: readonly string[]; settled: ReadonlyMap<string, number> }>): LayerSettleRow[] {
  const layers: string[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const l of r.layers) {
      if (seen.has(l)) continue;
      seen.add(l);
      layers.push(l);
    }
  }
  return layers.map((layer) => {
    const steps = runs.map((r) => r.settled.get(layer) ?? null);
    let best = Infinity;
    for (const s of steps) if (s !== null && s < best) best = s;
    const first = best === Infinity ? [] : steps.flatMap((s, i) => (s === best ? [i] : []));
    return { layer, steps, first };
  });
}
