'use client';
/** Both runs' scalars overlaid, one chart per scalar name (loss first; system metrics left out); updated live from the two run topics. */
import { LineChart, type LineSeries } from '@/components/charts/line-chart';
import { OKABE_ITO } from '@/lib/chart/colour';
import { isSystemSeries } from '@/lib/chart/system-series';
import { useLayerwatch } from '@/store/provider';
import { orderScalars } from './scalars-panel';

/** Colours of run A and run B in every compare chart. */
export const RUN_COLOURS = [OKABE_ITO[4], OKABE_ITO[5]] as const;

/** Renders the overlays, or what is missing. */
export function CompareScalars({ a, b, nameA, nameB, step }: { a: string; b: string; nameA: string; nameB: string; step: number | null }) {
  const ra = useLayerwatch((s) => s.compare.runs[a]);
  const rb = useLayerwatch((s) => s.compare.runs[b]);
  const names = orderScalars([...new Set([...Object.keys(ra?.scalars ?? {}), ...Object.keys(rb?.scalars ?? {})])].filter((n) => !isSystemSeries(n)));
  const loading = ra?.load === 'loading' || rb?.load === 'loading';
  const failed = [ra, rb].find((r) => r?.load === 'not-found' || r?.load === 'error');
  return (
    <div data-testid="compare-scalars" data-charts={names.length}>
      <h2 className="chart-title">Scalars overlaid</h2>
      <ul className="legend" aria-label="runs">
        <li><span className="swatch" style={{ background: RUN_COLOURS[0] }} />A: {nameA}</li>
        <li><span className="swatch" style={{ background: RUN_COLOURS[1] }} />B: {nameB}</li>
      </ul>
      {failed && <p className="error-text" role="alert">{failed.error}</p>}
      {loading && names.length === 0 && <div className="skeleton" style={{ height: 180 }} />}
      {!loading && names.length === 0 && !failed && <p className="empty">Neither run has logged a scalar yet.</p>}
      {names.map((name) => {
        const series: LineSeries[] = [];
        [ra, rb].forEach((r, i) => {
          const s = r?.scalars[name];
          if (s) series.push({ id: i ? 'b' : 'a', label: i ? `B: ${nameB}` : `A: ${nameA}`, colour: RUN_COLOURS[i], xs: s.xs, ys: s.ys, length: s.length });
        });
        return <LineChart key={name} testId={`compare-scalar-${name}`} title={name} description={`${name} of both runs by training step`} xLabel="step" yLabel={name} series={series} height={170} marker={step} legend={false} />;
      })}
    </div>
  );
}
