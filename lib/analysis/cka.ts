/**
 * Linear CKA by the cheaper exact route per shape. Its numerator ‖X_a X_bᵀ‖²_F equals ⟨X_aᵀX_a, X_bᵀX_b⟩_F: either
 * the neuron cross product (n_a·n_b·m multiply–adds per pair) or the two datapoint Grams (m² per pair once each layer's
 * m × m Gram exists, n·m²/2 to build it). A layer with more neurons than datapoints is kept as its datapoint Gram.
 */
import { centre, liveNeurons } from './centre';
import { kernel, type Real } from './kernel';
import type { Activations, PreparedLayer } from './types';

/**
 * The CKA form of a layer: its centred neurons (n ≤ m) or its m × m datapoint Gram (n > m, form 'gram'). `gramNorm`:
 * the layer's ‖X_cᵀX_c‖_F when it is already known (computed for the same frame before), which saves its n²·m/2 Gram.
 */
export function prepareCka(acts: Activations, label = 'layer', keepPrecision = true, gramNorm?: number): PreparedLayer {
  const { units, examples: m } = acts;
  const { rows, sumsq } = centre(acts, label, keepPrecision);
  // CKA uses every neuron; `kept` (the live ones) is what a reduction to a sketch would use.
  const base = { units, examples: m, kept: liveNeurons(sumsq), values: new Float64Array(0), vectors: new Float64Array(0), metrics: ['cka' as const] };
  if (units > m) {
    const g = kernel().gramT(rows, units, m);
    return { ...base, form: 'gram', rows: g, rowCount: m, gramNorm: frobenius(g) };
  }
  const norm = gramNorm !== undefined && Number.isFinite(gramNorm) ? gramNorm : frobenius(kernel().gram(rows, units, m));
  return { ...base, form: 'data', rows, rowCount: units, gramNorm: norm };
}

/** ‖g‖_F (CKA's normaliser from either Gram), summed with an indexed loop (a for…of over a large typed array is measurably slower). */
export function frobenius(g: Float64Array): number {
  let ss = 0;
  for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  return Math.sqrt(ss);
}

/** Which route a pair of CKA forms takes; exported for the docs table and the tests. */
export function ckaRoute(
  a: Pick<PreparedLayer, 'form' | 'units' | 'examples'>,
  b: Pick<PreparedLayer, 'form' | 'units' | 'examples'>,
): 'cross' | 'grams' | 'mixed' {
  if (a.form === 'gram' && b.form === 'gram') return 'grams';
  if (a.form === 'gram' || b.form === 'gram') return 'mixed';
  const m = a.examples;
  return a.units * b.units * m <= ((a.units + b.units) * m * m) / 2 ? 'cross' : 'grams';
}

/** ‖X_a X_bᵀ‖²_F for two CKA forms (data or gram), by the cheaper route; `cross` is the neuron cross product when already computed. */
export function crossNormSquared(a: PreparedLayer, b: PreparedLayer, cross?: Float64Array): number {
  const k = kernel();
  const m = a.examples;
  const route = ckaRoute(a, b);
  if (route === 'cross') return sumSquares(cross ?? k.cross(a.rows, a.units, b.rows, b.units, m));
  if (route === 'grams') return dot(gramOf(a), gramOf(b));
  // One side holds its neurons X, the other its Gram G: Σ_ij (X G)_ij X_ij.
  const [x, g] = a.form === 'gram' ? [b, a] : [a, b];
  const xg = k.mul(widened(x.rows), x.units, m, g.rows, m);
  let s = 0;
  for (let i = 0; i < xg.length; i++) s += xg[i] * x.rows[i];
  return s;
}

function gramOf(p: PreparedLayer): Float64Array {
  return p.form === 'gram' ? (p.rows as Float64Array) : kernel().gramT(p.rows, p.units, p.examples);
}

function widened(x: Real): Float64Array {
  return x instanceof Float64Array ? x : Float64Array.from(x);
}

function sumSquares(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
