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
