'use client';
/** One /live request for a view: typed by the request table, asked again (debounced) when its run, params or `refresh` change. */
import { useEffect, useState } from 'react';
import type { LiveRequestName, LiveRequestParams, LiveRequestResult } from '@/lib/protocol/requests';
import { useLayerwatch, useLiveSocket } from './provider';
import { IDLE, startRequestLoad, type RequestLoad } from './request-load';

export interface LiveRequestOptions<N extends LiveRequestName> {
  /** Any value whose change asks again with the same params (new checkpoints, a retry counter). */
  refresh?: unknown;
  /** Nothing is asked while false. */
  enabled?: boolean;
  /** Debounce: the request goes out this long after the last change. */
  delayMs?: number;
  timeoutMs?: number;
  /** Answers kept by the view, keyed by run and params: a hit is shown at once, without asking. */
  cache?: Map<string, LiveRequestResult<N>>;
}

/** Asks `what` about `run` (null: nothing to ask) with `params` while connected; returns the load, the last answer kept while the next loads. */
export function useLiveRequest<N extends LiveRequestName>(
  what: N,
  run: string | null,
  params: LiveRequestParams<N>,
  options: LiveRequestOptions<N> = {},
): RequestLoad<LiveRequestResult<N>> {
  const { refresh = null, enabled = true, delayMs = 120, timeoutMs, cache } = options;
  const socket = useLiveSocket();
  const connected = useLayerwatch((s) => s.connection.status === 'open');
  const [load, setLoad] = useState<RequestLoad<LiveRequestResult<N>>>(IDLE);
  // The params by value: a view builds a new object every render.
  const key = JSON.stringify(params);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refresh: a new value asks for the same request again
  useEffect(() => {
    if (run === null || !connected || !enabled) return;
    const cacheKey = `${run}\n${key}`;
    const hit = cache?.get(cacheKey);
    if (hit !== undefined) return setLoad({ state: 'ready', data: hit });
    const ask = () =>
      socket.request(what, run, JSON.parse(key) as LiveRequestParams<N>, timeoutMs).then((data) => {
        cache?.set(cacheKey, data);
        return data;
      });
    return startRequestLoad(ask, delayMs, setLoad);
  }, [socket, connected, what, run, key, refresh, enabled, delayMs, timeoutMs, cache]);
  return load;
}
