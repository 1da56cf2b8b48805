/** Turns per-layer rows of a convergence grid into line-chart series (typed arrays, null → NaN gap), coloured per layer. */
import { layerColour } from '@/lib/chart/colour';
import type { Cell } from '@/lib/chart/heatmap-raster';
import type { LineSeries } from './line-chart';

/** One series per layer over the grid's steps, in layer order (input side first). */
export function gridSeries(layers: readonly string[], steps: readonly number[], rows: ReadonlyArray<ReadonlyArray<Cell>>): LineSeries[] {
  const xs = Float64Array.from(steps);
  return layers.map((name, l) => {
    const row = rows[l] ?? [];
    const ys = new Float64Array(steps.length);
    for (let c = 0; c < steps.length; c++) ys[c] = row[c] ?? NaN;
    return { id: name, label: name, colour: layerColour(l, layers.length), xs, ys, length: steps.length };
  });
}
