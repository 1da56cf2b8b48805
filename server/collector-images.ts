/**
 * Probe images on /ingest: after its probe (with `imageSize`), a trainer may send the probe examples' pixels as binary
 * frames of kind "images", outside any checkpoint: layer `__images__` (or `__images__@<first example>` for a chunk),
 * shape [examples in the chunk, imageSize.h, imageSize.w, imageSize.channels], values in [0, 1], chunks in example
 * order. Each frame is stored in the run log and acknowledged with `ack {of: "images"}`; a mismatch is PROBE_MISMATCH.
 */
import { imagesFirstExample, type DecodedFrame, type ErrorCode, type ImageSize, type Probe } from '../lib/protocol';

/** Per-connection state of the probe images a trainer is sending. */
export class ImagesIntake {
  private probe: ({ examples: number } & ImageSize) | null = null;
  private next = 0;

  /** Takes the image geometry from an accepted probe declaration. */
  declare(msg: Probe): void {
    this.probe = msg.imageSize ? { examples: msg.examples, ...msg.imageSize } : null;
    this.next = 0;
  }

  /** Checks one images frame against the probe; null when it can be stored (and the chunk is then counted). */
  check(frame: DecodedFrame, runId: string): { code: ErrorCode; message: string } | null {
    const { header, data } = frame;
    if (header.run !== undefined && header.run !== runId) return { code: 'UNEXPECTED_FRAME', message: `images frame for run "${header.run.slice(0, 64)}" on run "${runId}"` };
    const first = imagesFirstExample(header.layer);
    if (first === null) return { code: 'PROBE_MISMATCH', message: `an images frame names its layer "__images__" or "__images__@<first example>", not "${header.layer.slice(0, 200)}"` };
    const p = this.probe;
    if (!p) return { code: 'PROBE_MISMATCH', message: 'images need a probe declared with "imageSize" first' };
    const [count, h, w, channels] = header.shape;
    if (header.shape.length !== 4 || h !== p.h || w !== p.w || channels !== p.channels) {
      return { code: 'PROBE_MISMATCH', message: `images frame has shape [${header.shape.join(', ')}]; the probe declares [examples, ${p.h}, ${p.w}, ${p.channels}]` };
    }
    if (first !== this.next && first !== 0) return { code: 'PROBE_MISMATCH', message: `images chunk starts at example ${first}; the next expected is ${this.next} (send chunks in order)` };
    if (first + count > p.examples) return { code: 'PROBE_MISMATCH', message: `images for examples ${first}..${first + count - 1}; the probe has ${p.examples}` };
    for (let i = 0; i < data.length; i++) {
      // Written so that NaN fails too.
      if (!(data[i] >= 0 && data[i] <= 1)) return { code: 'PROBE_MISMATCH', message: `image values must be finite and in [0, 1] (value ${data[i]} at index ${i}, example ${first + Math.floor(i / (h * w * channels))})` };
    }
    this.next = first + count;
    return null;
  }
}
