'use client';
/** The compared runs' scalars overlaid, one chart per scalar name (loss first; system metrics left out), one colour per run; each chart's log axes and smoothing come from the URL, as on the run page. */
import { LineChart, type LineSeries } from '@/components/charts/line-chart';
import { DEFAULT_CHART } from '@/lib/chart/chart-settings';
import { runColour } from '@/lib/chart/colour';
import { isSystemSeries } from '@/lib/chart/system-series';
import { useLayerwatch } from '@/store/provider';
import { compareChanged, selectCompareRuns } from '@/store/slices/compare';
import { useThrottledSelection } from '@/store/use-throttled';
import { orderScalars } from './scalars-panel';

export interface ComparedRun {
  id: string;
  name: string;
}

/** Renders the overlays, or what is missing. */
export function CompareScalars({ runs, step }: { runs: readonly ComparedRun[]; step: number | null }) {
  const state = useThrottledSelection(selectCompareRuns, compareChanged, 150);
  const charts = useLayerwatch((s) => s.charts);
  const setChart = useLayerwatch((s) => s.setChart);
  const tracked = runs.map((r) => state[r.id]);
  const names = orderScalars([...new Set(tracked.flatMap((r) => Object.keys(r?.scalars ?? {})))].filter((n) => !isSystemSeries(n)));
  const loading = tracked.some((r) => !r || r.load === 'loading');
  const failed = tracked.filter((r) => r?.load === 'not-found' || r?.load === 'error');
  return (
    <div data-testid="compare-scalars" data-charts={names.length}>
      <h2 className="chart-title">Scalars overlaid</h2>
      <ul className="legend" aria-label="runs">
        {runs.map((r, i) => (
          <li key={r.id}>
            <span className="swatch" style={{ background: runColour(i) }} />
            {r.name}
          </li>
        ))}
      </ul>
      {failed.map((r, i) => (
        <p key={i} className="error-text" role="alert">
          {r?.error}
        </p>
      ))}
      {loading && names.length === 0 && <div className="skeleton" style={{ height: 180 }} />}
      {!loading && names.length === 0 && failed.length === 0 && <p className="empty">None of these runs has logged a scalar yet.</p>}
      {names.map((name) => {
        const series: LineSeries[] = [];
        tracked.forEach((r, i) => {
          const s = r?.scalars[name];
          if (s) series.push({ id: runs[i].id, label: runs[i].name, colour: runColour(i), xs: s.xs, ys: s.ys, length: s.length });
        });
        return (
          <LineChart
            key={name}
            testId={`compare-scalar-${name}`}
            title={name}
            description={`${name} of ${runs.length === 2 ? 'both' : `the ${runs.length}`} runs by training step`}
            xLabel="step"
            yLabel={name}
            series={series}
            height={170}
            marker={step}
            legend
            settings={charts[name] ?? DEFAULT_CHART}
            onSettings={(patch) => setChart(name, patch)}
          />
        );
      })}
    </div>
  );
}
