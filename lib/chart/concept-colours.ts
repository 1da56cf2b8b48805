/** Categorical colours of the concept views: Okabe–Ito per concept category, Paul Tol's "muted" scheme per concept (both colour-blind safe). */
import { OKABE_ITO } from './colour';

/** Paul Tol's muted qualitative scheme (9 colours, distinguishable with the common colour-vision deficiencies). */
export const TOL_MUTED = ['#CC6677', '#332288', '#DDCC77', '#117733', '#88CCEE', '#882255', '#44AA99', '#999933', '#AA4499'] as const;

/** Colour of category i (Okabe–Ito; past eight the colours repeat, so the legend names them). */
export function categoryColour(i: number): string {
  return OKABE_ITO[i % OKABE_ITO.length];
}

/** Colour of concept i (Tol muted; past nine the colours repeat, so readouts name the concept). */
export function conceptColour(i: number): string {
  return TOL_MUTED[i % TOL_MUTED.length];
}

/** Quantiles (p in [0, 1], linear interpolation) of the finite values, or null when there are none. */
export function quantiles(values: ReadonlyArray<number | null>, ps: readonly number[]): number[] | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (!xs.length) return null;
  return ps.map((p) => {
    const pos = p * (xs.length - 1), lo = Math.floor(pos), hi = Math.ceil(pos);
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
  });
}
