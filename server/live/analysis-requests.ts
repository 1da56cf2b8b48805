/** The /live `request` kinds answered by the analysis: layer-matrix, compare, run-at, reanalyse, cancel-reanalysis, unit-examples, concept-units, gradcam. */
import { ProtocolError, runTopic } from '../../lib/protocol';
import { gradcamView } from '../analysis/gradcam';
import { unitExamples } from '../analysis/unit-examples';
import type { AnalysisManager } from '../analysis/manager';
import type { LiveRequestHandlers } from './endpoint';
import type { RunRegistry } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import { isValidRunId } from '../storage/run-id';

function bad(message: string): ProtocolError {
  return new ProtocolError('BAD_REQUEST', message);
}

/** The run a request names: a malformed id is BAD_REQUEST, a well-formed one that is not stored RUN_NOT_FOUND. */
export async function runOf(registry: RunRegistry, id: string): Promise<RunState> {
  if (!isValidRunId(id)) throw bad(`"${id.slice(0, 64)}" is not a run id`);
  const state = await registry.load(id);
  if (!state) throw new ProtocolError('RUN_NOT_FOUND', `no run "${id.slice(0, 64)}"`);
  return state;
}

/** The analysis requests' handlers (params arrive parsed with their schemas in lib/protocol/requests.ts). */
export function analysisRequests(registry: RunRegistry, analysis: AnalysisManager): Omit<LiveRequestHandlers, 'series'> {
  return {
    'layer-matrix': async ({ run, params }) => {
      const state = await runOf(registry, run);
      const step = params.step ?? state.lastStep;
      if (step === null) throw bad('the run has no checkpoint yet');
      return analysis.layerMatrix(state, step, params.metric);
    },
    compare: async ({ run, params }) => {
      const [a, b] = await Promise.all([runOf(registry, run), runOf(registry, params.other)]);
      return analysis.compare(a, b, params.metric, params.step, params.otherStep);
    },
    'run-at': async ({ run, params }) => analysis.runAt(await runOf(registry, run), params.step),
    reanalyse: async ({ run, params: { metric, k, threshold } }) => {
      const state = await runOf(registry, run);
      const key = await analysis.reanalyse(
        state,
        metric,
        { ...(k !== undefined ? { k } : {}), ...(threshold !== undefined ? { threshold } : {}) },
        (progress) => registry.publish(runTopic(state.meta.id), { run: { kind: 'reanalysis', progress } }),
      );
      return { key };
    },
    'unit-examples': async ({ run, params }) => {
      const state = await runOf(registry, run);
      return unitExamples(state, params, analysis, registry.logPath(state.meta.id));
    },
    'concept-units': async ({ run, params }) => {
      const state = await runOf(registry, run);
      await analysis.load(state);
      return analysis.concepts.units(state.meta.id, params);
    },
    gradcam: async ({ run, params }) => {
      const state = await runOf(registry, run);
      const [refs, images] = await Promise.all([analysis.gradcamRefs(state), analysis.imageChunks(state)]);
      return gradcamView(state, params, refs, images, registry.logPath(state.meta.id));
    },
    'cancel-reanalysis': async ({ run, params }) => ({ cancelled: analysis.cancelReanalysis(run, params.key) }),
  };
}
