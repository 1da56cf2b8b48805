'use client';
/**
 * Scalars panel body: one line chart per logged scalar (loss first), refreshed at most ~6 times a second while
 * streaming, each with its log axes and smoothing (kept in the URL, shared with the compare page), and a one-line health reading (trend of the main scalar, non-finite values, warnings). Collapsed, the
 * first two scalars share the panel's height; expanded, every scalar gets a full-size chart. A scalar a distributed run
 * keeps per rank is one chart with a line per rank; system metrics (`system/…`) are the System panel's.
 */
import { LineChart } from '@/components/charts/line-chart';
import { DEFAULT_CHART } from '@/lib/chart/chart-settings';
import { scalarGroups } from '@/lib/chart/scalar-groups';
import { OKABE_ITO } from '@/lib/chart/colour';
import { formatValue } from '@/lib/chart/scales';
import type { SeriesBuffer } from '@/lib/chart/series-buffer';
import { useLayerwatch } from '@/store/provider';
import type { LayerwatchState } from '@/store/state';
import { useThrottledSelection } from '@/store/use-throttled';
import { selectScrubIndex } from '@/store/slices/view';

const selectScalars = (s: LayerwatchState) => ({ version: s.run.scalarsVersion, scalars: s.run.scalars });
const scalarsChanged = (n: LayerwatchState, p: LayerwatchState) => n.run.scalarsVersion !== p.run.scalarsVersion;
const ORDER = ['loss', 'train_loss', 'val_loss', 'accuracy', 'acc', 'val_accuracy', 'lr'];
const rank = (name: string) => (ORDER.indexOf(name) < 0 ? ORDER.length : ORDER.indexOf(name));
/** Scalar names in display order: loss first, then accuracy, then the rest alphabetically. */
export const orderScalars = (names: string[]) => [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

/** Change of a series over its last tenth of points, and how many values are not finite. */
function health(s: SeriesBuffer): { last: number; change: number | null; bad: number } {
  let bad = 0;
  for (let i = 0; i < s.length; i++) if (!Number.isFinite(s.ys[i])) bad++;
  const last = s.length ? s.ys[s.length - 1] : NaN;
  const back = s.length - 1 - Math.max(1, Math.floor(s.length / 10));
  const before = back >= 0 ? s.ys[back] : NaN;
  const change = Number.isFinite(last) && Number.isFinite(before) && before !== 0 ? (last - before) / Math.abs(before) : null;
  return { last, change, bad };
}

/** Renders the small multiples, or an empty state until the run logs a scalar. */
export function ScalarsPanel({ height, open }: { height: number; open: boolean }) {
  const { scalars } = useThrottledSelection(selectScalars, scalarsChanged, 150);
  const marker = useLayerwatch((s) => (s.view.scrub === null ? null : (s.run.steps[selectScrubIndex(s)] ?? null)));
  const warnings = useLayerwatch((s) => s.run.warnings.length);
  const charts = useLayerwatch((s) => s.charts);
  const setChart = useLayerwatch((s) => s.setChart);
  const groups = new Map(scalarGroups(Object.keys(scalars)).map((g) => [g.name, g.lines]));
  const names = orderScalars([...groups.keys()]);
  const shown = open ? names : names.slice(0, 2);
  const each = open ? 180 : Math.max(70, Math.floor((height - 30) / Math.max(1, shown.length)) - 34);
  const main = names[0] ? health(scalars[groups.get(names[0])![0].series]) : null;
  return (
    <>
      <p className="chart-desc one-line" data-testid="health">
        {main ? (
          <>
            {names[0]} {formatValue(main.last)}
            {main.change !== null && (
              <>
                {' '}
                · {main.change <= 0 ? '↓' : '↑'} {Math.abs(main.change * 100).toFixed(0)}% over the last tenth
              </>
            )}
            {main.bad > 0 && <span className="warn-text"> · {main.bad} non-finite values</span>}
            {warnings > 0 && (
              <span className="warn-text">
                {' '}
                · {warnings} warning{warnings > 1 ? 's' : ''} (see Layers &amp; advice)
              </span>
            )}
          </>
        ) : (
          'No scalars logged yet. They appear here as the trainer sends them (run.log({"loss": …})).'
        )}
      </p>
      <div className={open ? 'scalar-grid' : 'scalar-stack'}>
        {shown.map((name, i) => {
          const lines = groups.get(name)!;
          return (
            <LineChart
              key={name}
              testId={`scalar-chart-${name}`}
              title={lines.length > 1 ? `${name} (per rank)` : name}
              xLabel="step"
              yLabel={name === 'lr' ? 'learning rate' : name}
              series={lines.map((l, j) => {
                const s: SeriesBuffer = scalars[l.series];
                return { id: l.series, label: l.label, colour: OKABE_ITO[(i + 4 + j) % OKABE_ITO.length], xs: s.xs, ys: s.ys, length: s.length };
              })}
              marker={marker}
              height={each}
              settings={charts[name] ?? DEFAULT_CHART}
              onSettings={(patch) => setChart(name, patch)}
            />
          );
        })}
      </div>
      {!open && names.length > shown.length && <p className="muted small">+{names.length - shown.length} more — expand the panel to see every scalar.</p>}
    </>
  );
}
