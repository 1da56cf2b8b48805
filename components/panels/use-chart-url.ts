'use client';
/**
 * The scalar charts' settings in the URL (logx, logy, smooth, band; lib/chart/chart-settings.ts), on the run page and
 * the compare page alike: read once when the page opens, then mirrored with history.replaceState, keeping every
 * other parameter of the current URL.
 */
import { useEffect } from 'react';
import { parseChartParams, writeChartParams } from '@/lib/chart/chart-settings';
import { useLayerwatchApi } from '@/store/provider';

/** Applies the URL's chart settings, then keeps the URL current as they change. */
export function useChartUrl(): void {
  const store = useLayerwatchApi();
  useEffect(() => {
    store.getState().setCharts(parseChartParams(new URLSearchParams(window.location.search)));
    return store.subscribe((n, p) => {
      if (n.charts === p.charts) return;
      const q = new URLSearchParams(window.location.search);
      writeChartParams(q, n.charts);
      const text = q.toString();
      window.history.replaceState(null, '', `${window.location.pathname}${text ? `?${text}` : ''}${window.location.hash}`);
    });
  }, [store]);
}
