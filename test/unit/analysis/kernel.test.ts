/** The two kernels: same products and eigensystems; the environment switch; the JS eigensolver on hard spectra. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { jsEigh } from '../../../lib/analysis/js-eigen';
import { jsKernel, selectKernel, kernel } from '../../../lib/analysis/kernel';
import { gaussianMatrix, seededRng } from '../../../lib/analysis/random';
import { kernels } from './fixtures';

function symmetric(n: number, seed: number): Float64Array {
  const g = gaussianMatrix(seededRng(seed), n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i];
  return g;
}

describe('kernels', () => {
  it('the JS eigensolver returns orthonormal eigenpairs, also with repeated and zero eigenvalues', () => {
    for (const n of [1, 2, 3, 17, 64]) {
      const s = symmetric(n, n);
      if (n > 3) for (let j = 0; j < n; j++) { s[3 * n + j] = s[2 * n + j]; s[j * n + 3] = s[j * n + 2]; s[n + j] = 0; s[j * n + 1] = 0; }
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

  it('native and js agree on gram, cross, mul, eigenvalues', { skip: kernels().length < 2 && 'native addon not built' }, () => {
    selectKernel('native-openblas');
    const nat = kernel();
    selectKernel('auto');
    const x = Float32Array.from(gaussianMatrix(seededRng(1), 9, 50));
    const y = gaussianMatrix(seededRng(2), 7, 50);
    const near = (p: Float64Array, q: Float64Array) => p.forEach((v, i) => assert.ok(Math.abs(v - q[i]) < 1e-10));
    near(nat.gram(x, 9, 50), jsKernel.gram(x, 9, 50));
    near(nat.cross(x, 9, y, 7, 50), jsKernel.cross(x, 9, y, 7, 50));
    near(nat.mul(y, 7, 50, Float64Array.from(x), 9), jsKernel.mul(y, 7, 50, Float64Array.from(x), 9));
    const s = symmetric(30, 3);
    near(nat.eigvals(s.slice(), 30), jsKernel.eigvals(s.slice(), 30));
    near(nat.eigh(s.slice(), 30).values, jsKernel.eigh(s.slice(), 30).values);
  });

  it('LAYERWATCH_KERNEL=js forces the fallback and kernelInfo says so', () => {
    const code = "import('./lib/analysis/index.ts').then((m) => console.log(JSON.stringify(m.kernelInfo())))";
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: join(import.meta.dirname, '../../..'), env: { ...process.env, LAYERWATCH_KERNEL: 'js' }, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { name: 'js', reason: 'LAYERWATCH_KERNEL=js' });
  });
});
