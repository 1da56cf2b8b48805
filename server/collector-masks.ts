/**
 * Concept masks on /ingest: after its probe (with `maskSize` and `concepts`), a trainer may send per-example masks as
 * binary frames of kind "masks", outside any checkpoint: layer `__masks__` (or `__masks__@<first example>` for a chunk),
 * shape [examples in the chunk, concepts, maskSize.h, maskSize.w], values 0/1, chunks in example order. Each frame is
 * stored in the run log and acknowledged with `ack {of: "masks"}`; a mismatch with the probe is PROBE_MISMATCH.
 */
import { masksFirstExample, type DecodedFrame, type ErrorCode, type Probe } from '../lib/protocol';

/** Per-connection state of the masks a trainer is sending. */
export class MasksIntake {
  private probe: { examples: number; concepts: number; h: number; w: number } | null = null;
  private next = 0;

  /** Takes the mask geometry from an accepted probe declaration. */
  declare(msg: Probe): void {
    this.probe = msg.maskSize && msg.concepts ? { examples: msg.examples, concepts: msg.concepts.length, h: msg.maskSize.h, w: msg.maskSize.w } : null;
    this.next = 0;
  }

  /** Checks one masks frame against the probe; null when it can be stored (and the chunk is then counted). */
  check(frame: DecodedFrame, runId: string): { code: ErrorCode; message: string } | null {
    const { header, data } = frame;
    if (header.run !== undefined && header.run !== runId) return { code: 'UNEXPECTED_FRAME', message: `masks frame for run "${header.run.slice(0, 64)}" on run "${runId}"` };
    const first = masksFirstExample(header.layer);
    if (first === null) return { code: 'PROBE_MISMATCH', message: `a masks frame names its layer "__masks__" or "__masks__@<first example>", not "${header.layer.slice(0, 200)}"` };
    const p = this.probe;
    if (!p) return { code: 'PROBE_MISMATCH', message: 'masks need a probe declared with "maskSize" and "concepts" first' };
    const [count, concepts, h, w] = header.shape;
    if (header.shape.length !== 4 || concepts !== p.concepts || h !== p.h || w !== p.w) {
      return { code: 'PROBE_MISMATCH', message: `masks frame has shape [${header.shape.join(', ')}]; the probe declares [examples, ${p.concepts}, ${p.h}, ${p.w}]` };
    }
    if (first !== this.next && first !== 0) return { code: 'PROBE_MISMATCH', message: `masks chunk starts at example ${first}; the next expected is ${this.next} (send chunks in order)` };
    if (first + count > p.examples) return { code: 'PROBE_MISMATCH', message: `masks for examples ${first}..${first + count - 1}; the probe has ${p.examples}` };
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0 && data[i] !== 1) return { code: 'PROBE_MISMATCH', message: `mask values must be 0 or 1 (value ${data[i]} at index ${i})` };
    }
    this.next = first + count;
    return null;
  }
}
