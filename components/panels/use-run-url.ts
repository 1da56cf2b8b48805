'use client';
/**
 * The run page's URL holds what a link should reopen: `step` (the scrubbed or replayed checkpoint), `metric` and `open`
 * (expanded panels). Read once when the page opens (the step once the run's checkpoints are known), then kept current
 * with history.replaceState (no navigation, no re-render).
 */
import { useEffect } from 'react';
import { MetricName } from '@/lib/protocol/analysis';
import { useLayerwatchApi } from '@/store/provider';
import type { LayerwatchState } from '@/store/state';
import { selectReplay } from '@/store/slices/timeline';
import { parsePanels } from '@/store/slices/view';
import type { Scrub } from './use-scrub';

export interface RunUrlState {
  step?: string;
  metric?: string;
  open?: string;
}

/** The query the state asks for (other parameters of the current URL are kept). */
export function runQuery(s: LayerwatchState, current: URLSearchParams): string {
  const q = new URLSearchParams(current);
  const replay = selectReplay(s);
  const at = replay ? (s.timeline.target ?? s.timeline.frame) : s.view.scrub;
  const step = at === null ? undefined : (replay ? s.timeline.steps : s.run.steps)[at];
  const set = (k: string, v: string | undefined) => (v === undefined || v === '' ? q.delete(k) : q.set(k, v));
  set('step', step === undefined ? undefined : String(step));
  set('metric', s.view.metric ?? undefined);
  set('open', s.view.open.join(','));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** Applies the initial URL state, then mirrors the store into the URL. */
export function useRunUrl(initial: RunUrlState, scrub: Scrub): void {
  const store = useLayerwatchApi();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the URL's initial state is read once, when the page opens
  useEffect(() => {
    const s = store.getState();
    const metric = MetricName.safeParse(initial.metric);
    if (metric.success) s.setMetric(metric.data);
    s.setOpenPanels(parsePanels(initial.open));
    const wanted = initial.step !== undefined && initial.step !== '' ? Number(initial.step) : null;
    let applied = wanted === null || !Number.isFinite(wanted);
    let timer: ReturnType<typeof setTimeout> | null = null;
    const write = () => {
      timer = null;
      const query = runQuery(store.getState(), new URLSearchParams(window.location.search));
      if (query !== window.location.search) window.history.replaceState(null, '', `${window.location.pathname}${query}${window.location.hash}`);
    };
    const check = (st: LayerwatchState) => {
      if (!applied) {
        if (st.run.load !== 'ready' || st.timeline.meta === null) return;
        const steps = selectReplay(st) ? st.timeline.steps : st.run.steps;
        const i = steps.indexOf(wanted!);
        applied = true;
        if (i >= 0) scrub.seek(i);
        return;
      }
      if (!timer) timer = setTimeout(write, 150);
    };
    check(store.getState());
    const unsubscribe = store.subscribe((n, p) => {
      if (applied && n.view === p.view && n.timeline === p.timeline && n.run.steps === p.run.steps) return;
      check(n);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
    // Read once per page: later URL changes come from this hook itself.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [store, scrub]);
}
