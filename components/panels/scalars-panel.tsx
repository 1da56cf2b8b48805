'use client';
/** Scalars panel: one line chart per logged scalar (loss first), refreshed at most ~6 times a second while streaming. */
import { LineChart } from '@/components/charts/line-chart';
import { OKABE_ITO } from '@/lib/chart/colour';
import type { SeriesBuffer } from '@/lib/chart/series-buffer';
import { useLayerwatch } from '@/store/provider';
import type { LayerwatchState } from '@/store/state';
import { useThrottledSelection } from '@/store/use-throttled';
import { selectScrubIndex } from '@/store/slices/view';

const selectScalars = (s: LayerwatchState) => ({ version: s.run.scalarsVersion, scalars: s.run.scalars });
const scalarsChanged = (n: LayerwatchState, p: LayerwatchState) => n.run.scalarsVersion !== p.run.scalarsVersion;
const ORDER = ['loss', 'accuracy', 'acc', 'lr'];
const rank = (name: string) => (ORDER.indexOf(name) < 0 ? ORDER.length : ORDER.indexOf(name));

/** Renders the small multiples, or an empty state until the run logs a scalar. */
export function ScalarsPanel() {
  const { scalars } = useThrottledSelection(selectScalars, scalarsChanged, 150);
  const marker = useLayerwatch((s) => (s.view.scrub === null ? null : s.run.steps[selectScrubIndex(s)] ?? null));
  const names = Object.keys(scalars).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return (
    <section className="panel scalars-panel" aria-labelledby="scalars-title">
      <header className="panel-head">
        <h2 id="scalars-title">Training scalars</h2>
      </header>
      {names.length === 0 && <p className="empty">No scalars logged yet. They appear here as the trainer sends them.</p>}
      <div className="scalar-grid">
        {names.map((name, i) => {
          const s: SeriesBuffer = scalars[name];
          return (
            <LineChart
              key={name}
              testId={`scalar-chart-${name}`}
              title={name}
              xLabel="step"
              yLabel={name === 'lr' ? 'learning rate' : name}
              series={[{ id: name, label: name, colour: OKABE_ITO[(i + 4) % OKABE_ITO.length], xs: s.xs, ys: s.ys, length: s.length }]}
              marker={marker}
              height={140}
            />
          );
        })}
      </div>
    </section>
  );
}
