'use client';
/**
 * Grad-CAM panel (Selvaraju et al. 2017): the trainer's fixed probe examples with the map of their true or predicted
 * class over them, at the checkpoint the time scrubber shows (live or replayed), so attention can be watched moving
 * from background to object over training. Shown only for runs that send maps (`gradcam=` in the Python client).
 */
import { useId, useState } from 'react';
import type { GradcamExample, GradcamView } from '@/lib/protocol/gradcam';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { GradcamThumb } from '@/components/charts/gradcam-thumb';
import { useLayerwatch } from '@/store/provider';
import { selectScrubIndex } from '@/store/slices/view';
import { useLiveRequest } from '@/store/use-live-request';
import { GRADCAM_PAPER } from './metric-info';
import { PanelFrame } from './panel-frame';

const SIDE = 84;
/** Runs without probe images: the maps over a grey square. */
const NO_IMAGE = { h: 1, w: 1, channels: 1 } as const;
const TARGETS = ['true class', 'predicted class'];

/** The maps at the step the views show (the newest without one), asked again when it or the stored maps change. */
function useGradcam() {
  const step = useLayerwatch((s) => (s.run.steps.length ? s.run.steps[selectScrubIndex(s)] : null));
  const announced = useLayerwatch((s) => s.run.gradcamSteps.length);
  const runId = useLayerwatch((s) => s.run.id);
  return useLiveRequest('gradcam', runId, step !== null ? { step } : {}, { refresh: announced });
}

const className = (names: string[], c: number | undefined) => (c === undefined ? '?' : (names[c] ?? `class ${c}`));

/** One example's figure: the overlay and its classes. */
function Example({ x, view, target, opacity }: { x: GradcamExample; view: GradcamView; target: number; opacity: number }) {
  const truth = x.label ?? (view.targets > 1 ? x.classes[0] : undefined);
  const predicted = x.classes[view.targets - 1];
  const shown = x.classes[target];
  const right = truth !== undefined && truth === predicted;
  const label = `probe example ${x.example}: ${className(view.classNames, truth)}, predicted ${className(view.classNames, predicted)}; map for ${className(view.classNames, shown)}, peak ${formatValue(x.peaks[target])}`;
  return (
    <figure className="gradcam-example" data-testid="gradcam-example" data-example={x.example} data-peak={x.peaks[target]}>
      <GradcamThumb map={x.maps[target]} mapSize={view} pixels={x.pixels} imageSize={view.imageSize ?? NO_IMAGE} side={SIDE} opacity={opacity} label={label} />
      <figcaption>
        <span className="gradcam-class" title={className(view.classNames, truth)}>
          {className(view.classNames, truth)}
        </span>
        <span className={right ? 'muted' : 'gradcam-wrong'}>{right ? '✓' : `→ ${className(view.classNames, predicted)}`}</span>
        {/* A blank overlay is a result, not a missing map: the rectified map is 0 everywhere. */}
        {x.peaks[target] === 0 ? (
          <span className="muted" data-testid="gradcam-no-evidence" title={`The rectified map is 0 everywhere: no positive evidence at ${view.layer}`}>
            no evidence
          </span>
        ) : null}
      </figcaption>
    </figure>
  );
}

/** Renders the panel (nothing for runs without Grad-CAM maps). */
export function GradcamPanel() {
  const load = useGradcam();
  const [target, setTarget] = useState(0);
  const [opacity, setOpacity] = useState(0.7);
  const name = useId();
  const view = load.data;
  if (!view) return null;
  const t = Math.min(target, view.targets - 1);
  const targets = view.targets > 1 ? TARGETS : ['predicted class'];
  return (
    <PanelFrame id="gradcam" title="Grad-CAM" question="where is the evidence?">
      {() => (
        <div
          className="gradcam-panel"
          data-testid="gradcam-panel"
          data-step={view.step ?? ''}
          data-steps={view.steps.length}
          data-target={t}
          data-state={load.state}
        >
          <div className="gradcam-controls">
            <fieldset>
              <legend className="sr-only">Map for</legend>
              {targets.map((label, i) => (
                <label key={label}>
                  <input type="radio" name={name} value={i} checked={t === i} onChange={() => setTarget(i)} /> {label}
                </label>
              ))}
            </fieldset>
            <label>
              Opacity{' '}
              <input
                type="range"
                min={0}
                max={100}
                value={Math.round(opacity * 100)}
                onChange={(e) => setOpacity(Number(e.target.value) / 100)}
                data-testid="gradcam-opacity"
              />
            </label>
          </div>
          <p className="chart-desc">
            {view.step === null
              ? `No maps at or before this checkpoint (the first are at step ${formatStep(view.steps[0])}).`
              : `Gradients of the ${targets[t]}'s score flowing into ${view.layer} (${view.h} × ${view.w}), at step ${formatStep(view.step)}; each map scaled to its own peak. `}
            <a href={GRADCAM_PAPER} target="_blank" rel="noreferrer">
              Selvaraju et al. 2017
            </a>
            {load.state === 'error' ? ` · ${load.message}` : ''}
          </p>
          <div className="gradcam-grid" style={{ opacity: load.state === 'loading' ? 0.6 : 1 }}>
            {view.examples.map((x) => (
              <Example key={x.example} x={x} view={view} target={t} opacity={opacity} />
            ))}
          </div>
        </div>
      )}
    </PanelFrame>
  );
}
