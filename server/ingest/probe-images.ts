/** Probe images on /ingest: [examples, imageSize.h, imageSize.w, imageSize.channels] per chunk, values in [0, 1] (collector-probe-chunks.ts). */
import { imagesFirstExample } from '../../lib/protocol';
import { ProbeChunkIntake } from './probe-chunks';

export class ImagesIntake extends ProbeChunkIntake {
  constructor() {
    super({
      kind: 'images',
      aFrame: 'an images frame',
      firstExample: imagesFirstExample,
      dims: (msg) => (msg.imageSize ? [msg.imageSize.h, msg.imageSize.w, msg.imageSize.channels] : null),
      needs: 'images need a probe declared with "imageSize" first',
      // Written so that NaN fails too.
      valueOk: (v) => v >= 0 && v <= 1,
      valueProblem: (v, i, example) => `image values must be finite and in [0, 1] (value ${v} at index ${i}, example ${example})`,
    });
  }
}
