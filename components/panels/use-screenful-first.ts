'use client';
/**
 * A new answer's rows, a screenful first: when the query's answer changes (a key typed in the search), the first
 * SCREENFUL rows render with it and the rest of the page follows in a lower-priority render that the next key can
 * interrupt. Updates to the same answer (a live run's progress) render every row at once, so the page never shrinks
 * under a reader.
 */
import { useDeferredValue } from 'react';

/** Rows visible without scrolling at 1440 × 900 in either view, with a margin. */
export const SCREENFUL = 20;

export function useScreenfulFirst<T>(rows: T[], answered: string): T[] {
  const settled = useDeferredValue(answered);
  return settled === answered ? rows : rows.slice(0, SCREENFUL);
}
