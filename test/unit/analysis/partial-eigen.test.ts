/** The Chebyshev-filtered subspace iteration: exact to rounding on known spectra, honest about failing to converge. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kernel } from '../../../lib/analysis/kernel';
import { topEigenIterative } from '../../../lib/analysis/partial-eigen';
import { kernelVariants, randomOrthogonal } from './fixtures';

/** Q diag(λ) Qᵀ for a seeded orthogonal Q. */
function withSpectrum(values: number[], seed: number): Float64Array {
  const n = values.length;
  const q = randomOrthogonal(n, seed);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let r = 0; r < n; r++) v += q[r * n + i] * values[r] * q[r * n + j];
      s[i * n + j] = v;
    }
  return s;
}

for (const variant of kernelVariants()) {
  describe(`partial eigensolver (${variant.label})`, () => {
    it('finds the leading eigenpairs of a power-law spectrum to rounding level', () => {
      variant.use();
      const n = 200;
      const values = Array.from({ length: n }, (_, i) => 1 / (i + 1));
      const s = withSpectrum(values, 4);
      const top = topEigenIterative((q, c) => kernel().mul(q, c, n, s, n), n, 10, 500);
      assert.ok(top, 'converged');
      for (let i = 0; i < 10; i++) assert.ok(Math.abs(top.values[i] - values[i]) < 1e-12, `λ${i} ${top.values[i]}`);
      const sv = kernel().mul(top.vectors, 10, n, s, n);
      for (let i = 0; i < 10; i++) {
        let r = 0;
        for (let j = 0; j < n; j++) r += (sv[i * n + j] - top.values[i] * top.vectors[i * n + j]) ** 2;
        assert.ok(Math.sqrt(r) < 1e-10, `residual ${i}`);
      }
    });

    it('a rank-deficient operator: the zero eigenvalues come back as zeros, the block stays orthonormal', () => {
      variant.use();
      const n = 160;
      const values = Array.from({ length: n }, (_, i) => (i < 4 ? 4 - i : 0));
      const s = withSpectrum(values, 5);
      const top = topEigenIterative((q, c) => kernel().mul(q, c, n, s, n), n, 8, 500);
      assert.ok(top);
      for (let i = 0; i < 8; i++) assert.ok(Math.abs(top.values[i] - values[i]) < 1e-12, `λ${i} ${top.values[i]}`);
    });

    it('returns null when the budget runs out (the caller then decomposes fully)', () => {
      variant.use();
      const n = 200;
      const values = Array.from({ length: n }, (_, i) => 1 - i * 1e-4); // nearly flat: slow
      const s = withSpectrum(values, 6);
      assert.equal(
        topEigenIterative((q, c) => kernel().mul(q, c, n, s, n), n, 10, 6),
        null,
      );
    });
  });
}
