/**
 * Is a unit's overlap with a concept more than chance? The one-sided hypergeometric tail of its tallies: of `total`
 * counted positions (examples, or pixels), `gt` show the concept and the unit is on at `act` of them; the probability
 * that a random set of `act` positions holds at least `inter` of the concept's is P(X ≥ inter), X ~ Hypergeom(total, gt, act).
 *
 * Why: NetDissect's IoU > 0.04 is an effect size measured on millions of pixels. On an image-level layer of a 500-example
 * probe the top 1% is 5 examples, and 2 of them showing a concept on 9% of the probe already give IoU 0.042 — which a
 * random unit does with probability ≈ 0.07 per concept. Requiring the overlap to be significant removes those detectors
 * and leaves NetDissect's rule unchanged wherever counts are large.
 */

/** Significance level a detector's overlap must reach (per unit and concept). */
export const DETECTOR_ALPHA = 0.001;

const SMALL = 256;
const smallLogFactorials = (() => {
  const t = new Float64Array(SMALL);
  for (let n = 2; n < SMALL; n++) t[n] = t[n - 1] + Math.log(n);
  return t;
})();

/** ln(n!) for a non-negative integer n (a table below 256, Stirling's series above: error < 1e-16 relative). */
export function logFactorial(n: number): number {
  if (n < SMALL) return smallLogFactorials[n];
  const inv = 1 / n,
    inv2 = inv * inv;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

const logChoose = (n: number, k: number) => logFactorial(n) - logFactorial(k) - logFactorial(n - k);

/** P(X ≥ inter) for X ~ Hypergeom(total, gt, act); all arguments are counts (rounded to integers). */
export function overlapPValue(total: number, gt: number, act: number, inter: number): number {
  const N = Math.round(total),
    G = Math.round(gt),
    A = Math.round(act),
    I = Math.round(inter);
  const lo = Math.max(0, A + G - N),
    hi = Math.min(A, G);
  if (I <= lo) return 1;
  if (I > hi) return 0;
  const pmf = (x: number) => Math.exp(logChoose(G, x) + logChoose(N - G, A - x) - logChoose(N, A));
  const mode = Math.floor(((A + 1) * (G + 1)) / (N + 2));
  // Sum the tail that lies away from the mode, where terms only shrink (and may underflow harmlessly).
  let sum = 0;
  if (I > mode) {
    let term = pmf(I);
    for (let x = I; x <= hi && term > sum * 1e-17; x++) {
      sum += term;
      term *= ((A - x) * (G - x)) / ((x + 1) * (N - A - G + x + 1)); // P(x + 1) / P(x)
    }
    return Math.min(1, sum);
  }
  let term = pmf(I - 1);
  for (let x = I - 1; x >= lo && term > sum * 1e-17; x--) {
    sum += term;
    term *= (x * (N - A - G + x)) / ((A - x + 1) * (G - x + 1)); // P(x − 1) / P(x)
  }
  return Math.max(0, 1 - sum);
}
