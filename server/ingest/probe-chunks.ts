/**
 * Per-example probe data on /ingest (concept masks, probe images): after its probe, a trainer may send binary frames
 * of the data's kind outside any checkpoint, layer `__<kind>__` (or `__<kind>__@<first example>` for a chunk), shape
 * [examples in the chunk, …three dimensions the probe declares], chunks in example order. Each frame is stored in the
 * run log and acknowledged with `ack {of: kind}`; a mismatch with the probe is PROBE_MISMATCH, nothing stored.
 */
import type { DecodedFrame, ErrorCode, Probe } from '../../lib/protocol';

/** What differs between the kinds of per-example probe data. */
export interface ProbeChunkSpec {
  kind: 'masks' | 'images';
  /** "a masks frame", "an images frame". */
  aFrame: string;
  firstExample(layer: string): number | null;
  /** The three per-example dimensions the probe declares, or null when it declares none. */
  dims(msg: Probe): [number, number, number] | null;
  /** Why a frame arrived without a probe that declares the dimensions. */
  needs: string;
  valueOk(v: number): boolean;
  valueProblem(v: number, index: number, example: number): string;
}

/** Per-connection state of one kind of probe data a trainer is sending. */
export class ProbeChunkIntake {
  private probe: { examples: number; dims: [number, number, number] } | null = null;
  private next = 0;

  constructor(private readonly spec: ProbeChunkSpec) {}

  /** Takes the dimensions from an accepted probe declaration. */
  declare(msg: Probe): void {
    const dims = this.spec.dims(msg);
    this.probe = dims ? { examples: msg.examples, dims } : null;
    this.next = 0;
  }

  /** Checks one frame against the probe; null when it can be stored (and the chunk is then counted). */
  check(frame: DecodedFrame, runId: string): { code: ErrorCode; message: string } | null {
    const { kind, aFrame } = this.spec;
    const { header, data } = frame;
    if (header.run !== undefined && header.run !== runId)
      return { code: 'UNEXPECTED_FRAME', message: `${kind} frame for run "${header.run.slice(0, 64)}" on run "${runId}"` };
    const first = this.spec.firstExample(header.layer);
    if (first === null)
      return {
        code: 'PROBE_MISMATCH',
        message: `${aFrame} names its layer "__${kind}__" or "__${kind}__@<first example>", not "${header.layer.slice(0, 200)}"`,
      };
    const p = this.probe;
    if (!p) return { code: 'PROBE_MISMATCH', message: this.spec.needs };
    const count = header.shape[0];
    if (header.shape.length !== 4 || p.dims.some((d, i) => header.shape[i + 1] !== d)) {
      return { code: 'PROBE_MISMATCH', message: `${kind} frame has shape [${header.shape.join(', ')}]; the probe declares [examples, ${p.dims.join(', ')}]` };
    }
    if (first !== this.next && first !== 0)
      return { code: 'PROBE_MISMATCH', message: `${kind} chunk starts at example ${first}; the next expected is ${this.next} (send chunks in order)` };
    if (first + count > p.examples)
      return { code: 'PROBE_MISMATCH', message: `${kind} for examples ${first}..${first + count - 1}; the probe has ${p.examples}` };
    const per = p.dims[0] * p.dims[1] * p.dims[2];
    for (let i = 0; i < data.length; i++) {
      if (!this.spec.valueOk(data[i])) return { code: 'PROBE_MISMATCH', message: this.spec.valueProblem(data[i], i, first + Math.floor(i / per)) };
    }
    this.next = first + count;
    return null;
  }
}
