/** The kernels and engines: same products and eigensystems; the environment switches; the eigensolvers on hard spectra; workers and bundles. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { jsEigh } from '../../../lib/analysis/js-eigen';
import { jsMul } from '../../../lib/analysis/js-gemm';
import { plainJsKernel, selectKernel, kernel, wasmKernel, type Kernel } from '../../../lib/analysis/kernel';
import { gaussianMatrix, Rng } from '../../../lib/random';
import { similarities } from '../../../lib/analysis/similarity';
import { tridiagEigen } from '../../../lib/analysis/tridiag-dc';
import { wasmEigh } from '../../../lib/analysis/wasm/eigen';
import { kernelBytes } from '../../../lib/analysis/wasm/kernels';
import { kernels, loadLayer, referenceCases } from './fixtures';

const ROOT = join(import.meta.dirname, '../../..');

function symmetric(n: number, seed: number): Float64Array {
  const g = gaussianMatrix(new Rng(seed), n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i];
  return g;
}

describe('kernels', () => {
  it('centring: the native and JavaScript loops give the same bits (float32/float64 in and out, any length) and stop at a non-finite neuron', () => {
    const hasNative = kernels().includes('native-openblas');
    if (hasNative) selectKernel('native-openblas');
    const native = hasNative ? kernel() : undefined;
    selectKernel('auto');
    const rng = new Rng(5);
    for (const m of [1, 3, 4, 7, 1001]) {
      const rows = 5;
      const x64 = Float64Array.from({ length: rows * m }, (_, i) => 1e3 + (i % m) * 1e-3 + rng.normal());
      const x32 = Float32Array.from(x64);
      for (const [input, Out] of [
        [x64, Float64Array],
        [x32, Float64Array],
        [x32, Float32Array],
        [x64, Float32Array],
      ] as const) {
        const out = new Out(rows * m),
          sumsq = new Float64Array(rows);
        assert.equal(plainJsKernel.centre(input, rows, m, out, sumsq), -1);
        for (let r = 0; r < rows; r++) {
          let mean = 0,
            ss = 0;
          for (let j = 0; j < m; j++) {
            mean += out[r * m + j];
            ss += out[r * m + j] ** 2;
          }
          assert.ok(Math.abs(mean / m) < (Out === Float64Array ? 1e-9 : 1e-6), `row ${r} of m=${m} centred`);
          if (Out === Float64Array) assert.ok(Math.abs(ss - sumsq[r]) <= 1e-12 * Math.max(1, ss));
        }
        if (!native) continue;
        const out2 = new Out(rows * m),
          sumsq2 = new Float64Array(rows);
        assert.equal(native.centre(input, rows, m, out2, sumsq2), -1);
        assert.deepEqual(out2, out, `native centred values, m=${m}`);
        assert.deepEqual(sumsq2, sumsq, `native sums of squares, m=${m}`);
      }
      const bad = x64.slice();
      bad[3 * m + (m >> 1)] = Number.NaN;
      for (const k of [plainJsKernel, ...(native ? [native] : [])]) assert.equal(k.centre(bad, rows, m, new Float64Array(rows * m), new Float64Array(rows)), 3);
    }
  });

  it('the JS eigensolver returns orthonormal eigenpairs, also with repeated and zero eigenvalues', () => {
    for (const n of [1, 2, 3, 17, 64]) {
      const s = symmetric(n, n);
      if (n > 3)
        for (let j = 0; j < n; j++) {
          s[3 * n + j] = s[2 * n + j];
          s[j * n + 3] = s[j * n + 2];
          s[n + j] = 0;
          s[j * n + 1] = 0;
        }
      const { values, vectors } = jsEigh(s.slice(), n);
      for (let i = 0; i < n; i++) {
        if (i) assert.ok(values[i] <= values[i - 1]);
        for (let r = 0; r < n; r++) {
          let av = 0;
          for (let c = 0; c < n; c++) av += s[r * n + c] * vectors[i * n + c];
          assert.ok(Math.abs(av - values[i] * vectors[i * n + r]) < 1e-10, `residual n=${n}`);
        }
        let norm = 0;
        for (let c = 0; c < n; c++) norm += vectors[i * n + c] ** 2;
        assert.ok(Math.abs(norm - 1) < 1e-12);
      }
    }
  });

  it('the divide-and-conquer and WebAssembly eigensolvers return orthonormal eigenpairs on hard spectra', () => {
    const cases: [string, Float64Array, number][] = [];
    for (const n of [1, 2, 3, 33, 100, 257]) cases.push([`random ${n}`, symmetric(n, n), n]);
    const dup = symmetric(150, 7);
    for (let j = 0; j < 150; j++) {
      dup[3 * 150 + j] = dup[2 * 150 + j];
      dup[j * 150 + 3] = dup[j * 150 + 2];
      dup[150 + j] = 0;
      dup[j * 150 + 1] = 0;
    }
    cases.push(['repeated and zero', dup, 150]);
    const low = gaussianMatrix(new Rng(4), 200, 60);
    cases.push(['rank 60 of 200', plainJsKernel.gram(low, 200, 60), 200]);
    const clustered = new Float64Array(120 * 120);
    for (let i = 0; i < 120; i++) clustered[i * 120 + i] = i % 3;
    cases.push(['three-valued diagonal', clustered, 120]);
    cases.push(['all ones', new Float64Array(64 * 64).fill(1), 64]);
    for (const [label, s, n] of cases) {
      const ref = jsEigh(s.slice(), n);
      const scale = Math.max(1e-300, ...Array.from(ref.values, Math.abs));
      const dc = (() => {
        // Plain-JS divide and conquer on the tridiagonal of a diagonal-plus-one matrix checks tridiag-dc on its own.
        const d = Float64Array.from({ length: n }, (_, i) => s[i * n + i]),
          e = Float64Array.from({ length: n }, (_, i) => (i < n - 1 ? s[i * n + i + 1] : 0));
        return { d, e, t: tridiagEigen(d, e, n, jsMul) };
      })();
      for (let i = 0; i < n; i++) {
        let av = 0;
        const { d, e, t } = dc;
        for (let r = 0; r < n; r++) {
          av = d[r] * t.u[i * n + r] + (r > 0 ? e[r - 1] * t.u[i * n + r - 1] : 0) + (r < n - 1 ? e[r] * t.u[i * n + r + 1] : 0);
          assert.ok(Math.abs(av - t.lam[i] * t.u[i * n + r]) < 1e-12 * Math.max(1, ...Array.from(d, Math.abs)), `tridiagonal residual ${label}`);
        }
      }
      for (const eig of [wasmEigh(s.slice(), n), wasmKernel.eigh(s.slice(), n)]) {
        for (let i = 0; i < n; i++) {
          assert.ok(Math.abs(eig.values[i] - ref.values[i]) <= 1e-13 * scale, `${label}: value ${i}`);
          for (let r = 0; r < n; r++) {
            let av = 0;
            for (let c = 0; c < n; c++) av += s[r * n + c] * eig.vectors[i * n + c];
            assert.ok(Math.abs(av - eig.values[i] * eig.vectors[i * n + r]) < 1e-12 * scale, `${label}: residual ${i}`);
          }
          for (let j = 0; j <= i; j++) {
            let dot = 0;
            for (let c = 0; c < n; c++) dot += eig.vectors[i * n + c] * eig.vectors[j * n + c];
            assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12, `${label}: orthonormal ${i} ${j}`);
          }
        }
      }
    }
  });

  it('the WebAssembly module assembles, validates and is what the portable kernel runs here', () => {
    assert.ok(WebAssembly.validate(kernelBytes()));
    assert.equal(selectKernel('js').engine, 'wasm-simd');
    assert.equal(selectKernel('js', { wasm: false }).engine, 'plain-js');
    selectKernel('auto');
  });

  it('every kernel agrees on gram, gramT, cross, mul, eigenvalues and the leading eigenpairs (odd sizes, float32 and float64)', () => {
    const others: Kernel[] = [wasmKernel];
    if (kernels().length > 1) {
      selectKernel('native-openblas');
      others.push(kernel());
    }
    selectKernel('auto');
    for (const [r1, r2, m] of [
      [9, 7, 50],
      [13, 6, 301],
      [70, 35, 777],
    ]) {
      const x = Float32Array.from(gaussianMatrix(new Rng(1), r1, m));
      const y = gaussianMatrix(new Rng(2), r2, m);
      const near = (p: Float64Array, q: Float64Array) => {
        assert.equal(p.length, q.length);
        p.forEach((v, i) => assert.ok(Math.abs(v - q[i]) < 1e-10, `${v} vs ${q[i]}`));
      };
      const base = plainJsKernel;
      for (const k of others) {
        near(k.gram(x, r1, m), base.gram(x, r1, m));
        near(k.cross(x, r1, y, r2, m), base.cross(x, r1, y, r2, m));
        near(k.mul(y, r2, m, Float64Array.from(x), r1), base.mul(y, r2, m, Float64Array.from(x), r1));
        const s = symmetric(r1, 3);
        near(k.eigvals(s.slice(), r1), base.eigvals(s.slice(), r1));
        near(k.eigh(s.slice(), r1).values, base.eigh(s.slice(), r1).values);
        near(
          k.gramT(x, r1, m),
          base.gram(
            Float64Array.from({ length: m * r1 }, (_, i) => x[(i % r1) * m + Math.floor(i / r1)]),
            m,
            r1,
          ),
        );
        const top = k.eigTop(s.slice(), r1, 3),
          all = base.eigh(s.slice(), r1);
        near(top.values, all.values.slice(0, 3));
        for (let i = 0; i < 3; i++) {
          let d = 0; // same eigenvector up to sign
          for (let j = 0; j < r1; j++) d += top.vectors[i * r1 + j] * all.vectors[i * r1 + j];
          assert.ok(Math.abs(Math.abs(d) - 1) < 1e-9, `eigTop vector ${i}`);
        }
      }
    }
  });

  it('the portable kernel matches native (or plain JS) to 1e-12 relative on every reference case', () => {
    const ref = kernels().includes('native-openblas') ? () => selectKernel('native-openblas') : () => selectKernel('js', { wasm: false });
    for (const c of referenceCases().cases) {
      const a = loadLayer(c.a.file),
        b = loadLayer(c.b.file);
      const metrics = ['svcca', 'svcca-k', 'pwcca', 'cka'] as const;
      ref();
      const want = similarities(a, b, metrics);
      selectKernel('js');
      const got = similarities(a, b, metrics);
      got.forEach((r, i) => {
        assert.ok(
          Math.abs(r.value - want[i].value) <= 1e-12 * Math.max(1e-3, Math.abs(want[i].value)),
          `${c.name} ${r.metric}: ${r.value} vs ${want[i].value}`,
        );
        assert.deepEqual(r.k, want[i].k);
      });
    }
    selectKernel('auto');
  });

  it('LAYERWATCH_KERNEL=js forces the portable kernel and kernelInfo says so; LAYERWATCH_WASM=0 takes it off WebAssembly', () => {
    const code = "import('./lib/analysis/index.ts').then((m) => console.log(JSON.stringify(m.kernelInfo())))";
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
    const res = run({ LAYERWATCH_KERNEL: 'js' });
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { name: 'js', engine: 'wasm-simd', reason: 'LAYERWATCH_KERNEL=js' });
    const plain = run({ LAYERWATCH_KERNEL: 'js', LAYERWATCH_WASM: '0' });
    assert.equal(plain.status, 0, plain.stderr);
    assert.deepEqual(JSON.parse(plain.stdout), { name: 'js', engine: 'plain-js', reason: 'LAYERWATCH_KERNEL=js; LAYERWATCH_WASM=0' });
  });

  it('products shared with the helper thread are bit-identical to single-threaded ones', () => {
    const code = [
      "import('./lib/analysis/wasm/engine.ts').then(async (e) => {",
      "  const { gaussianMatrix, Rng } = await import('./lib/random.ts');",
      '  const x = gaussianMatrix(new Rng(1), 300, 1501), y = gaussianMatrix(new Rng(2), 290, 1501);',
      '  const g = e.wasmGram(x, 300, 1501), c = e.wasmCross(x, 300, y, 290, 1501);',
      "  const { createHash } = await import('node:crypto');",
      "  const hash = (a) => createHash('sha256').update(new Uint8Array(a.buffer)).digest('hex');",
      '  console.log(JSON.stringify({ threads: e.wasmThreads(), g: hash(g), c: hash(c) }));',
      '});',
    ].join('\n');
    const run = (threads: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
        cwd: ROOT,
        env: { ...process.env, LAYERWATCH_WASM_THREADS: threads },
        encoding: 'utf8',
        timeout: 120_000,
      });
    const one = run('0'),
      two = run('1');
    assert.equal(one.status, 0, `${one.signal} ${one.stderr}`);
    assert.equal(two.status, 0, `${two.signal} ${two.stderr}`);
    const [p, q] = [JSON.parse(one.stdout), JSON.parse(two.stdout)];
    assert.equal(p.threads, 1);
    if (availableParallelism() > 1) assert.equal(q.threads, 2);
    assert.equal(q.g, p.g);
    assert.equal(q.c, p.c);
  });

  it('the WebAssembly kernel runs inside a worker thread and from an esbuild bundle (with its helper thread)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerwatch-wasm-'));
    try {
      const entry = join(dir, 'entry.ts');
      writeFileSync(
        entry,
        [
          `import { Worker, isMainThread, parentPort } from 'node:worker_threads';`,
          `import { selectKernel, similarity, gaussianMatrix, Rng } from ${JSON.stringify(join(ROOT, 'lib/analysis/index.ts'))};`,
          `import { wasmThreads } from ${JSON.stringify(join(ROOT, 'lib/analysis/wasm/engine.ts'))};`,
          `// 200 × 3000: the Gram and cross products are large enough to use the helper thread on the main thread.`,
          `const run = () => { const info = selectKernel('js'); const a = gaussianMatrix(new Rng(1), 200, 3000), b = gaussianMatrix(new Rng(2), 200, 3000);`,
          `  return { engine: info.engine, threads: wasmThreads(), value: similarity({ data: a, units: 200, examples: 3000 }, { data: b, units: 200, examples: 3000 }, 'svcca').value }; };`,
          `if (isMainThread) { const w = new Worker(new URL(import.meta.url)); w.on('message', (m) => { console.log(JSON.stringify([run(), m])); w.terminate(); }); }`,
          `else parentPort!.postMessage(run());`,
        ].join('\n'),
      );
      const { build } = await import('esbuild');
      const out = join(dir, 'bundle.mjs');
      await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'silent' });
      const res = spawnSync(process.execPath, [out], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, LAYERWATCH_KERNEL: 'js', LAYERWATCH_WASM_THREADS: '1' },
      });
      assert.equal(res.status, 0, res.stderr);
      const [main, worker] = JSON.parse(res.stdout);
      assert.equal(main.engine, 'wasm-simd');
      assert.equal(worker.engine, 'wasm-simd');
      assert.equal(worker.threads, 1);
      if (availableParallelism() > 1) assert.equal(main.threads, 2);
      assert.equal(worker.value, main.value);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
