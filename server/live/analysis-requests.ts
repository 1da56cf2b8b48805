/** The /live `request` kinds answered by the analysis: layer-matrix, compare, run-at, reanalyse, cancel-reanalysis, unit-examples, concept-units, gradcam. */
import { ConceptUnitsParams, DEFAULT_METRIC, GradcamParams, MAX_CONCEPT_UNITS, MetricName, ProtocolError, UnitExamplesParams, runTopic, type LiveRequest } from '../../lib/protocol';
import { gradcamView } from '../analysis/gradcam';
import { unitExamples } from '../analysis/unit-examples';
import type { AnalysisManager } from '../analysis/manager';
import type { RequestHandler } from './endpoint';
import type { RunRegistry } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import { isValidRunId } from '../storage/run-id';

type Params = LiveRequest['params'];

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

function metricOf(params: Params): MetricName {
  const metric = MetricName.safeParse(params?.metric ?? DEFAULT_METRIC);
  if (!metric.success) throw bad(`metric must be one of ${MetricName.options.join(', ')}`);
  return metric.data;
}

/** An optional numeric parameter; a present but non-numeric one is an error. */
function numberOf(params: Params, name: string): number | undefined {
  const v = params?.[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v === 'boolean' || !Number.isFinite(n)) throw bad(`${name} must be a number`);
  return n;
}

/** Registers the analysis requests on the /live request table. */
export function registerAnalysisRequests(requests: Map<string, RequestHandler>, registry: RunRegistry, analysis: AnalysisManager): void {
  requests.set('layer-matrix', async (req) => {
    const state = await runOf(registry, req.run);
    const step = numberOf(req.params, 'step') ?? state.lastStep;
    if (step === null) throw bad('the run has no checkpoint yet');
    return analysis.layerMatrix(state, step, metricOf(req.params));
  });
  requests.set('compare', async (req) => {
    const other = req.params?.other;
    if (typeof other !== 'string') throw bad('compare needs params.other: the second run id');
    const [a, b] = await Promise.all([runOf(registry, req.run), runOf(registry, other)]);
    return analysis.compare(a, b, metricOf(req.params), numberOf(req.params, 'step'), numberOf(req.params, 'otherStep'));
  });
  requests.set('run-at', async (req) => {
    const state = await runOf(registry, req.run);
    const step = numberOf(req.params, 'step');
    if (step === undefined) throw bad('run-at needs params.step');
    return analysis.runAt(state, step);
  });
  requests.set('reanalyse', async (req) => {
    const state = await runOf(registry, req.run);
    const k = numberOf(req.params, 'k');
    const threshold = numberOf(req.params, 'threshold');
    if (k !== undefined && (!Number.isInteger(k) || k < 1 || k > 4096)) throw bad('k must be an integer 1-4096');
    if (threshold !== undefined && !(threshold > 0 && threshold <= 1)) throw bad('threshold must be in (0, 1]');
    const key = await analysis.reanalyse(state, metricOf(req.params), { ...(k !== undefined ? { k } : {}), ...(threshold !== undefined ? { threshold } : {}) }, (progress) =>
      registry.publish(runTopic(state.meta.id), { run: { kind: 'reanalysis', progress } }),
    );
    return { key };
  });
  requests.set('unit-examples', async (req) => {
    const state = await runOf(registry, req.run);
    const params = UnitExamplesParams.safeParse(req.params ?? {});
    if (!params.success) {
      const issue = params.error.issues[0];
      throw bad(`unit-examples params {layer, unit, step?, k? ≤ 64}: ${issue.path.join('.') || 'params'}: ${issue.message}`);
    }
    return unitExamples(state, params.data, analysis, registry.logPath(state.meta.id));
  });
  requests.set('concept-units', async (req) => {
    const state = await runOf(registry, req.run);
    const params = ConceptUnitsParams.safeParse(req.params ?? {});
    if (!params.success) {
      const issue = params.error.issues[0];
      throw bad(`concept-units params {layer, from?, count? ≤ ${MAX_CONCEPT_UNITS}}: ${issue.path.join('.') || 'params'}: ${issue.message}`);
    }
    await analysis.load(state);
    return analysis.concepts.units(state.meta.id, params.data);
  });
  requests.set('gradcam', async (req) => {
    const state = await runOf(registry, req.run);
    const params = GradcamParams.safeParse(req.params ?? {});
    if (!params.success) throw bad('gradcam params {step?}: step must be a non-negative integer');
    const [refs, images] = await Promise.all([analysis.gradcamRefs(state), analysis.imageChunks(state)]);
    return gradcamView(state, params.data, refs, images, registry.logPath(state.meta.id));
  });
  requests.set('cancel-reanalysis', async (req) => {
    const key = req.params?.key;
    if (typeof key !== 'string') throw bad('cancel-reanalysis needs params.key');
    return { cancelled: analysis.cancelReanalysis(req.run, key) };
  });
}
