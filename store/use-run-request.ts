'use client';
/** One /live request about the open run, asked again when its params change (debounced) and parsed once with its schema. */
import { useEffect, useState } from 'react';
import type { z } from 'zod';
import { RequestError } from './live-socket';
import { useLayerwatch, useLiveSocket } from './provider';

export interface RequestLoad<T> {
  state: 'loading' | 'ready' | 'error';
  /** The last answer (kept while a new one loads or fails, so a view does not blank). */
  data: T | null;
  code?: string;
  message?: string;
}

/** Asks `what` with `params` for the open run whenever they (or `refresh`) change, `delayMs` after the last change; nothing while `enabled` is false. */
export function useRunRequest<T>(what: string, params: Record<string, string | number | boolean>, schema: z.ZodType<T>, refresh: unknown = null, { enabled = true, delayMs = 120 } = {}): RequestLoad<T> {
  const socket = useLiveSocket();
  const runId = useLayerwatch((s) => s.run.id);
  const connected = useLayerwatch((s) => s.connection.status === 'open');
  const [load, setLoad] = useState<RequestLoad<T>>({ state: 'loading', data: null });
  const key = JSON.stringify(params);
  useEffect(() => {
    if (!runId || !connected || !enabled) return;
    let cancelled = false;
    setLoad((l) => ({ state: 'loading', data: l.data }));
    // Debounced: scrubbing asks only for where it stops.
    const timer = setTimeout(() => {
      socket
        .request(what, runId, JSON.parse(key) as Record<string, string | number | boolean>)
        .then((data) => {
          const parsed = schema.safeParse(data);
          if (!parsed.success) throw new RequestError('BAD_RESPONSE', `the server answered "${what}" with unexpected data`);
          if (!cancelled) setLoad({ state: 'ready', data: parsed.data });
        })
        .catch((err: unknown) => {
          const e = err as RequestError;
          if (!cancelled) setLoad((l) => ({ state: 'error', data: l.data, code: e.code, message: e.message }));
        });
    }, delayMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [socket, runId, connected, what, key, schema, refresh, enabled, delayMs]);
  return load;
}
