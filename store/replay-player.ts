/**
 * The replay player: turns scrubber moves, step keys and playback into `run-at` requests and shows each answer as a
 * frame (store.applyFrame). One request at a time — while one is out, further seeks only move the target, so dragging
 * the scrubber asks for where it stops — plus a prefetch of the next frame during playback. Playback follows the run's
 * own pace (checkpoint times) times the speed, skipping frames when they arrive faster than they load.
 */
import { runTopic, type RunSnapshot } from '@/lib/protocol/live';
import { BoundedMap } from '@/lib/bounded-map';
import type { LayerwatchStore } from './create-store';
import type { RequestError, LiveSocket } from './live-socket';
import type { Speed } from './slices/timeline';

const CACHE = 24;
/** Longest wait between two frames at any speed (a run that paused for an hour replays without the hour). */
export const MAX_WAIT_MS = 5_000;

/** Delay until checkpoint `next` is due, given the clock (wall time `wall0` ↔ run time `t0`) and the speed. */
export function dueIn(times: readonly number[], next: number, clock: { wall0: number; t0: number }, speed: number, now: number): number {
  return Math.max(0, (times[next] - clock.t0) / speed - (now - clock.wall0));
}

/** The furthest checkpoint after `from` that is due by run time `runNow` (at least from + 1). */
export function furthestDue(times: readonly number[], from: number, runNow: number): number {
  let i = from + 1;
  while (i + 1 < times.length && times[i + 1] <= runNow) i++;
  return i;
}

export class ReplayPlayer {
  private readonly cache = new BoundedMap<number, RunSnapshot>(CACHE);
  private fetching: number | null = null;
  private prefetching: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private clock: { wall0: number; t0: number } | null = null;
  private disposed = false;

  constructor(
    private readonly store: LayerwatchStore,
    private readonly socket: LiveSocket,
    private readonly runId: string,
  ) {}

  /** Moves to checkpoint `index` of the timeline (clamped); the views follow when its frame has loaded. */
  seek(index: number, fromClock = false): void {
    const { steps, playing } = this.store.getState().timeline;
    if (!steps.length || this.disposed) return;
    const i = Math.max(0, Math.min(steps.length - 1, Math.round(index)));
    if (!fromClock && playing) this.resetClock(i);
    this.store.getState().setTimeline({ target: i });
    const hit = this.cache.get(steps[i]);
    if (hit) return this.show(i, hit);
    if (this.fetching === null) void this.fetch(i);
  }

  /** Moves by `delta` checkpoints from where the scrubber is. */
  step(delta: number): void {
    const t = this.store.getState().timeline;
    this.seek((t.target ?? t.frame ?? t.steps.length - 1) + delta);
  }

  /** Starts playback (from the first checkpoint when at the end). */
  play(): void {
    const t = this.store.getState().timeline;
    if (t.steps.length < 2) return;
    const at = t.target ?? t.frame;
    const start = at === null || at >= t.steps.length - 1 ? 0 : at;
    this.store.getState().setTimeline({ playing: true });
    this.resetClock(start);
    if (start !== t.frame) this.seek(start, true);
    else this.scheduleNext();
  }

  /** Stops playback where it is. */
  pause(): void {
    this.clearTimer();
    this.store.getState().setTimeline({ playing: false });
  }

  /** Plays or pauses. */
  toggle(): void {
    if (this.store.getState().timeline.playing) this.pause();
    else this.play();
  }

  /** Changes the speed; playback continues from the current frame at the new pace. */
  setSpeed(speed: Speed): void {
    this.store.getState().setTimeline({ speed });
    const t = this.store.getState().timeline;
    if (!t.playing || t.frame === null) return;
    this.clearTimer();
    this.resetClock(t.frame);
    this.scheduleNext();
  }

  /** Leaves the past: the views return to the run's newest state (a fresh topic snapshot). */
  follow(): void {
    this.pause();
    const s = this.store.getState();
    if (s.timeline.frame === null && s.timeline.target === null) return;
    s.setTimeline({ frame: null, target: null, frameLoad: 'idle', frameError: null, conceptsSource: null });
    this.socket.resync(runTopic(this.runId));
  }

  /** (Re)activates the player (React may mount, unmount and mount again). */
  attach(): void {
    this.disposed = false;
  }

  /** Stops timers; answers still on the way are dropped. */
  dispose(): void {
    this.disposed = true;
    this.clearTimer();
  }

  private resetClock(index: number): void {
    const { times } = this.store.getState().timeline;
    this.clock = { wall0: Date.now(), t0: times[index] ?? 0 };
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private request(index: number): Promise<RunSnapshot> {
    const step = this.store.getState().timeline.steps[index];
    return this.socket.request('run-at', this.runId, { step }).then((snap) => {
      this.cache.set(step, snap);
      return snap;
    });
  }

  private async fetch(index: number): Promise<void> {
    this.fetching = index;
    this.store.getState().setTimeline({ frameLoad: 'loading' });
    try {
      const snap = await this.request(index);
      this.fetching = null;
      if (this.disposed) return;
      const target = this.store.getState().timeline.target;
      if (target === index) this.show(index, snap);
      else if (target !== null) this.seek(target, true);
    } catch (err) {
      this.fetching = null;
      if (this.disposed) return;
      const e = err as RequestError;
      const message = e.code === 'BAD_REQUEST' && /unknown request/i.test(e.message) ? 'This server cannot replay runs yet (no run-at request).' : e.message;
      this.clearTimer();
      this.store.getState().setTimeline({ frameLoad: 'error', frameError: message, playing: false, target: null });
    }
  }

  private show(index: number, snap: RunSnapshot): void {
    const s = this.store.getState();
    if (s.timeline.target !== index) return;
    s.applyFrame(this.runId, index, snap);
    s.setTimeline({ target: null });
    if (s.timeline.playing) this.scheduleNext();
  }

  private scheduleNext(): void {
    this.clearTimer();
    const t = this.store.getState().timeline;
    const cur = t.frame ?? t.steps.length - 1;
    if (cur >= t.steps.length - 1) return void this.store.getState().setTimeline({ playing: false });
    this.prefetch(cur + 1);
    if (t.speed === 'max') {
      this.timer = setTimeout(() => this.seek(cur + 1, true), 0);
      return;
    }
    const speed = t.speed;
    if (!this.clock) this.resetClock(cur);
    let delay = dueIn(t.times, cur + 1, this.clock!, speed, Date.now());
    const capped = delay > MAX_WAIT_MS;
    if (capped) delay = MAX_WAIT_MS;
    this.timer = setTimeout(() => {
      const times = this.store.getState().timeline.times;
      if (capped) this.resetClock(cur + 1);
      const runNow = this.clock!.t0 + (Date.now() - this.clock!.wall0) * speed;
      this.seek(capped ? cur + 1 : furthestDue(times, cur, runNow), true);
    }, delay);
  }

  private prefetch(index: number): void {
    const step = this.store.getState().timeline.steps[index];
    if (step === undefined || this.cache.has(step) || this.prefetching !== null || this.fetching !== null) return;
    this.prefetching = index;
    this.request(index)
      .catch(() => undefined)
      .finally(() => {
        this.prefetching = null;
      });
  }
}
