/** The `series` request on /live: one scalar series of a run, any step range, at up to `points` points (min/max-decimated beyond). */
import { ProtocolError, type LiveRequest, type Series } from '../../lib/protocol';
import type { RunRegistry } from '../runs/registry';
import { runOf } from './analysis-requests';

const MAX_POINTS = 1_000_000;

/** Handler for `{type: "request", what: "series", run, params: {name, from?, to?, points?}}`. */
export function seriesRequest(registry: RunRegistry): (req: LiveRequest) => Promise<Series> {
  return async (req) => {
    const state = await runOf(registry, req.run);
    const { name, from, to, points } = req.params ?? {};
    const series = typeof name === 'string' ? state.scalars.get(name) : undefined;
    if (!series) throw new ProtocolError('BAD_REQUEST', `series needs params {name: a logged scalar, from?: step, to?: step, points?: ≤ ${MAX_POINTS}}`);
    const n = Number(points ?? MAX_POINTS);
    if (!Number.isInteger(n) || n < 3 || n > MAX_POINTS) throw new ProtocolError('BAD_REQUEST', `points must be an integer in 3-${MAX_POINTS}`);
    return series.view(n, from === undefined ? -Infinity : Number(from), to === undefined ? Infinity : Number(to));
  };
}
