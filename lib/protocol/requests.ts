/**
 * The /live request table: each `what` → its params schema → its result schema. The one definition the server's
 * handler map, the browser's `request()` and the docs' request table follow; adding a request starts here.
 */
import { z } from 'zod';
import { CompareMatrix, DEFAULT_METRIC, LayerMatrix, MetricName } from './analysis';
import { ConceptUnits, ConceptUnitsParams, MAX_CONCEPT_UNITS } from './concepts';
import { ProtocolError } from './errors';
import { GradcamParams, GradcamView } from './gradcam';
import { MAX_UNIT_EXAMPLES, RunSnapshot, Series, UnitExamples, UnitExamplesParams } from './live';

/** Most points a `series` request may ask for (and its default: the whole series). */
export const MAX_SERIES_POINTS = 1_000_000;

/** A number; a numeric string is read as one (hand-written clients send "800"), a boolean is not. */
const numeric = z.union([z.number(), z.string()], { error: 'must be a number' }).transform(Number).refine(Number.isFinite, { error: 'must be a number' });
const metric = MetricName.default(DEFAULT_METRIC);

/** One row of the table: `usage` is the params' shape as error messages and docs/protocol.md write it. */
interface RequestSpec<P extends z.ZodType, R extends z.ZodType> {
  params: P;
  result: R;
  usage: string;
}
const spec = <P extends z.ZodType, R extends z.ZodType>(params: P, result: R, usage: string): RequestSpec<P, R> => ({ params, result, usage });

export const LIVE_REQUESTS = {
  series: spec(
    z.object({
      name: z.string(),
      from: numeric.optional(),
      to: numeric.optional(),
      points: numeric.pipe(z.number().int().min(3).max(MAX_SERIES_POINTS)).default(MAX_SERIES_POINTS),
    }),
    Series,
    `{name: a logged scalar, from?: step, to?: step, points?: 3-${MAX_SERIES_POINTS}}`,
  ),
  'layer-matrix': spec(z.object({ step: numeric.optional(), metric }), LayerMatrix, '{step?, metric?}'),
  compare: spec(
    z.object({ other: z.string({ error: 'the second run id is required' }), metric, step: numeric.optional(), otherStep: numeric.optional() }),
    CompareMatrix,
    '{other: the second run id, metric?, step?, otherStep?}',
  ),
  'run-at': spec(z.object({ step: numeric }), RunSnapshot, '{step}'),
  reanalyse: spec(
    z.object({
      metric,
      k: numeric.pipe(z.number().int().min(1).max(4096, { error: 'must be an integer 1-4096' })).optional(),
      threshold: numeric.refine((t) => t > 0 && t <= 1, { error: 'must be in (0, 1]' }).optional(),
    }),
    z.object({ key: z.string() }),
    '{metric?, k?: 1-4096, threshold?: (0, 1]}',
  ),
  'cancel-reanalysis': spec(z.object({ key: z.string() }), z.object({ cancelled: z.boolean() }), '{key}'),
  'unit-examples': spec(UnitExamplesParams, UnitExamples, `{layer, unit, step?, k? ≤ ${MAX_UNIT_EXAMPLES}}`),
  'concept-units': spec(ConceptUnitsParams, ConceptUnits, `{layer, from?, count? ≤ ${MAX_CONCEPT_UNITS}}`),
  gradcam: spec(GradcamParams, GradcamView.nullable(), '{step?}'),
} as const;

export type LiveRequestName = keyof typeof LIVE_REQUESTS;
type Spec<N extends LiveRequestName> = (typeof LIVE_REQUESTS)[N];
/** Params as a client writes them (defaults optional). */
export type LiveRequestParams<N extends LiveRequestName> = z.input<Spec<N>['params']>;
/** Params as a handler receives them (parsed, defaults filled). */
export type LiveRequestArgs<N extends LiveRequestName> = z.output<Spec<N>['params']>;
/** The answer as a handler returns it (before the client's parse fills defaults). */
export type LiveRequestAnswer<N extends LiveRequestName> = z.input<Spec<N>['result']>;
/** The answer as a client receives it, parsed. */
export type LiveRequestResult<N extends LiveRequestName> = z.output<Spec<N>['result']>;

/** A request after the edge: its name is in the table and its params passed their schema. */
export type ParsedLiveRequest = { [N in LiveRequestName]: { what: N; run: string; params: LiveRequestArgs<N> } }[LiveRequestName];

/** Whether `what` names a request of the table. */
export function isLiveRequestName(what: string): what is LiveRequestName {
  return Object.hasOwn(LIVE_REQUESTS, what);
}

/** Checks a request's name and params against the table: BAD_REQUEST (one line naming the field) when either is wrong. */
export function parseLiveRequest(what: string, run: string, params: unknown): ParsedLiveRequest {
  if (!isLiveRequestName(what)) throw new ProtocolError('BAD_REQUEST', `unknown request "${what.slice(0, 64)}"`);
  const { params: schema, usage } = LIVE_REQUESTS[what];
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProtocolError('BAD_REQUEST', `${what} params ${usage}: ${issue.path.join('.') || 'params'}: ${issue.message}`);
  }
  return { what, run, params: parsed.data } as ParsedLiveRequest;
}

/** Parses a request's answer with its result schema: the data, or the first issue as one line. */
export function parseLiveResult<N extends LiveRequestName>(what: N, data: unknown): { ok: true; data: LiveRequestResult<N> } | { ok: false; message: string } {
  const parsed = LIVE_REQUESTS[what].result.safeParse(data);
  if (parsed.success) return { ok: true, data: parsed.data as LiveRequestResult<N> };
  const issue = parsed.error.issues[0];
  return { ok: false, message: `the server answered "${what}" with unexpected data (${issue.path.join('.') || 'data'}: ${issue.message})` };
}
