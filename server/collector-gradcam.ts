/**
 * Grad-CAM frames on /ingest (lib/protocol/gradcam.ts): one frame per checkpoint, after it, shape [examples, targets, h, w],
 * with the probe indices and classes in its header. A frame that disagrees with the probe or names no stored checkpoint
 * is refused with its code and nothing is stored.
 */
import { gradcamSource, MAX_GRADCAM_SIDE, MAX_GRADCAM_TARGETS, type DecodedFrame, type ErrorCode, type Probe } from '../lib/protocol';

type Problem = { code: ErrorCode; message: string };

/** Per-connection checks of the Grad-CAM frames a trainer sends. */
export class GradcamIntake {
  private probe: { examples: number; classes: number | null } | null = null;

  /** Takes the probe size and class count from an accepted probe declaration. */
  declare(msg: Probe): void {
    const classes = msg.classNames?.length ?? (msg.labels?.length ? Math.max(...msg.labels) + 1 : null);
    this.probe = { examples: msg.examples, classes };
  }

  /** Checks one frame; null when it can be stored. `isCheckpoint` says whether the run has (or is storing) a checkpoint at a step. */
  check(frame: DecodedFrame, runId: string, isCheckpoint: (step: number) => boolean): Problem | null {
    const { header, data } = frame;
    if (header.run !== undefined && header.run !== runId) return { code: 'UNEXPECTED_FRAME', message: `gradcam frame for run "${header.run.slice(0, 64)}" on run "${runId}"` };
    if (gradcamSource(header.layer) === null) return { code: 'BAD_FRAME', message: `a gradcam frame names its layer "__gradcam__:<conv layer>", not "${header.layer.slice(0, 200)}"` };
    if (!this.probe) return { code: 'PROBE_MISMATCH', message: 'gradcam frames need a probe declared first' };
    if (!isCheckpoint(header.step)) return { code: 'UNEXPECTED_FRAME', message: `gradcam frame for step ${header.step}, which has no checkpoint; send it after its checkpoint` };
    const { examples, classes, shape } = header;
    if (!examples || !classes) return { code: 'BAD_FRAME', message: 'a gradcam frame header needs "examples" and "classes"' };
    const [n, targets, h, w] = shape;
    if (shape.length !== 4 || n !== examples.length || targets > MAX_GRADCAM_TARGETS || classes.length !== n * targets || h > MAX_GRADCAM_SIDE || w > MAX_GRADCAM_SIDE) {
      return {
        code: 'SHAPE_MISMATCH',
        message: `gradcam frame has shape [${shape.join(', ')}] with ${examples.length} examples and ${classes.length} classes; expected [examples, targets ≤ ${MAX_GRADCAM_TARGETS}, h ≤ ${MAX_GRADCAM_SIDE}, w ≤ ${MAX_GRADCAM_SIDE}] and examples × targets classes`,
      };
    }
    const m = this.probe.examples;
    const seen = new Set<number>();
    for (const e of examples) {
      if (e >= m) return { code: 'PROBE_MISMATCH', message: `gradcam example ${e} is outside the probe (${m} examples)` };
      if (seen.has(e)) return { code: 'PROBE_MISMATCH', message: `gradcam example ${e} is listed twice` };
      seen.add(e);
    }
    const k = this.probe.classes;
    if (k !== null) for (const c of classes) if (c >= k) return { code: 'PROBE_MISMATCH', message: `gradcam class ${c} is outside the probe's ${k} classes` };
    for (let i = 0; i < data.length; i++) {
      // Written so that NaN fails too: Grad-CAM maps are rectified.
      if (!(data[i] >= 0 && data[i] < Infinity)) return { code: 'BAD_FRAME', message: `gradcam values must be finite and ≥ 0 (value ${data[i]} at index ${i})` };
    }
    return null;
  }
}
