'use client';
/** A scalar chart's view menu: log x, log y, EMA smoothing (0–0.99, TensorBoard's debiased average) and the min/max band; kept out of exported figures. */
import { useId } from 'react';
import { describeChart, type ChartSettings } from '@/lib/chart/chart-settings';
import { MAX_SMOOTHING } from '@/lib/chart/smoothing';

interface Props {
  title: string;
  settings: ChartSettings;
  onChange: (patch: Partial<ChartSettings>) => void;
}

/** Renders a disclosure whose summary says what is on ("View" at the defaults). */
export function ChartViewMenu({ title, settings, onChange }: Props) {
  const id = useId();
  const summary = describeChart(settings);
  return (
    <details className="export-menu view-menu" data-export-skip="" data-testid="chart-view-menu">
      <summary aria-label={`View: axes and smoothing of ${title}${summary ? ` (${summary})` : ''}`} title="Log axes, smoothing, min/max band">
        View
        {summary ? (
          <span className="view-on" aria-hidden="true">
            {' '}
            •
          </span>
        ) : null}
      </summary>
      <div className="export-items view-items" role="group" aria-label={`Axes and smoothing of ${title}`}>
        <label>
          <input type="checkbox" checked={settings.logY} onChange={(e) => onChange({ logY: e.target.checked })} data-testid="log-y" /> log y
        </label>
        <label>
          <input type="checkbox" checked={settings.logX} onChange={(e) => onChange({ logX: e.target.checked })} data-testid="log-x" /> log x
        </label>
        <label htmlFor={`${id}-smooth`}>smoothing (EMA weight)</label>
        <span className="view-row">
          <input
            id={`${id}-smooth`}
            type="range"
            min={0}
            max={MAX_SMOOTHING}
            step={0.01}
            value={settings.smoothing}
            onChange={(e) => onChange({ smoothing: Number(e.target.value) })}
            aria-valuetext={settings.smoothing > 0 ? `EMA weight ${settings.smoothing}` : 'off'}
            data-testid="smoothing"
          />
          <output htmlFor={`${id}-smooth`} className="num">
            {settings.smoothing.toFixed(2)}
          </output>
        </span>
        <label title={settings.smoothing > 0 ? 'min and max of the raw values each smoothed point averages' : 'shown with smoothing on'}>
          <input
            type="checkbox"
            checked={settings.band}
            disabled={settings.smoothing === 0}
            onChange={(e) => onChange({ band: e.target.checked })}
            data-testid="band"
          />{' '}
          min/max band
        </label>
      </div>
    </details>
  );
}
