/** The heatmap's values as an accessible table (visually hidden): screen readers and tests read the numbers the canvas shows. */
import { memo } from 'react';
import { formatStep, formatValue } from '@/lib/chart/scales';
import type { Cell } from '@/lib/chart/heatmap-raster';

interface Props {
  /** Changes whenever the (in-place patched) grid does. */
  version: number;
  caption: string;
  layers: readonly string[];
  steps: readonly number[];
  values: ReadonlyArray<ReadonlyArray<Cell>>;
  k?: ReadonlyArray<ReadonlyArray<Cell>> | null;
  pending: number;
  reference: number | null;
  /** More checkpoints than this are sampled evenly (the newest always included). */
  maxColumns?: number;
  testId?: string;
}

/** Renders rows top layer first (as on screen), one cell per shown checkpoint, with data-* attributes for machines. */
export const HeatmapTable = memo(function HeatmapTable({
  caption,
  layers,
  steps,
  values,
  k,
  pending,
  reference,
  maxColumns = 60,
  testId = 'convergence-values',
}: Props) {
  const n = steps.length;
  const stride = Math.max(1, Math.ceil(n / maxColumns));
  const cols: number[] = [];
  for (let c = (n - 1) % stride; c < n; c += stride) cols.push(c);
  return (
    // The wrapper hides it: a table never shrinks below its content's width, so it cannot be the 1-pixel box itself.
    <div className="sr-only">
      <table data-testid={testId} data-columns={n} data-pending={pending} data-reference={reference ?? ''}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">layer</th>
            {cols.map((c) => (
              <th key={c} scope="col" data-step={steps[c]}>
                step {formatStep(steps[c])}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {layers.map((_, i) => {
            const l = layers.length - 1 - i;
            return (
              <tr key={layers[l]} data-layer={layers[l]} data-order={l}>
                <th scope="row">{layers[l]}</th>
                {cols.map((c) => {
                  const v = values[l]?.[c] ?? null;
                  return (
                    <td key={c} data-step={steps[c]} data-value={v ?? ''} data-k={k?.[l]?.[c] ?? ''}>
                      {formatValue(v)}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
});
