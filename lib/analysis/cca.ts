/** Canonical correlations and PWCCA weights from the whitened cross term M = Q_aᵀ Q_b. */
import { kernel } from './kernel';
import type { PreparedLayer } from './types';

/** Leading da × db block of row-major m (rows × cols). */
export function block(m: Float64Array, cols: number, da: number, db: number): Float64Array {
  if (da * db === 0) return new Float64Array(0);
  const out = new Float64Array(da * db);
  for (let i = 0; i < da; i++) out.set(m.subarray(i * cols, i * cols + db), i * db);
  return out;
}

/** Transpose of row-major m (rows × cols). */
export function transpose(m: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
  return t;
}

/** Canonical correlations (descending, min(da, db) of them) and, when asked, the singular vectors on side a or b as rows. */
export function canonical(mab: Float64Array, da: number, db: number, side?: 'a' | 'b'): { rho: number[]; vectors?: Float64Array } {
  const q = Math.min(da, db);
  if (q === 0) return { rho: [] };
  const onA = side ? side === 'a' : da <= db;
  // M Mᵀ (da × da) or Mᵀ M (db × db): its eigenvalues are the squared cosines of the principal angles.
  const s = onA ? kernel().gram(mab, da, db) : kernel().gram(transpose(mab, da, db), db, da);
  const n = onA ? da : db;
  if (!side) {
    const values = kernel().eigvals(s, n);
    return { rho: Array.from(values.subarray(0, q), (v) => Math.sqrt(Math.min(1, Math.max(0, v)))) };
  }
  const { values, vectors } = kernel().eigh(s, n);
  const rho: number[] = [];
  for (let i = 0; i < q; i++) rho.push(Math.sqrt(Math.min(1, Math.max(0, values[i]))));
  return { rho, vectors: vectors.subarray(0, q * n) };
}

/** Σ_j |⟨h_i, z_j⟩| for the first q canonical variates h_i = Q u_i of a layer: u (q × d) against the loadings √λ_r v_r of its live neurons. */
export function variateWeights(p: PreparedLayer, u: Float64Array, q: number, d: number): Float64Array {
  const n = p.kept.length;
  const load = new Float64Array(d * n);
  for (let r = 0; r < d; r++) {
    const s = Math.sqrt(p.values[r]);
    for (let j = 0; j < n; j++) load[r * n + j] = p.vectors[r * n + j] * s;
  }
  const h = kernel().mul(u, q, d, load, n);
  const alpha = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(h[i * n + j]);
    alpha[i] = s;
  }
  return alpha;
}

/** Σα_iρ_i / Σα_i. */
export function weightedMean(rho: number[], alpha: Float64Array): number {
  let num = 0,
    den = 0;
  for (let i = 0; i < rho.length; i++) {
    num += alpha[i] * rho[i];
    den += alpha[i];
  }
  return den > 0 ? num / den : 0;
}

/** PWCCA (Morcos et al. 2018) on the whitened cross term: weights from the side with fewer live neurons, then lower rank; a full tie averages both sides so A↔B stays symmetric. */
export function pwcca(a: PreparedLayer, b: PreparedLayer, mab: Float64Array, da: number, db: number): number {
  const q = Math.min(da, db);
  if (q === 0) return 0;
  const side = (p: PreparedLayer, o: PreparedLayer) => p.kept.length - o.kept.length || p.values.length - o.values.length;
  const order = side(a, b);
  const fromA = () => {
    const { rho, vectors } = canonical(mab, da, db, 'a');
    return weightedMean(rho, variateWeights(a, vectors as Float64Array, q, da));
  };
  const fromB = () => {
    const { rho, vectors } = canonical(mab, da, db, 'b');
    return weightedMean(rho, variateWeights(b, vectors as Float64Array, q, db));
  };
  if (order < 0) return fromA();
  if (order > 0) return fromB();
  return (fromA() + fromB()) / 2;
}
