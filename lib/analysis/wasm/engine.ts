/** The WebAssembly SIMD engine: one module instance and its memory per thread; arrays are copied in, computed, copied out. */
import { kernelBytes, type WasmExports } from './kernels';

type Real = Float32Array | Float64Array;

/** Datapoints per k block: TI + TJ rows × 256 doubles stay in L1. */
const KB = 256;
/** Rows of a per i block, and of b per j block (b's k block, JB × KB doubles = 512 kB, stays in L2 while a's rows stream past). */
const IB = 64;
const JB = 256;
/** Memory above this is released after a call (the instance is rebuilt on the next one). */
const KEEP_BYTES = 64 * 1024 * 1024;

let compiled: WebAssembly.Module | null | undefined;
let failure: string | undefined;

/** Compiles the module once; null (with the reason in `wasmFailure()`) when WebAssembly SIMD is unavailable. */
function module(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    if (typeof WebAssembly !== 'object') throw new Error('no WebAssembly');
    const bytes = kernelBytes();
    if (!WebAssembly.validate(bytes)) throw new Error('WebAssembly SIMD not supported');
    compiled = new WebAssembly.Module(bytes);
  } catch (err) {
    failure = (err as Error).message;
    compiled = null;
  }
  return compiled;
}

export function wasmFailure(): string | undefined {
  module();
  return failure;
}

/** A bump-allocated workspace inside the instance's memory. */
export class Workspace {
  readonly fn: WasmExports;
  private readonly memory: WebAssembly.Memory;
  private top = 16;
  f64: Float64Array;

  constructor(mod: WebAssembly.Module) {
    this.memory = new WebAssembly.Memory({ initial: 256 });
    this.fn = new WebAssembly.Instance(mod, { env: { memory: this.memory } }).exports as unknown as WasmExports;
    this.f64 = new Float64Array(this.memory.buffer);
  }

  /** Reserves `doubles` float64 slots (16-byte aligned); returns the byte address. Views are refreshed if memory grew. */
  alloc(doubles: number): number {
    const at = this.top;
    const end = at + ((doubles * 8 + 15) & ~15);
    if (end > 2 ** 31) throw new RangeError('wasm workspace above 2 GiB');
    if (end > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / 65536));
      this.f64 = new Float64Array(this.memory.buffer);
    }
    this.top = end;
    return at;
  }

  /** Copies x (rows × cols) in with rows padded to an even length (zeros); returns [address, stride in doubles]. */
  put(x: Real, rows: number, cols: number): [number, number] {
    const stride = (cols + 1) & ~1;
    const at = this.alloc(rows * stride), f = this.f64, o = at / 8;
    if (stride === cols) f.set(x, o);
    else for (let i = 0; i < rows; i++) { f.set(x.subarray(i * cols, i * cols + cols), o + i * stride); f[o + i * stride + cols] = 0; }
    return [at, stride];
  }

  zeros(doubles: number): number {
    const at = this.alloc(doubles);
    this.f64.fill(0, at / 8, at / 8 + doubles);
    return at;
  }

  view(at: number, doubles: number): Float64Array {
    return this.f64.subarray(at / 8, at / 8 + doubles);
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** The allocation mark, to release back to. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }
}

let ws: Workspace | undefined;
let depth = 0;

/** Runs fn on this thread's workspace, then frees its allocations (and, outermost, the memory itself when it grew large). */
export function withWorkspace<T>(fn: (w: Workspace) => T): T {
  const mod = module();
  if (!mod) throw new Error(`wasm unavailable: ${failure}`);
  const w = (ws ??= new Workspace(mod));
  const mark = w.mark();
  depth++;
  try {
    return fn(w);
  } finally {
    depth--;
    w.release(mark);
    if (depth === 0 && w.bytes > KEEP_BYTES) ws = undefined;
  }
}

export function wasmAvailable(): boolean {
  return module() !== null;
}

/** out += a bᵀ (or only its upper triangle, for a === b) over every k block, in the workspace. */
export function products(w: Workspace, a: number, ra: number, b: number, rb: number, stride: number, out: number, upper: boolean): void {
  const sb = stride * 8, ldo = rb * 8;
  for (let k0 = 0; k0 < stride; k0 += KB) {
    const n2 = Math.min(KB, stride - k0) / 2;
    for (let j0 = 0; j0 < rb; j0 += JB) {
      const j1 = Math.min(rb, j0 + JB);
      // For the upper triangle, rows past this j block's end contribute nothing here.
      const i1 = upper ? Math.min(ra, j1) : ra;
      for (let i0 = 0; i0 < i1; i0 += IB) {
        w.fn.tiles(a, b, sb, out, ldo, i0, Math.min(i1, i0 + IB), j0, j1, k0 * 8, n2, upper ? 1 : 0);
      }
    }
  }
}

/** x xᵀ (rows × rows). */
export function wasmGram(x: Real, rows: number, cols: number): Float64Array {
  return withWorkspace((w) => {
    const [a, stride] = w.put(x, rows, cols);
    const out = w.zeros(rows * rows);
    products(w, a, rows, a, rows, stride, out, true);
    const g = w.view(out, rows * rows).slice();
    for (let i = 0; i < rows; i++) for (let j = 0; j < i; j++) g[i * rows + j] = g[j * rows + i];
    return g;
  });
}

/** a bᵀ (ra × rb). */
export function wasmCross(a: Real, ra: number, b: Real, rb: number, cols: number): Float64Array {
  if (a === b && ra === rb) return wasmGram(a, ra, cols);
  return withWorkspace((w) => {
    const [pa, stride] = w.put(a, ra, cols);
    const [pb] = w.put(b, rb, cols);
    const out = w.zeros(ra * rb);
    products(w, pa, ra, pb, rb, stride, out, false);
    return w.view(out, ra * rb).slice();
  });
}

/** a b for a (ar × ac), b (ac × bc). */
export function wasmMul(a: Float64Array, ar: number, ac: number, b: Real, bc: number): Float64Array {
  const bt = new Float64Array(ac * bc);
  for (let k = 0; k < ac; k++) for (let j = 0; j < bc; j++) bt[j * ac + k] = b[k * bc + j];
  return wasmCross(a, ar, bt, bc, ac);
}
