/** The state of one view's /live request, and the debounce / cancel / error steps every request-backed view shares. */
import { RequestError } from './live-socket';

export interface RequestLoad<T> {
  /** idle: nothing asked yet (disconnected, or the view asks for nothing). */
  state: 'idle' | 'loading' | 'ready' | 'error';
  /** The last answer (kept while a new one loads or fails, so a view does not blank; a view that must not show it under an error drops it there). */
  data: T | null;
  /** With state "error": the stable code (the server's, or BAD_RESPONSE, TIMEOUT, DISCONNECTED) and a message a person can act on. */
  code?: string;
  message?: string;
}

export const IDLE: RequestLoad<never> = { state: 'idle', data: null };

/**
 * Starts one debounced request: the load goes "loading" at once (keeping the last data), `ask` runs after `delayMs`
 * (so a scrubber being dragged asks only where it stops), and its answer or error is applied unless the returned
 * cancel was called first (a newer request, or the view went away).
 */
export function startRequestLoad<T>(ask: () => Promise<T>, delayMs: number, update: (next: (prev: RequestLoad<T>) => RequestLoad<T>) => void): () => void {
  let cancelled = false;
  update((l) => ({ state: 'loading', data: l.data }));
  const timer = setTimeout(() => {
    ask().then(
      (data) => {
        if (!cancelled) update(() => ({ state: 'ready', data }));
      },
      (err: unknown) => {
        if (cancelled) return;
        const e = err instanceof RequestError ? err : new RequestError('BAD_RESPONSE', err instanceof Error ? err.message : String(err));
        update((l) => ({ state: 'error', data: l.data, code: e.code, message: e.message }));
      },
    );
  }, delayMs);
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}
