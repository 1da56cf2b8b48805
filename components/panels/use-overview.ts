'use client';
/**
 * One page of the run list from GET /api/overview: refetched when the query changes (the previous request is
 * aborted, so typing never waits on a stale answer) and, at most once a second, when "runs-changes" says a run
 * changed. The page's rows go into the store's run list, where the rows' sparklines and thumbnails find them.
 */
import { useEffect, useRef, useState } from 'react';
import { OverviewPage, RUNS_CHANGES_TOPIC } from '@/lib/protocol';
import { useLayerwatch, useLayerwatchApi, useTopic } from '@/store/provider';

const REFRESH_MS = 1000;

export interface Overview {
  page: OverviewPage | null;
  /** The query string the page answers (tests and the bench wait on it). */
  answered: string;
  error: string | null;
}

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** The new page, keeping the previous page's column keys and chart points where they are equal, so what draws them does not render again. */
export function keepUnchanged(prev: OverviewPage | null, next: OverviewPage): OverviewPage {
  if (!prev) return next;
  return { ...next, keys: same(prev.keys, next.keys) ? prev.keys : next.keys, points: same(prev.points, next.points) ? prev.points : next.points };
}

/** Fetches the page `params` asks for and keeps it current. */
export function useOverview(params: string): Overview {
  useTopic(RUNS_CHANGES_TOPIC);
  const store = useLayerwatchApi();
  const changes = useLayerwatch((s) => s.runs.changes);
  const [tick, setTick] = useState(0);
  const [state, setState] = useState<Overview>({ page: null, answered: '', error: null });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (changes === 0 || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      setTick((t) => t + 1);
    }, REFRESH_MS);
  }, [changes]);
  useEffect(() => () => clearTimeout(timer.current ?? undefined), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: tick: refetch when runs-changes says a run changed
  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      try {
        const res = await fetch(`/api/overview?${params}`, { signal: abort.signal, cache: 'no-store' });
        const body: unknown = await res.json();
        if (!res.ok) {
          const e = (body as { error?: { code?: string; message?: string } }).error;
          return setState((s) => ({ ...s, error: `${e?.code ?? res.status}: ${e?.message ?? 'the run list could not be read'}` }));
        }
        const page = OverviewPage.parse(body);
        store.getState().applyRunsSnapshot(page.rows);
        setState((s) => ({ page: keepUnchanged(s.page, page), answered: params, error: null }));
      } catch (err) {
        if (!abort.signal.aborted) setState((s) => ({ ...s, error: `the run list could not be read (${(err as Error).message})` }));
      }
    })();
    return () => abort.abort();
  }, [params, tick, store]);
  return state;
}
