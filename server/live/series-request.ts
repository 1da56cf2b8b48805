/** The `series` request on /live: one scalar series of a run, any step range, at up to `points` points (min/max-decimated beyond). */
import { MAX_SERIES_POINTS, ProtocolError } from '../../lib/protocol';
import type { RunRegistry } from '../runs/registry';
import { runOf } from './analysis-requests';
import type { LiveRequestHandlers } from './endpoint';

/** Handler for `{type: "request", what: "series", run, params: {name, from?, to?, points?}}`. */
export function seriesRequest(registry: RunRegistry): LiveRequestHandlers['series'] {
  return async ({ run, params: { name, from, to, points } }) => {
    const state = await runOf(registry, run);
    const series = state.scalars.get(name);
    if (!series) throw new ProtocolError('BAD_REQUEST', `series needs params {name: a logged scalar, from?: step, to?: step, points?: ≤ ${MAX_SERIES_POINTS}}`);
    return series.view(points, from ?? -Infinity, to ?? Infinity);
  };
}
