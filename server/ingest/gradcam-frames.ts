/**
 * Grad-CAM frames on /ingest (lib/protocol/gradcam.ts): one frame per checkpoint, after it, shape [examples, targets, h, w],
 * with the probe indices and classes in its header. A frame that disagrees with the probe or names no stored checkpoint
 * is refused with its code and nothing is stored. The same checks hold stored logs to the rules (log-content-check.ts).
 */
import { probeClassCount, type DecodedFrame, type Probe } from '../../lib/protocol';
import { gradcamHeaderProblem, type RuleProblem } from './rules';

/** Per-connection (or per-log) checks of the Grad-CAM frames a trainer sends. */
export class GradcamIntake {
  private probe: { examples: number; classes: number | null } | null = null;

  /** Takes the probe size and class count from an accepted probe declaration (so the class count is bounded). */
  declare(msg: Probe): void {
    this.probe = { examples: msg.examples, classes: msg.classNames || msg.labels ? probeClassCount(msg) : null };
  }

  /** Checks one frame; null when it can be stored. `isCheckpoint` says whether the run has (or is storing) a checkpoint at a step. */
  check(frame: DecodedFrame, runId: string, isCheckpoint: (step: number) => boolean): RuleProblem | null {
    const { header, data } = frame;
    if (header.run !== undefined && header.run !== runId)
      return { code: 'UNEXPECTED_FRAME', message: `gradcam frame for run "${header.run.slice(0, 64)}" on run "${runId}"` };
    const problem = gradcamHeaderProblem(header);
    if (problem) return problem;
    if (!this.probe) return { code: 'PROBE_MISMATCH', message: 'gradcam frames need a probe declared first' };
    if (!isCheckpoint(header.step))
      return { code: 'UNEXPECTED_FRAME', message: `gradcam frame for step ${header.step}, which has no checkpoint; send it after its checkpoint` };
    const m = this.probe.examples;
    const seen = new Set<number>();
    for (const e of header.examples!) {
      if (e >= m) return { code: 'PROBE_MISMATCH', message: `gradcam example ${e} is outside the probe (${m} examples)` };
      if (seen.has(e)) return { code: 'PROBE_MISMATCH', message: `gradcam example ${e} is listed twice` };
      seen.add(e);
    }
    const k = this.probe.classes;
    if (k !== null)
      for (const c of header.classes!) if (c >= k) return { code: 'PROBE_MISMATCH', message: `gradcam class ${c} is outside the probe's ${k} classes` };
    for (let i = 0; i < data.length; i++) {
      // Written so that NaN fails too: Grad-CAM maps are rectified.
      if (!(data[i] >= 0 && data[i] < Infinity))
        return { code: 'BAD_FRAME', message: `gradcam values must be finite and ≥ 0 (value ${data[i]} at index ${i})` };
    }
    return null;
  }
}
