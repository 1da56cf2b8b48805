/** Bench: per-checkpoint cost of the concept statistics of one layer (what one `concepts` worker job computes), image-level and with pixel masks. */
import { kernelInfo } from '../lib/analysis/kernel';
import { Rng } from '../lib/random';
import {
  analyseLayerConcepts,
  classSensitivity,
  createMasks,
  keptDirections,
  meanOverSpace,
  packMasksInto,
  type ConceptProbe,
  type PackedMasks,
} from '../lib/analysis/concepts';

const smoke = process.argv.includes('--smoke');
const reps = smoke ? 1 : 3;

interface Case {
  label: string;
  units: number;
  examples: number;
  concepts: number;
  h: number;
  w: number;
  mask: number | null;
}

const CASES: Case[] = smoke
  ? [
      { label: 'image-level', units: 32, examples: 200, concepts: 6, h: 1, w: 1, mask: null },
      { label: 'spatial + masks', units: 8, examples: 40, concepts: 4, h: 7, w: 7, mask: 14 },
    ]
  : [
      { label: 'image-level', units: 512, examples: 2000, concepts: 20, h: 1, w: 1, mask: null },
      { label: 'spatial + masks', units: 64, examples: 500, concepts: 20, h: 14, w: 14, mask: 14 },
      { label: 'spatial + masks', units: 64, examples: 500, concepts: 20, h: 14, w: 14, mask: 56 },
      { label: 'spatial, image-level', units: 64, examples: 500, concepts: 20, h: 14, w: 14, mask: null },
    ];

/** Seeded data: ReLU'd Gaussian maps, concept labels at ≈10% each, rectangular masks, every 8th unit a planted detector. */
function build(c: Case) {
  const rng = new Rng(17);
  const conceptLabels = Array.from({ length: c.examples }, () => Array.from({ length: c.concepts }, (_, k) => k).filter(() => rng.next() < 0.1));
  const labels = Array.from({ length: c.examples }, () => Math.floor(rng.next() * 10));
  const positions = c.h * c.w;
  let masks: PackedMasks | null = null;
  const region = new Uint8Array(c.examples * c.concepts * positions);
  if (c.mask) {
    const M = c.mask;
    masks = createMasks(c.examples, c.concepts, M, M);
    const values = new Float32Array(c.concepts * M * M);
    for (let j = 0; j < c.examples; j++) {
      values.fill(0);
      for (const k of conceptLabels[j]) {
        const y0 = Math.floor((rng.next() * M) / 2),
          x0 = Math.floor((rng.next() * M) / 2);
        for (let y = y0; y < y0 + M / 2; y++) for (let x = x0; x < x0 + M / 2; x++) values[(k * M + y) * M + x] = 1;
        for (let p = 0; p < positions; p++) {
          const y = Math.floor(((Math.floor(p / c.w) + 0.5) * M) / c.h),
            x = Math.floor((((p % c.w) + 0.5) * M) / c.w);
          region[(j * c.concepts + k) * positions + p] = values[(k * M + y) * M + x];
        }
      }
      packMasksInto(masks, j, values, 1);
    }
  }
  const data = new Float32Array(c.units * c.examples * positions);
  for (let u = 0; u < c.units; u++) {
    const k = u % 8 === 0 ? (u / 8) % c.concepts : -1;
    for (let j = 0; j < c.examples; j++) {
      const shows = k >= 0 && conceptLabels[j].includes(k);
      for (let p = 0; p < positions; p++) {
        const planted = shows && (!c.mask || region[(j * c.concepts + k) * positions + p]) ? 3 : 0;
        data[(u * c.examples + j) * positions + p] = Math.max(0, rng.normal() + planted);
      }
    }
  }
  const probe: ConceptProbe = {
    examples: c.examples,
    labels,
    classes: 10,
    conceptLabels,
    concepts: c.concepts,
    category: Array.from({ length: c.concepts }, (_, k) => k % 4),
    categories: 4,
  };
  return { data, probe, masks };
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

console.log(`concept statistics per layer per checkpoint (kernel: ${kernelInfo().name}; best of ${reps})`);
console.log('| layer | units × examples × positions | concepts | masks | IoU + selectivity | class sensitivity | total | detectors | tally bytes |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const c of CASES) {
  const { data, probe, masks } = build(c);
  let iouMs = Infinity,
    sensMs = Infinity,
    totalMs = Infinity,
    detectors = 0;
  for (let r = 0; r < reps; r++) {
    let t = performance.now();
    analyseLayerConcepts({ data, units: c.units, h: c.h, w: c.w }, probe, { masks, directions: null });
    iouMs = Math.min(iouMs, performance.now() - t);
    t = performance.now();
    const dirs = keptDirections(meanOverSpace(data, c.units, c.examples, c.h * c.w), c.units, c.examples);
    classSensitivity(dirs.basis, dirs.k, c.examples, { kind: 'indicator', labels: probe.labels!, classes: 10 });
    sensMs = Math.min(sensMs, performance.now() - t);
    t = performance.now();
    const res = analyseLayerConcepts({ data, units: c.units, h: c.h, w: c.w }, probe, { masks });
    totalMs = Math.min(totalMs, performance.now() - t);
    detectors = res.summary.detectors;
  }
  const tallyBytes = 8 * (c.units + c.concepts + c.units * c.concepts);
  console.log(
    `| ${c.label} | ${c.units} × ${c.examples} × ${c.h * c.w} | ${c.concepts} | ${c.mask ? `${c.mask}×${c.mask}` : '—'} | ${fmt(iouMs)} | ${fmt(sensMs)} | ${fmt(totalMs)} | ${detectors}/${c.units} | ${tallyBytes} |`,
  );
}
console.log('memory across checkpoints: O(units × concepts) tallies per job; the stored state keeps per unit [best, IoU, selectivity] per checkpoint');
