'use client';
/** The time scrubber shared by every panel: picks a checkpoint, or follows the newest one. */
import { formatStep } from '@/lib/chart/scales';
import { useLayerwatch } from '@/store/provider';
import { selectScrubIndex } from '@/store/slices/view';

/** Renders the range input, the step it points at and a "follow newest" toggle. */
export function TimeScrubber() {
  const count = useLayerwatch((s) => s.run.steps.length);
  const index = useLayerwatch(selectScrubIndex);
  const step = useLayerwatch((s) => s.run.steps[selectScrubIndex(s)] ?? null);
  const following = useLayerwatch((s) => s.view.scrub === null);
  const setScrub = useLayerwatch((s) => s.setScrub);
  const disabled = count < 2;
  return (
    <div className="scrubber" data-testid="time-scrubber">
      <label htmlFor="scrub">Checkpoint</label>
      <input
        id="scrub"
        type="range"
        min={0}
        max={Math.max(0, count - 1)}
        value={Math.max(0, index)}
        disabled={disabled}
        onChange={(e) => {
          const i = Number(e.target.value);
          setScrub(i >= count - 1 ? null : i);
        }}
        aria-valuetext={step === null ? 'no checkpoints yet' : `step ${step}`}
      />
      <output htmlFor="scrub" className="scrub-step">
        {step === null ? 'no checkpoints yet' : `step ${formatStep(step)} · ${index + 1}/${count}`}
      </output>
      <button type="button" className={following ? 'toggle active' : 'toggle'} aria-pressed={following} onClick={() => setScrub(following ? Math.max(0, index) : null)}>
        Follow newest
      </button>
    </div>
  );
}
