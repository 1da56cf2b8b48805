'use client';
/**
 * The time scrubber shared by every panel. Live: picks a checkpoint to mark (or follows the newest). Replay: play/pause,
 * speed, step back/forward and a scrubber that jumps to any checkpoint; the views show the run as it was there.
 */
import { formatStep } from '@/lib/chart/scales';
import { useLayerwatch } from '@/store/provider';
import { SPEEDS, selectReplay, selectReplayIndex, type Speed } from '@/store/slices/timeline';
import { selectScrubIndex } from '@/store/slices/view';
import { useScrub } from './use-scrub';

const speedLabel = (s: Speed) => (s === 'max' ? 'max' : `${s}×`);

/** Renders the scrubber bar. */
export function TimeScrubber() {
  const replay = useLayerwatch(selectReplay);
  const scrub = useScrub();
  const count = useLayerwatch((s) => (selectReplay(s) ? s.timeline.steps.length : s.run.steps.length));
  const index = useLayerwatch((s) => (selectReplay(s) ? selectReplayIndex(s) : selectScrubIndex(s)));
  const step = useLayerwatch((s) => (selectReplay(s) ? s.timeline.steps[selectReplayIndex(s)] : s.run.steps[selectScrubIndex(s)]) ?? null);
  const following = useLayerwatch((s) => (selectReplay(s) ? s.timeline.frame === null && s.timeline.target === null : s.view.scrub === null));
  const playing = useLayerwatch((s) => s.timeline.playing);
  const speed = useLayerwatch((s) => s.timeline.speed);
  const frameLoad = useLayerwatch((s) => s.timeline.frameLoad);
  const frameError = useLayerwatch((s) => s.timeline.frameError);
  const disabled = count < 2;

  return (
    <div
      className="scrubber"
      data-testid="time-scrubber"
      data-mode={replay ? 'replay' : 'live'}
      data-index={index}
      data-step={step ?? ''}
      data-following={following}
      data-playing={playing}
      data-frame-load={frameLoad}
    >
      {replay && (
        <button
          type="button"
          className="icon-button play"
          onClick={scrub.toggle}
          disabled={disabled}
          aria-label={playing ? 'Pause replay (space)' : 'Play replay (space)'}
          data-testid="play"
        >
          {playing ? '❚❚' : '▶'}
        </button>
      )}
      <button type="button" className="icon-button" onClick={() => scrub.step(-1)} disabled={disabled || index <= 0} aria-label="Previous checkpoint (←)">
        ◀
      </button>
      <button type="button" className="icon-button" onClick={() => scrub.step(1)} disabled={disabled || index >= count - 1} aria-label="Next checkpoint (→)">
        ▶︎
      </button>
      <label htmlFor="scrub">{replay ? 'Replay' : 'Checkpoint'}</label>
      <input
        id="scrub"
        type="range"
        min={0}
        max={Math.max(0, count - 1)}
        value={Math.max(0, index)}
        disabled={disabled}
        onChange={(e) => scrub.seek(Number(e.target.value))}
        aria-valuetext={step === null ? 'no checkpoints yet' : `step ${step}, checkpoint ${index + 1} of ${count}`}
      />
      <output htmlFor="scrub" className="scrub-step">
        {step === null ? 'no checkpoints yet' : `step ${formatStep(step)} · ${index + 1}/${count}`}
      </output>
      {replay && (
        <div className="segmented speed" role="radiogroup" aria-label="Replay speed">
          {SPEEDS.map((s) => (
            <button
              key={String(s)}
              type="button"
              role="radio"
              aria-checked={s === speed}
              className={s === speed ? 'active' : ''}
              onClick={() => scrub.setSpeed(s)}
              data-speed={s}
              title={s === 'max' ? 'as fast as frames load' : `${s}× the run's own pace`}
            >
              {speedLabel(s)}
            </button>
          ))}
        </div>
      )}
      <button
        type="button"
        className={following ? 'toggle active' : 'toggle'}
        aria-pressed={following}
        onClick={() => scrub.seek(following ? Math.max(0, index) : null)}
        data-testid="follow"
      >
        {replay ? 'Final state' : 'Follow newest'}
      </button>
      <span className="frame-status" aria-live="polite">
        {frameLoad === 'loading' && <span className="spinner" role="img" aria-label="loading frame" />}
        {frameLoad === 'error' && (
          <span className="error-text" role="alert">
            {frameError}{' '}
            <button type="button" onClick={() => scrub.seek(index)}>
              Retry
            </button>
          </span>
        )}
      </span>
    </div>
  );
}
