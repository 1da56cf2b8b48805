'use client';
/** A store selection refreshed at most every `ms` (and at the trailing edge), for charts fed by high-rate deltas. */
import { useEffect, useState } from 'react';
import type { LayerwatchState } from './state';
import { useLayerwatchApi } from './provider';

/** Returns `select(state)`, recomputed when `changed(next, prev)` says so, no more often than every `ms`. */
export function useThrottledSelection<T>(select: (s: LayerwatchState) => T, changed: (next: LayerwatchState, prev: LayerwatchState) => boolean, ms: number): T {
  const store = useLayerwatchApi();
  const [value, setValue] = useState(() => select(store.getState()));
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    const flush = () => {
      timer = null;
      last = performance.now();
      setValue(select(store.getState()));
    };
    flush();
    const unsubscribe = store.subscribe((next, prev) => {
      if (!changed(next, prev) || timer) return;
      timer = setTimeout(flush, Math.max(0, ms - (performance.now() - last)));
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
    // select/changed are expected to be stable (module-level or memoised); re-subscribing on identity change is harmless.
  }, [store, select, changed, ms]);
  return value;
}
