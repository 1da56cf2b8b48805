/** The `series` request on /live: one scalar series of a run, any step range, at up to `points` points (min/max-decimated beyond). */
import { ProtocolError, type LiveRequest, type Series } from '../lib/protocol';
import type { RunRegistry } from './run-registry';
import { isValidRunId } from './storage/run-id';

const MAX_POINTS = 1_000_000;

/** Handler for `{type: "request", what: "series", run, params: {name, from?, to?, points?}}`. */
export function seriesRequest(registry: RunRegistry): (req: LiveRequest) => Promise<Series> {
  return async (req) => {
    if (!isValidRunId(req.run)) throw new ProtocolError('BAD_REQUEST', `"${req.run.slice(0, 64)}" is not a run id`);
    const state = await registry.load(req.run);
    if (!state) throw new ProtocolError('RUN_NOT_FOUND', `no run "${req.run.slice(0, 64)}"`);
    const { name, from, to, points } = req.params ?? {};
    const series = typeof name === 'string' ? state.scalars.get(name) : undefined;
    if (!series) throw new ProtocolError('BAD_REQUEST', `series needs params {name: a logged scalar, from?: step, to?: step, points?: ≤ ${MAX_POINTS}}`);
    const n = Number(points ?? MAX_POINTS);
    if (!Number.isInteger(n) || n < 3 || n > MAX_POINTS) throw new ProtocolError('BAD_REQUEST', `points must be an integer in 3-${MAX_POINTS}`);
    return series.view(n, from === undefined ? -Infinity : Number(from), to === undefined ? Infinity : Number(to));
  };
}
