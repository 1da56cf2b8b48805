'use client';
/** bench/render's page: the run page over a synthetic run that the bench fills and updates through window.__layerwatchBench. */
import { useEffect } from 'react';
import { RunFrame } from '@/components/panels/run-view';
import { installBenchHook } from '@/store/bench-hook';
import { useLayerwatchApi } from '@/store/provider';

const BENCH_RUN = 'bench';

export function BenchRun() {
  const store = useLayerwatchApi();
  // The frame's own effects (opening the run) run first: children before parents.
  useEffect(() => installBenchHook(store, BENCH_RUN), [store]);
  return <RunFrame id={BENCH_RUN} initial={{}} />;
}
