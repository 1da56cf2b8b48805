/** Test builders: reference cases, seeded layers, rotations and the kernels to run every test against. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectKernel, type KernelName } from '../../../lib/analysis/kernel';
import { gaussianMatrix, Rng } from '../../../lib/random';
import type { Activations } from '../../../lib/analysis/types';
import { readNpy2d } from '../../../lib/codecs/npy';

export const REFERENCE_DIR = process.env.LAYERWATCH_REFERENCE ?? '/work/shared/reference/svcca';

export interface ReferenceCase {
  name: string;
  a: { file: string };
  b: { file: string };
  expected: { svcca: number; k: [number, number]; svcca_coefs: number[]; pwcca: number; cka: number };
}

/** expected.json's cases and tolerance. */
export function referenceCases(): { tolerance: number; cases: ReferenceCase[] } {
  return JSON.parse(readFileSync(join(REFERENCE_DIR, 'expected.json'), 'utf8'));
}

/** A reference .npy file as activations. */
export function loadLayer(file: string): Activations {
  const arr = readNpy2d(readFileSync(join(REFERENCE_DIR, file)));
  return { data: arr.data, units: arr.rows, examples: arr.cols };
}

/** Kernels available here: js always, native when the addon loads. */
export function kernels(): KernelName[] {
  const out: KernelName[] = ['js'];
  try {
    selectKernel('native-openblas');
    out.unshift('native-openblas');
  } catch {
    /* addon not built: js only */
  }
  selectKernel('auto');
  return out;
}

/** Every kernel and engine to run the analysis tests on: native when the addon loads, the portable kernel on WebAssembly SIMD (when available) and on plain JavaScript. */
export function kernelVariants(): { label: string; use: () => void }[] {
  const out: { label: string; use: () => void }[] = kernels()
    .filter((k) => k !== 'js')
    .map((k) => ({ label: k, use: () => void selectKernel(k) }));
  if (selectKernel('js').engine === 'wasm-simd') out.push({ label: 'js (wasm-simd)', use: () => void selectKernel('js') });
  out.push({ label: 'js (plain-js)', use: () => void selectKernel('js', { wasm: false }) });
  selectKernel('auto');
  return out;
}

/** A seeded Gaussian layer. */
export function buildLayer({ units, examples, seed }: { units: number; examples: number; seed: number }): Activations {
  return { data: gaussianMatrix(new Rng(seed), units, examples), units, examples };
}

/** m (r × c) times layer (c × examples). */
export function mapLayer(m: Float64Array, rows: number, layer: Activations): Activations {
  const { units, examples, data } = layer;
  const out = new Float64Array(rows * examples);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < units; k++) {
      const f = m[i * units + k];
      for (let j = 0; j < examples; j++) out[i * examples + j] += f * data[k * examples + j];
    }
  }
  return { data: out, units: rows, examples };
}

/** A seeded random orthogonal n × n matrix (Gram–Schmidt on Gaussian rows). */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const q = gaussianMatrix(new Rng(seed), n, n);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < i; p++) {
      let d = 0;
      for (let j = 0; j < n; j++) d += q[i * n + j] * q[p * n + j];
      for (let j = 0; j < n; j++) q[i * n + j] -= d * q[p * n + j];
    }
    let s = 0;
    for (let j = 0; j < n; j++) s += q[i * n + j] ** 2;
    s = Math.sqrt(s);
    for (let j = 0; j < n; j++) q[i * n + j] /= s;
  }
  return q;
}

/** A related pair: B = tanh-mixed A plus noise (not a linear image, so metrics are strictly between 0 and 1). */
export function relatedPair(units: number, examples: number, seed: number): [Activations, Activations] {
  const a = buildLayer({ units, examples, seed });
  const w = gaussianMatrix(new Rng(seed + 1), units, units);
  const b = mapLayer(w, units, a);
  const noise = new Rng(seed + 2);
  for (let i = 0; i < b.data.length; i++) b.data[i] = Math.tanh(b.data[i] / Math.sqrt(units)) + 0.3 * noise.normal();
  return [a, b];
}
