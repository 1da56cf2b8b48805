/** Concept masks on /ingest: [examples, concepts, maskSize.h, maskSize.w] per chunk, values 0/1 (collector-probe-chunks.ts). */
import { masksFirstExample } from '../../lib/protocol';
import { ProbeChunkIntake } from './probe-chunks';

export class MasksIntake extends ProbeChunkIntake {
  constructor() {
    super({
      kind: 'masks',
      aFrame: 'a masks frame',
      firstExample: masksFirstExample,
      dims: (msg) => (msg.maskSize && msg.concepts ? [msg.concepts.length, msg.maskSize.h, msg.maskSize.w] : null),
      needs: 'masks need a probe declared with "maskSize" and "concepts" first',
      valueOk: (v) => v === 0 || v === 1,
      valueProblem: (v, i) => `mask values must be 0 or 1 (value ${v} at index ${i})`,
    });
  }
}
