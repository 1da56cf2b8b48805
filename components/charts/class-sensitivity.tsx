'use client';
/** Class sensitivity at one step: layers (rows, input side at the bottom) × classes, colour = R of the class's logit or indicator on the layer's kept directions. */
import { readableOn } from '../../lib/chart/colour';
import { interpolateViridis } from 'd3';
import { formatValue } from '@/lib/chart/scales';

interface Props {
  layers: readonly string[];
  classNames: readonly string[];
  /** values[l][c]: R (null where undefined or not computed). */
  values: ReadonlyArray<ReadonlyArray<number | null> | null>;
  /** Directions kept per layer (for the chance level √(k / (m − 1))). */
  k: ReadonlyArray<number | null>;
  examples: number;
  step: number | null;
}

/** Renders an accessible table-heatmap; each cell's title gives R and the layer's chance level. */
export function ClassSensitivity({ layers, classNames, values, k, examples, step }: Props) {
  const rows = layers.map((name, l) => ({ name, l })).reverse();
  return (
    <div className="chart" data-testid="class-sensitivity" data-step={step ?? ''} style={{ overflowX: 'auto' }}>
      <table style={{ borderCollapse: 'collapse', fontSize: 'var(--text-xs)' }}>
        <caption className="chart-desc" style={{ textAlign: 'left' }}>
          R (CCA of the class logit or indicator with the layer's kept SVD directions){step !== null ? ` at step ${step}` : ''}. Chance ≈ √(k / (m − 1)).
        </caption>
        <thead>
          <tr>
            <th scope="col">layer</th>
            {classNames.map((c) => (
              <th key={c} scope="col" style={{ padding: '0 4px', fontWeight: 500 }}>
                {c}
              </th>
            ))}
            <th scope="col" style={{ padding: '0 4px', fontWeight: 500 }}>
              chance
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ name, l }) => {
            const chance = k[l] !== null && examples > 1 ? Math.sqrt(Math.min(1, k[l]! / (examples - 1))) : null;
            return (
              <tr key={name} data-layer={name}>
                <th scope="row" style={{ textAlign: 'right', paddingRight: 6, fontWeight: 500 }}>
                  {name}
                </th>
                {classNames.map((c, ci) => {
                  const v = values[l]?.[ci] ?? null;
                  return (
                    <td
                      key={c}
                      data-value={v ?? ''}
                      title={`${name} · ${c}: R ${formatValue(v)}${chance !== null ? ` (chance ${formatValue(chance)})` : ''}`}
                      style={{
                        background: v === null ? 'transparent' : interpolateViridis(v),
                        color: v === null ? 'inherit' : readableOn(interpolateViridis(v)),
                        minWidth: 34,
                        height: 20,
                        textAlign: 'center',
                      }}
                    >
                      {v === null ? '–' : v.toFixed(2)}
                    </td>
                  );
                })}
                <td className="muted" style={{ textAlign: 'center' }}>
                  {formatValue(chance)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
