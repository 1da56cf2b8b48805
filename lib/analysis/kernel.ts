/** The dense kernels behind every metric: the native OpenBLAS addon when it loads, else plain JavaScript. */
import { AnalysisError } from './errors';
import { jsEigh, jsEigvals, type Eigen } from './js-eigen';
import { jsCross, jsGram, jsMul } from './js-gemm';

export type Real = Float32Array | Float64Array;
export type KernelName = 'native-openblas' | 'js';

/** Gram, cross product, product and symmetric eigendecomposition, all accumulating in float64. */
export interface Kernel {
  name: KernelName;
  /** x xᵀ (rows × rows) for row-major x (rows × cols). */
  gram(x: Real, rows: number, cols: number): Float64Array;
  /** a bᵀ (ra × rb). */
  cross(a: Real, ra: number, b: Real, rb: number, cols: number): Float64Array;
  /** a b (ar × bc) for a (ar × ac), b (ac × bc). */
  mul(a: Float64Array, ar: number, ac: number, b: Real, bc: number): Float64Array;
  /** Eigendecomposition of symmetric s (n × n, overwritten), values descending. */
  eigh(s: Float64Array, n: number): Eigen;
  /** Eigenvalues only of symmetric s (n × n, destroyed), descending. */
  eigvals(s: Float64Array, n: number): Float64Array;
}

interface Addon {
  gram(x: Real, rows: number, cols: number, out: Float64Array): number;
  cross(a: Real, ra: number, b: Real, rb: number, cols: number, out: Float64Array): number;
  mul(a: Float64Array, ar: number, ac: number, b: Real, bc: number, out: Float64Array): number;
  eigh(s: Float64Array, n: number, values: Float64Array): number;
  eigvals(s: Float64Array, n: number, values: Float64Array): number;
}

const widen = (x: Real): Float64Array => (x instanceof Float64Array ? x : Float64Array.from(x));

/** The portable kernel. */
export const jsKernel: Kernel = {
  name: 'js',
  gram: (x, rows, cols) => jsGram(widen(x), rows, cols),
  cross: (a, ra, b, rb, cols) => (a === b ? jsGram(widen(a), ra, cols) : jsCross(widen(a), ra, widen(b), rb, cols)),
  mul: (a, ar, ac, b, bc) => jsMul(a, ar, ac, widen(b), bc),
  eigh: jsEigh,
  eigvals: jsEigvals,
};

function check(rc: number, what: string): void {
  if (rc !== 0) throw new AnalysisError('KERNEL_FAILED', `native ${what} failed (code ${rc})`);
}

function wrap(addon: Addon): Kernel {
  return {
    name: 'native-openblas',
    gram(x, rows, cols) {
      const out = new Float64Array(rows * rows);
      check(addon.gram(x, rows, cols, out), 'gram');
      return out;
    },
    cross(a, ra, b, rb, cols) {
      const out = new Float64Array(ra * rb);
      check(addon.cross(a, ra, b, rb, cols, out), 'cross');
      return out;
    },
    mul(a, ar, ac, b, bc) {
      const out = new Float64Array(ar * bc);
      if (ar * ac * bc > 0) check(addon.mul(a, ar, ac, b, bc, out), 'mul');
      return out;
    },
    eigh(s, n) {
      const values = new Float64Array(n);
      check(addon.eigh(s, n, values), 'eigh');
      return { values, vectors: s };
    },
    eigvals(s, n) {
      const values = new Float64Array(n);
      check(addon.eigvals(s, n, values), 'eigvals');
      return values;
    },
  };
}

/** Loads the addon built by scripts/build-native.mjs; returns the reason when it cannot. */
function loadNative(): Kernel | string {
  try {
    const proc = globalThis.process as NodeJS.Process | undefined;
    if (!proc?.getBuiltinModule) return 'not running in Node';
    const { createRequire } = proc.getBuiltinModule('node:module') as typeof import('node:module');
    const require = createRequire(import.meta.url);
    const addon = require('../../native/build/Release/layerwatch_native.node') as Addon;
    return wrap(addon);
  } catch (err) {
    return `native addon not loaded (${(err as Error).message.split('\n')[0]})`;
  }
}

let active: Kernel | undefined;
let reason: string | undefined;

/** Picks the kernel: 'auto' (native unless LAYERWATCH_KERNEL=js), or forces one; forcing native throws KERNEL_FAILED when it cannot load. */
export function selectKernel(choice: 'auto' | KernelName = 'auto'): { name: KernelName; reason?: string } {
  const env = globalThis.process?.env?.LAYERWATCH_KERNEL;
  if (choice === 'js' || (choice === 'auto' && env === 'js')) {
    active = jsKernel;
    reason = choice === 'js' ? 'selected' : 'LAYERWATCH_KERNEL=js';
  } else {
    const native = loadNative();
    if (typeof native === 'string') {
      if (choice === 'native-openblas') throw new AnalysisError('KERNEL_FAILED', native);
      active = jsKernel;
      reason = native;
    } else {
      active = native;
      reason = undefined;
    }
  }
  return kernelInfo();
}

/** The kernel in use (chosen on first use). */
export function kernel(): Kernel {
  if (!active) selectKernel('auto');
  return active as Kernel;
}

/** Which kernel computes the metrics, and why the fallback when it is in use. */
export function kernelInfo(): { name: KernelName; reason?: string } {
  const k = kernel();
  return reason === undefined ? { name: k.name } : { name: k.name, reason };
}
