'use client';
/**
 * System panel body: the trainer's machine over training — the training process's CPU and memory, the machine's memory,
 * per GPU its utilisation and memory (lib/chart/system-series.ts) — against the step axis (with the scrubber's marker)
 * or against wall-clock time since the first sample.
 */
import { useMemo, useState } from 'react';
import { LineChart, type LineSeries } from '@/components/charts/line-chart';
import { OKABE_ITO } from '@/lib/chart/colour';
import { formatValue } from '@/lib/chart/scales';
import type { SeriesBuffer } from '@/lib/chart/series-buffer';
import { firstTime, isSystemSeries, systemCharts, timeSeriesFor, wallSeconds, wallUnit } from '@/lib/chart/system-series';
import { useLayerwatch } from '@/store/provider';
import type { LayerwatchState } from '@/store/state';
import { useThrottledSelection } from '@/store/use-throttled';
import { selectScrubIndex } from '@/store/slices/view';

type Axis = 'step' | 'wall';
const selectScalars = (s: LayerwatchState) => ({ version: s.run.scalarsVersion, scalars: s.run.scalars });
const scalarsChanged = (n: LayerwatchState, p: LayerwatchState) => n.run.scalarsVersion !== p.run.scalarsVersion;

/** Whether the run has logged system metrics (the panel is shown only then). */
export const selectHasSystem = (s: LayerwatchState) => Object.keys(s.run.scalars).some(isSystemSeries);

const last = (s: SeriesBuffer | undefined) => (s?.length ? s.ys[s.length - 1] : Number.NaN);

/** Renders the System charts with the x-axis toggle. */
export function SystemPanel({ open }: { open: boolean }) {
  const { scalars, version } = useThrottledSelection(selectScalars, scalarsChanged, 500);
  const markerStep = useLayerwatch((s) => (s.view.scrub === null ? null : (s.run.steps[selectScrubIndex(s)] ?? null)));
  const [axis, setAxis] = useState<Axis>('step');
  // The buffers grow in place: `version` says when they changed.
  // biome-ignore lint/correctness/useExhaustiveDependencies: version: the series buffers grow in place, version says when
  const charts = useMemo(() => systemCharts(Object.keys(scalars).filter(isSystemSeries)), [scalars, version]);
  const clocks = charts.flatMap((c) => c.lines.map((l) => scalars[timeSeriesFor(l.series)]));
  const t0 = firstTime(clocks);
  const wall = axis === 'wall' && Number.isFinite(t0);
  const span = Math.max(0, ...clocks.map((c) => (c?.length ? c.ys[c.length - 1] - t0 : 0)));
  const { unit, per } = wallUnit(span);

  // biome-ignore lint/correctness/useExhaustiveDependencies: version: the series buffers grow in place, version says when
  const drawn = useMemo(
    () =>
      charts.map((c) => ({
        ...c,
        series: c.lines.map((l, i): LineSeries => {
          const s = scalars[l.series];
          const xs = wall ? wallSeconds(s.xs, s.length, scalars[timeSeriesFor(l.series)], t0).map((t) => t / per) : s.xs;
          return { id: l.series, label: l.label, colour: OKABE_ITO[(i + 1) % OKABE_ITO.length], xs, ys: s.ys, length: s.length };
        }),
      })),
    [charts, scalars, version, wall, t0, per],
  );
  const clock = charts.length ? scalars[timeSeriesFor(charts[0].lines[0].series)] : undefined;
  const marker = markerStep === null ? null : wall ? wallSeconds([markerStep], 1, clock, t0)[0] / per : markerStep;
  const cpu = last(scalars['system/cpu_percent']);
  const rss = last(scalars['system/rss_mb']);
  const mem = last(scalars['system/memory_percent']);

  return (
    <div className="system-panel" data-testid="system-panel" data-axis={wall ? 'wall' : 'step'}>
      <div className="system-head">
        <p className="chart-desc one-line" data-testid="system-summary">
          {Number.isFinite(cpu) ? (
            <>
              CPU {formatValue(cpu)}% of a core · RSS {formatValue(rss)} MiB · machine memory {formatValue(mem)}% used
            </>
          ) : (
            'Sampled by the trainer (system/… scalars)'
          )}
        </p>
        <div className="segmented" role="radiogroup" aria-label="System charts' x axis">
          <button type="button" role="radio" aria-checked={!wall} className={!wall ? 'active' : ''} onClick={() => setAxis('step')} data-axis="step">
            step
          </button>
          <button
            type="button"
            role="radio"
            aria-checked={wall}
            className={wall ? 'active' : ''}
            onClick={() => setAxis('wall')}
            disabled={!Number.isFinite(t0)}
            title="Time since the first sample, by the trainer's clock"
            data-axis="wall"
          >
            wall clock
          </button>
        </div>
      </div>
      <div className="system-grid">
        {drawn.map((c) => (
          <LineChart
            key={c.id}
            testId={`system-chart-${c.id}`}
            title={c.title}
            xLabel={wall ? `time since the first sample (${unit})` : 'step'}
            xFormat={wall ? formatValue : undefined}
            yLabel={c.yLabel}
            series={c.series}
            marker={marker}
            height={open ? 200 : 140}
          />
        ))}
      </div>
    </div>
  );
}
