/** Records canvas redraw durations when a benchmark asked for them (window.__layerwatchDrawTimes exists); otherwise free. */

declare global {
  interface Window {
    __layerwatchDrawTimes?: number[];
  }
}

/** Appends one redraw's duration in ms, if a benchmark is listening. */
export function recordDrawTime(ms: number): void {
  if (typeof window !== 'undefined') window.__layerwatchDrawTimes?.push(ms);
}
