/** What each /live topic holds: the run list, its change feed, or one run's state with its analysis (the broadcaster's prepare/snapshot). */
import { BoundedMap } from '../../lib/bounded-map';
import { RUNS_CHANGES_TOPIC, topicRunId } from '../../lib/protocol';
import type { AnalysisManager } from '../analysis/manager';
import type { RunRegistry } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import type { BroadcasterOptions } from './broadcaster';

/** Past runs held between prepare and snapshot: with many runs subscribed at once the registry's cache may evict one meanwhile. */
const PREPARED_HELD = 64;

export function topicSource(
  registry: RunRegistry,
  analysis: AnalysisManager,
  onLoaded: (runId: string) => void,
): Pick<BroadcasterOptions, 'prepare' | 'snapshot'> {
  const prepared = new BoundedMap<string, RunState>(PREPARED_HELD);
  return {
    prepare: async (topic) => {
      const id = topicRunId(topic);
      if (id === null) return topic === 'runs' || topic === RUNS_CHANGES_TOPIC;
      const state = await registry.load(id);
      if (!state) return false;
      await analysis.load(state);
      onLoaded(id);
      prepared.set(id, state);
      return true;
    },
    snapshot: (topic) => {
      const id = topicRunId(topic);
      if (id === null) return { runs: topic === 'runs' ? registry.list() : [] };
      const convergence = analysis.snapshot(id);
      const concepts = analysis.concepts.snapshot(id);
      const progress = analysis.progress(id);
      const backlog = analysis.backlog(id);
      const parts = {
        ...(convergence ? { convergence } : {}),
        ...(concepts ? { concepts } : {}),
        ...(progress ? { progress } : {}),
        ...(backlog ? { backlog } : {}),
      };
      return { run: (registry.peek(id) ?? prepared.get(id)!).snapshot(Object.keys(parts).length ? parts : undefined) };
    },
  };
}
