'use client';
/** The compared runs' configs, flattened to dotted keys (`optimizer.lr`), showing only the keys whose values differ. */
import { runColour } from '@/lib/chart/colour';
import { configDiff, formatConfigValue } from '@/lib/compare/config-diff';
import type { ComparedRun } from './compare-scalars';

/** Renders the diff table, or that the configs agree. */
export function CompareConfig({ runs, configs }: { runs: readonly ComparedRun[]; configs: readonly unknown[] }) {
  const { rows, same } = configDiff(configs);
  const none = configs.every((c) => c === undefined || c === null);
  return (
    <div data-testid="config-diff" data-rows={rows.length} data-same={same}>
      <h2 className="chart-title">Config: what differs</h2>
      <p className="chart-desc">
        {none
          ? 'None of these runs sent a config (layerwatch.init(config={…})).'
          : rows.length === 0
            ? `The configs agree on all ${same} key${same === 1 ? '' : 's'}.`
            : `${rows.length} key${rows.length === 1 ? '' : 's'} differ${rows.length === 1 ? 's' : ''}; ${same} identical key${same === 1 ? '' : 's'} hidden. — marks a key the run's config lacks.`}
      </p>
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="layer-table compare-table">
            <caption className="sr-only">Config keys whose values differ between the runs</caption>
            <thead>
              <tr>
                <th scope="col">key</th>
                {runs.map((r, i) => (
                  <th key={r.id} scope="col">
                    <span className="swatch" style={{ background: runColour(i) }} />
                    {r.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key} data-key={row.key}>
                  <th scope="row">
                    <code>{row.key || '(config)'}</code>
                  </th>
                  {row.values.map((v, i) => (
                    <td key={runs[i].id} data-run={runs[i].id} className={v === undefined ? 'muted' : undefined}>
                      {formatConfigValue(v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
