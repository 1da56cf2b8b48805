/** Opt-in server statistics for benches and operators (LAYERWATCH_STATS=1): event-loop delay, memory, CPU, fan-out counters. */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Broadcaster } from '../live/broadcaster';

export interface ServerStats {
  /** Event-loop delay since the last reset, in ms (perf_hooks.monitorEventLoopDelay sampled every 1 ms; a value includes that 1 ms). */
  eventLoop: { p50: number; p99: number; max: number; mean: number; samples: number };
  memory: NodeJS.MemoryUsage;
  /** CPU time of the whole process (main thread and workers) since the last reset, in ms. */
  cpu: { user: number; system: number; wallMs: number };
  broadcaster: Broadcaster['stats'] & ReturnType<Broadcaster['backlog']>;
  /** Analysis jobs waiting in the pool. */
  analysisQueued: number;
  /** Frames queued to be prepared while their checkpoint arrives, started, and used by their stored checkpoint (server/analysis/prefetch.ts); since start. */
  prefetch: { queued: number; started: number; claimed: number };
}

/** Whether the environment asks for /api/stats. */
export const statsEnabled = (env: NodeJS.ProcessEnv = process.env) => env.LAYERWATCH_STATS === '1';

/** Starts sampling; `read(reset)` returns the figures and, with `reset`, starts a new measurement window. */
export function createStatsSource(deps: { broadcaster: Broadcaster; analysisQueued: () => number; prefetch: () => ServerStats['prefetch'] }): {
  read(reset: boolean): ServerStats;
  stop(): void;
} {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const msOf = (ns: number) => ns / 1e6;
  return {
    read(reset) {
      const cpu = process.cpuUsage(cpu0);
      const stats: ServerStats = {
        eventLoop: {
          p50: msOf(h.percentile(50)),
          p99: msOf(h.percentile(99)),
          max: msOf(h.max),
          mean: msOf(h.mean),
          samples: h.count,
        },
        memory: process.memoryUsage(),
        cpu: { user: cpu.user / 1000, system: cpu.system / 1000, wallMs: performance.now() - t0 },
        broadcaster: { ...deps.broadcaster.stats, ...deps.broadcaster.backlog() },
        analysisQueued: deps.analysisQueued(),
        prefetch: { ...deps.prefetch() },
      };
      if (reset) {
        h.reset();
        cpu0 = process.cpuUsage();
        t0 = performance.now();
      }
      return stats;
    },
    stop: () => h.disable(),
  };
}
