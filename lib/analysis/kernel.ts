/**
 * The dense kernels behind every metric: the native OpenBLAS addon when it loads, else the portable kernel 'js'
 * (WebAssembly SIMD generated at load time, or plain JavaScript where WebAssembly SIMD is unavailable).
 */
import { centreRows } from './centre-rows';
import { AnalysisError } from './errors';
import { jsEigh, jsEigvals, type Eigen } from './js-eigen';
import { jsCross, jsGram, jsMul } from './js-gemm';
import { wasmEigh, wasmEigvals } from './wasm/eigen';
import { wasmAvailable, wasmCross, wasmFailure, wasmGram, wasmMul } from './wasm/engine';

export type Real = Float32Array | Float64Array;
/** 'js' is the portable kernel: no native addon, whatever its engine. */
export type KernelName = 'native-openblas' | 'js';
/** What actually computes: OpenBLAS, WebAssembly SIMD, or plain JavaScript. */
export type KernelEngine = 'openblas' | 'wasm-simd' | 'plain-js';

export interface KernelInfo {
  name: KernelName;
  engine: KernelEngine;
  /** Why the portable kernel is in use (or why it runs on plain JavaScript). */
  reason?: string;
}

/** Gram, cross product, product and symmetric eigendecomposition, all accumulating in float64. */
export interface Kernel {
  name: KernelName;
  engine: KernelEngine;
  /** Centres each row of data (rows × cols) into out, each row's sum of squares into sumsq; -1, or the first row with a non-finite sum. */
  centre(data: Real, rows: number, cols: number, out: Real, sumsq: Float64Array): number;
  /** x xᵀ (rows × rows) for row-major x (rows × cols). */
  gram(x: Real, rows: number, cols: number): Float64Array;
  /** xᵀ x (cols × cols) for row-major x (rows × cols): the Gram of the columns (datapoint space). */
  gramT(x: Real, rows: number, cols: number): Float64Array;
  /** a bᵀ (ra × rb). */
  cross(a: Real, ra: number, b: Real, rb: number, cols: number): Float64Array;
  /** a b (ar × bc) for a (ar × ac), b (ac × bc). */
  mul(a: Float64Array, ar: number, ac: number, b: Real, bc: number): Float64Array;
  /** Eigendecomposition of symmetric s (n × n, overwritten), values descending. */
  eigh(s: Float64Array, n: number): Eigen;
  /** Eigenvalues only of symmetric s (n × n, destroyed), descending. */
  eigvals(s: Float64Array, n: number): Float64Array;
  /** The k largest eigenpairs of symmetric s (n × n, destroyed): values descending, vectors k × n rows. */
  eigTop(s: Float64Array, n: number, k: number): Eigen;
}

interface Addon {
  centre(x: Real, rows: number, cols: number, out: Real, sumsq: Float64Array): number;
  gram(x: Real, rows: number, cols: number, out: Float64Array): number;
  gramT(x: Real, rows: number, cols: number, out: Float64Array): number;
  cross(a: Real, ra: number, b: Real, rb: number, cols: number, out: Float64Array): number;
  mul(a: Float64Array, ar: number, ac: number, b: Real, bc: number, out: Float64Array): number;
  eigh(s: Float64Array, n: number, values: Float64Array): number;
  eigvals(s: Float64Array, n: number, values: Float64Array): number;
  eigTop(s: Float64Array, n: number, k: number, values: Float64Array, vectors: Float64Array): number;
}

const ADDON_FUNCTIONS = ['centre', 'gram', 'gramT', 'cross', 'mul', 'eigh', 'eigvals', 'eigTop'] as const satisfies ReadonlyArray<keyof Addon>;

const widen = (x: Real): Float64Array => (x instanceof Float64Array ? x : Float64Array.from(x));

/** Transposed float64 copy of row-major x (rows × cols), in cache-sized tiles. */
export function transposed(x: Real, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  const B = 64;
  for (let i0 = 0; i0 < rows; i0 += B) {
    for (let j0 = 0; j0 < cols; j0 += B) {
      for (let i = i0, ie = Math.min(rows, i0 + B); i < ie; i++) {
        for (let j = j0, je = Math.min(cols, j0 + B); j < je; j++) t[j * rows + i] = x[i * cols + j];
      }
    }
  }
  return t;
}

/** The portable kernel on plain JavaScript (no WebAssembly). */
export const plainJsKernel: Kernel = {
  name: 'js',
  engine: 'plain-js',
  centre: centreRows,
  gram: (x, rows, cols) => jsGram(widen(x), rows, cols),
  gramT: (x, rows, cols) => jsGram(transposed(x, rows, cols), cols, rows),
  cross: (a, ra, b, rb, cols) => (a === b ? jsGram(widen(a), ra, cols) : jsCross(widen(a), ra, widen(b), rb, cols)),
  mul: (a, ar, ac, b, bc) => jsMul(a, ar, ac, widen(b), bc),
  eigh: jsEigh,
  eigvals: jsEigvals,
  eigTop: (s, n, k) => leadingOf(jsEigh(s, n), n, k),
};

/** The k leading pairs of a full decomposition. */
function leadingOf(e: Eigen, n: number, k: number): Eigen {
  return { values: e.values.slice(0, k), vectors: e.vectors.slice(0, k * n) };
}

/** Runs the SIMD version, or the plain one when the workspace cannot hold the operands (above 2 GiB). */
function orPlain<A extends unknown[], R>(simd: (...args: A) => R, plain: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    try {
      return simd(...args);
    } catch (err) {
      if (err instanceof RangeError) return plain(...args);
      throw err;
    }
  };
}

/** The portable kernel on WebAssembly SIMD (f64x2). */
export const wasmKernel: Kernel = {
  name: 'js',
  engine: 'wasm-simd',
  centre: centreRows,
  gram: orPlain(wasmGram, plainJsKernel.gram),
  gramT: orPlain((x: Real, rows: number, cols: number) => wasmGram(transposed(x, rows, cols), cols, rows), plainJsKernel.gramT),
  cross: orPlain(wasmCross, plainJsKernel.cross),
  mul: orPlain(wasmMul, plainJsKernel.mul),
  eigh: orPlain((s: Float64Array, n: number) => wasmEigh(s, n), jsEigh),
  eigvals: orPlain(wasmEigvals, jsEigvals),
  // Back-transforms only the k wanted vectors.
  eigTop: orPlain((s: Float64Array, n: number, k: number) => leadingOf(wasmEigh(s, n, k), n, k), plainJsKernel.eigTop),
};

/** The portable kernel: WebAssembly SIMD unless it is unavailable or LAYERWATCH_WASM=0 (or `wasm: false`). */
function portable(wasm?: boolean): { k: Kernel; why?: string } {
  if (wasm === false || (wasm === undefined && globalThis.process?.env?.LAYERWATCH_WASM === '0')) {
    return { k: plainJsKernel, why: wasm === false ? 'plain JavaScript selected' : 'LAYERWATCH_WASM=0' };
  }
  return wasmAvailable() ? { k: wasmKernel } : { k: plainJsKernel, why: `WebAssembly SIMD unavailable: ${wasmFailure()}` };
}

function check(rc: number, what: string): void {
  if (rc !== 0) throw new AnalysisError('KERNEL_FAILED', `native ${what} failed (code ${rc})`);
}

function wrap(addon: Addon): Kernel {
  const gram = (x: Real, rows: number, cols: number): Float64Array => {
    const out = new Float64Array(rows * rows);
    check(addon.gram(x, rows, cols, out), 'gram');
    return out;
  };
  return {
    name: 'native-openblas',
    engine: 'openblas',
    centre: addon.centre.bind(addon),
    gram,
    gramT(x, rows, cols) {
      const out = new Float64Array(cols * cols);
      check(addon.gramT(x, rows, cols, out), 'gramT');
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
    eigTop(s, n, k) {
      const values = new Float64Array(k),
        vectors = new Float64Array(k * n);
      if (k > 0) check(addon.eigTop(s, n, k, values, vectors), 'eigTop');
      return { values, vectors };
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
    const addon = require('../../native/build/Release/layerwatch_native.node') as Partial<Addon>;
    // An addon built from older sources lacks newer kernels: `npm install` (or scripts/build-native.mjs) rebuilds it.
    const missing = ADDON_FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
    if (missing.length) return `native addon is out of date (no ${missing.join(', ')}); rebuild it with node scripts/build-native.mjs`;
    return wrap(addon as Addon);
  } catch (err) {
    return `native addon not loaded (${(err as Error).message.split('\n')[0]})`;
  }
}

let active: Kernel | undefined;
let reason: string | undefined;

/**
 * Picks the kernel: 'auto' (native unless LAYERWATCH_KERNEL=js), or forces one; forcing native throws KERNEL_FAILED
 * when it cannot load. The portable kernel runs on WebAssembly SIMD unless `wasm: false` or LAYERWATCH_WASM=0.
 */
export function selectKernel(choice: 'auto' | KernelName = 'auto', opts: { wasm?: boolean } = {}): KernelInfo {
  const env = globalThis.process?.env?.LAYERWATCH_KERNEL;
  const why = (first: string, p: { why?: string }) => (p.why ? `${first}; ${p.why}` : first);
  if (choice === 'js' || (choice === 'auto' && env === 'js')) {
    const p = portable(opts.wasm);
    active = p.k;
    reason = why(choice === 'js' ? 'selected' : 'LAYERWATCH_KERNEL=js', p);
  } else {
    const native = loadNative();
    if (typeof native === 'string') {
      if (choice === 'native-openblas') throw new AnalysisError('KERNEL_FAILED', native);
      const p = portable(opts.wasm);
      active = p.k;
      reason = why(native, p);
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

/** Which kernel computes the metrics, on which engine, and why the fallback when it is in use. */
export function kernelInfo(): KernelInfo {
  const k = kernel();
  return reason === undefined ? { name: k.name, engine: k.engine } : { name: k.name, engine: k.engine, reason };
}
