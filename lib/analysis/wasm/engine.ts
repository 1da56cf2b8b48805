/**
 * The WebAssembly SIMD engine: one module instance and its memory per thread; arrays are copied in, computed,
 * copied out. With LAYERWATCH_WASM_THREADS=1, on the main thread of a multi-core machine, large products are
 * shared with one helper worker thread over a shared memory (work-stealing chunks: a busy or missing helper only
 * costs speed, and results are bit-identical to one thread).
 */
import { kernelBytes, type WasmExports } from './kernels';

type Real = Float32Array | Float64Array;

/** Datapoints per k block: TI + TJ rows × 256 doubles stay in L1. */
const KB = 256;
/** Rows of a per tiles() call. */
const IB = 64;
/** A work chunk: CB rows of a × CB rows of b over all datapoints (disjoint outputs, so chunks run on any thread). */
const CB = 128;
/** Memory above this is released after a call (the instance is rebuilt on the next one); more is kept with a helper. */
const KEEP_BYTES = 64 * 1024 * 1024;
const KEEP_BYTES_SHARED = 512 * 1024 * 1024;
/** Products smaller than this (multiply–adds) stay on one thread. */
const PARALLEL_MIN = 5e7;

const compiled = new Map<boolean, WebAssembly.Module | null>();
let failure: string | undefined;

/** Compiles the module once per variant; null (with the reason in `wasmFailure()`) when WebAssembly SIMD is unavailable. */
function module(shared = false): WebAssembly.Module | null {
  if (compiled.has(shared)) return compiled.get(shared) as WebAssembly.Module | null;
  let mod: WebAssembly.Module | null = null;
  try {
    if (typeof WebAssembly !== 'object') throw new Error('no WebAssembly');
    const bytes = kernelBytes(shared);
    if (!WebAssembly.validate(bytes)) throw new Error(shared ? 'shared WebAssembly memory not supported' : 'WebAssembly SIMD not supported');
    mod = new WebAssembly.Module(bytes);
  } catch (err) {
    if (!shared) failure = (err as Error).message;
  }
  compiled.set(shared, mod);
  return mod;
}

export function wasmFailure(): string | undefined {
  module();
  return failure;
}

/** Control block layout (Int32Array): generation, next chunk, chunks done, chunk count, then the job's parameters. */
const GEN = 0,
  NEXT = 1,
  DONE = 2,
  COUNT = 3,
  PARAMS = 4;

/**
 * Takes chunks until none is left: chunk t = (row block t / nj, column block t % nj), all k blocks in order, so
 * every output element is summed in the same order whichever thread runs it. Self-contained: it is also
 * serialised into the helper thread's source.
 */
function runChunks(fn: WasmExports, c: Int32Array, kb: number, ib: number, cb: number): void {
  const a = c[4],
    b = c[5],
    sb = c[6],
    out = c[7],
    ldo = c[8],
    ra = c[9],
    rb = c[10],
    stride = c[11],
    upper = c[12],
    n = c[3];
  const nj = Math.ceil(rb / cb);
  for (;;) {
    const t = Atomics.add(c, 1, 1);
    if (t >= n) return;
    const j0 = (t % nj) * cb,
      j1 = Math.min(rb, j0 + cb),
      i0 = Math.floor(t / nj) * cb;
    const i1 = Math.min(ra, i0 + cb, upper ? j1 : ra);
    for (let k0 = 0; k0 < stride && i0 < i1; k0 += kb) {
      const n2 = Math.min(kb, stride - k0) / 2;
      for (let i = i0; i < i1; i += ib) fn.tiles(a, b, sb, out, ldo, i, Math.min(i1, i + ib), j0, j1, k0 * 8, n2, upper);
    }
    Atomics.add(c, 2, 1);
    Atomics.notify(c, 2);
  }
}

/** Source of the helper thread: waits for a new generation, takes chunks, repeats. */
const HELPER = `
const { workerData } = require('node:worker_threads');
const fn = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
const c = new Int32Array(workerData.control);
const runChunks = ${runChunks.toString()};
let gen = 0;
for (;;) {
  Atomics.wait(c, ${GEN}, gen);
  gen = Atomics.load(c, ${GEN});
  if (gen < 0) break;
  runChunks(fn, c, ${KB}, ${IB}, ${CB});
}`;

interface Helper {
  worker: { terminate(): unknown; unref(): void };
  control: Int32Array;
}

/**
 * Whether this thread uses a helper: only when asked (LAYERWATCH_WASM_THREADS=1; on this shared 2-core machine it
 * measured no faster, see docs/analysis.md), on Node's main thread (worker threads already share the cores), with
 * more than one core.
 */
function helperAllowed(): boolean {
  const proc = globalThis.process as NodeJS.Process | undefined;
  if (!proc?.getBuiltinModule || proc.env?.LAYERWATCH_WASM_THREADS !== '1') return false;
  try {
    const wt = proc.getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
    const os = proc.getBuiltinModule('node:os') as typeof import('node:os');
    return wt.isMainThread && os.availableParallelism() > 1 && typeof SharedArrayBuffer === 'function' && module(true) !== null;
  } catch {
    return false;
  }
}

/** A bump-allocated workspace inside the instance's memory. */
export class Workspace {
  readonly fn: WasmExports;
  private readonly memory: WebAssembly.Memory;
  private top = 16;
  f64: Float64Array;
  /** The helper thread sharing this memory, when there is one. */
  helper?: Helper;
  /** Control block for single-threaded runs of the same chunk loop. */
  readonly local = new Int32Array(PARAMS + 9);

  constructor(shared: boolean) {
    const mod = module(shared) as WebAssembly.Module;
    this.memory = shared ? new WebAssembly.Memory({ initial: 256, maximum: 32768, shared: true }) : new WebAssembly.Memory({ initial: 256 });
    this.fn = new WebAssembly.Instance(mod, { env: { memory: this.memory } }).exports as unknown as WasmExports;
    this.f64 = new Float64Array(this.memory.buffer);
    if (shared) {
      try {
        const wt = (globalThis.process as NodeJS.Process).getBuiltinModule('node:worker_threads') as typeof import('node:worker_threads');
        const control = new Int32Array(new SharedArrayBuffer(4 * (PARAMS + 9)));
        const worker = new wt.Worker(HELPER, { eval: true, workerData: { module: mod, memory: this.memory, control: control.buffer } });
        worker.unref();
        worker.on('error', () => {
          if (this.helper?.worker === worker) this.helper = undefined;
        });
        this.helper = { worker, control };
      } catch {
        this.helper = undefined;
      }
    }
  }

  /** Stops the helper thread (it takes no more chunks). */
  close(): void {
    if (!this.helper) return;
    Atomics.store(this.helper.control, GEN, -1);
    Atomics.notify(this.helper.control, GEN);
    void this.helper.worker.terminate();
    this.helper = undefined;
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
    const at = this.alloc(rows * stride),
      f = this.f64,
      o = at / 8;
    if (stride === cols) f.set(x, o);
    else
      for (let i = 0; i < rows; i++) {
        f.set(x.subarray(i * cols, i * cols + cols), o + i * stride);
        f[o + i * stride + cols] = 0;
      }
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
let threads: boolean | undefined;

/** Runs fn on this thread's workspace, then frees its allocations (and, outermost, the memory itself when it grew large). */
export function withWorkspace<T>(fn: (w: Workspace) => T): T {
  if (!module()) throw new Error(`wasm unavailable: ${failure}`);
  threads ??= helperAllowed();
  const w = (ws ??= new Workspace(threads));
  const mark = w.mark();
  depth++;
  try {
    return fn(w);
  } finally {
    depth--;
    w.release(mark);
    if (depth === 0 && w.bytes > (w.helper ? KEEP_BYTES_SHARED : KEEP_BYTES)) {
      w.close();
      ws = undefined;
    }
  }
}

/** Whether large products use a helper thread here (for reports). */
export function wasmThreads(): number {
  if (!module()) return 0;
  threads ??= helperAllowed();
  return threads ? 2 : 1;
}

export function wasmAvailable(): boolean {
  return module() !== null;
}

/** out += a bᵀ (or only its upper triangle, for a === b) in CB × CB chunks, shared with the helper thread when the product is large. */
export function products(w: Workspace, a: number, ra: number, b: number, rb: number, stride: number, out: number, upper: boolean): void {
  const helper = ra * rb * stride * (upper ? 0.5 : 1) >= PARALLEL_MIN ? w.helper : undefined;
  const c = helper ? helper.control : w.local;
  const chunks = Math.ceil(ra / CB) * Math.ceil(rb / CB);
  c.set([a, b, stride * 8, out, rb * 8, ra, rb, stride, upper ? 1 : 0], PARAMS);
  Atomics.store(c, NEXT, 0);
  Atomics.store(c, DONE, 0);
  Atomics.store(c, COUNT, chunks);
  if (helper) {
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
  }
  runChunks(w.fn, c, KB, IB, CB);
  // Without a helper this thread ran every chunk: nothing to wait for (and the local block is not shared memory).
  if (!helper) return;
  // The helper may still be finishing the chunks it took.
  for (let done = Atomics.load(c, DONE), waited = 0; done < chunks; done = Atomics.load(c, DONE)) {
    if (Atomics.wait(c, DONE, done, 1000) === 'timed-out' && ++waited > 600) {
      throw new Error('wasm helper thread stopped in the middle of a chunk');
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
