/** Topics with numbered deltas, a bounded replay ring each, and bounded per-viewer queues (resumable fan-out for /live). */
import type { LiveServerMessage, RunDelta, RunsDelta } from '../../lib/protocol';

/** What the broadcaster needs from a /live connection. */
export interface Viewer {
  readonly id: number;
  /** Sends one text message: a string, or its UTF-8 bytes (encoded once and shared by every viewer of a delta). */
  send(text: string | Buffer): void;
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

export type DeltaPayload = { run: RunDelta } | { runs: RunsDelta };
export type SnapshotPayload = Pick<Extract<LiveServerMessage, { type: 'snapshot' }>, 'run' | 'runs'>;

export interface BroadcasterOptions {
  epoch: string;
  /** Makes a topic's state available (loads a past run from disk); false if the topic names nothing. */
  prepare(topic: string): Promise<boolean>;
  /** The topic's whole state, synchronously, consistent with the deltas published so far. */
  snapshot(topic: string): SnapshotPayload;
  /** Deltas kept per topic for resuming viewers. */
  ringSize?: number;
  ringBytes?: number;
  /** A viewer whose socket holds more than this stops receiving deltas until it drains, then catches up. */
  highWaterBytes?: number;
  /** A viewer stalled this long is dropped with SLOW_CONSUMER. */
  stallTimeoutMs?: number;
  /** A topic's snapshot is reused, followed by the deltas since, for viewers subscribing within this window (ms). */
  snapshotReuseMs?: number;
}

interface Subscription {
  lastSent: number;
  stalled: boolean;
  stalledSince: number;
}

interface TopicState {
  seq: number;
  ring: Array<{ seq: number; text: Buffer }>;
  ringBytes: number;
  subscribers: Map<Viewer, Subscription>;
  /** The last snapshot built, as sent (many viewers subscribing at once share it; the ring brings each up to date). */
  snapshot: { seq: number; at: number; text: Buffer } | null;
}

export class Broadcaster {
  private readonly topics = new Map<string, TopicState>();
  private readonly stalled = new Set<[Viewer, string]>();
  private readonly sweepTimer: NodeJS.Timeout;
  readonly stats = { published: 0, sent: 0, snapshots: 0, snapshotsReused: 0, coalesced: 0, dropped: 0 };

  constructor(private readonly opts: BroadcasterOptions) {
    this.sweepTimer = setInterval(() => this.sweep(), 100);
    this.sweepTimer.unref();
  }

  get epoch(): string {
    return this.opts.epoch;
  }

  /** Bytes queued to a viewer above which nothing more is sent to it (see BroadcasterOptions.highWaterBytes). */
  get highWaterBytes(): number {
    return this.opts.highWaterBytes ?? 4 * 1024 * 1024;
  }

  private topic(name: string): TopicState {
    let t = this.topics.get(name);
    if (!t) this.topics.set(name, (t = { seq: 0, ring: [], ringBytes: 0, subscribers: new Map(), snapshot: null }));
    return t;
  }

  /** Current sequence number of a topic (0 before any delta). */
  seq(topic: string): number {
    return this.topics.get(topic)?.seq ?? 0;
  }

  /** Numbers a delta, keeps it for resumes and sends it to every viewer that is keeping up. */
  publish(topic: string, payload: DeltaPayload): number {
    const t = this.topic(topic);
    const seq = ++t.seq;
    // Stringified and UTF-8 encoded once, whatever the number of viewers.
    const text = Buffer.from(JSON.stringify({ type: 'delta', topic, seq, ...payload }));
    t.ring.push({ seq, text });
    t.ringBytes += text.length;
    const maxSize = this.opts.ringSize ?? 8192;
    const maxBytes = this.opts.ringBytes ?? 16 * 1024 * 1024;
    while (t.ring.length > maxSize || (t.ringBytes > maxBytes && t.ring.length > 1)) t.ringBytes -= t.ring.shift()!.text.length;
    this.stats.published++;
    for (const [viewer, sub] of t.subscribers) this.deliver(viewer, topic, sub, seq, text);
    return seq;
  }

  private deliver(viewer: Viewer, topic: string, sub: Subscription, seq: number, text: Buffer): void {
    if (sub.stalled) return;
    if (viewer.bufferedAmount() > this.highWaterBytes) {
      sub.stalled = true;
      sub.stalledSince = Date.now();
      this.stalled.add([viewer, topic]);
      return;
    }
    viewer.send(text);
    sub.lastSent = seq;
    this.stats.sent++;
  }

  /** Subscribes a viewer: missing deltas if `since` is still in the ring, else a snapshot; then live deltas. */
  async subscribe(viewer: Viewer, topic: string, since?: { epoch: string; seq: number }): Promise<boolean> {
    if (!(await this.opts.prepare(topic))) return false;
    const t = this.topic(topic);
    const first = t.ring.length ? t.ring[0].seq : t.seq + 1;
    const canResume = since && since.epoch === this.opts.epoch && since.seq <= t.seq && since.seq >= first - 1;
    const existing = t.subscribers.get(viewer);
    // Nothing more is queued to a viewer that does not read (a client re-subscribing in a loop would otherwise queue a
    // snapshot each time): it stays stalled and gets one snapshot when it drains, or is dropped after stallTimeoutMs.
    if (existing?.stalled) return true;
    if (viewer.bufferedAmount() > this.highWaterBytes) {
      const sub: Subscription = { lastSent: -1, stalled: true, stalledSince: Date.now() };
      t.subscribers.set(viewer, sub);
      this.stalled.add([viewer, topic]);
      return true;
    }
    const sub: Subscription = { lastSent: t.seq, stalled: false, stalledSince: 0 };
    if (canResume) {
      for (const d of t.ring) if (d.seq > since.seq) viewer.send(d.text);
    } else {
      this.sendSnapshot(viewer, topic, t);
    }
    t.subscribers.set(viewer, sub);
    return true;
  }

  /** Sends the topic's state: a fresh snapshot, or a recent one (still followed by the ring) plus the deltas since. */
  private sendSnapshot(viewer: Viewer, topic: string, t: TopicState): void {
    const now = Date.now();
    const first = t.ring.length ? t.ring[0].seq : t.seq + 1;
    const cached = t.snapshot;
    if (cached && now - cached.at <= (this.opts.snapshotReuseMs ?? 1000) && cached.seq >= first - 1) {
      viewer.send(cached.text);
      for (const d of t.ring) if (d.seq > cached.seq) viewer.send(d.text);
      this.stats.snapshotsReused++;
    } else {
      const payload = this.opts.snapshot(topic);
      const text = Buffer.from(JSON.stringify({ type: 'snapshot', topic, epoch: this.opts.epoch, seq: t.seq, ...payload }));
      t.snapshot = { seq: t.seq, at: now, text };
      viewer.send(text);
    }
    this.stats.snapshots++;
  }

  unsubscribe(viewer: Viewer, topic: string): void {
    this.topics.get(topic)?.subscribers.delete(viewer);
  }

  /** Forgets a viewer on every topic (its connection closed). */
  removeViewer(viewer: Viewer): void {
    for (const t of this.topics.values()) t.subscribers.delete(viewer);
    for (const entry of this.stalled) if (entry[0] === viewer) this.stalled.delete(entry);
  }

  /** Viewers currently held back, and the bytes queued in viewer sockets (bounded by highWaterBytes + one message each). */
  backlog(): { stalled: number; viewers: number; maxBuffered: number; totalBuffered: number } {
    const viewers = new Set<Viewer>();
    for (const t of this.topics.values()) for (const v of t.subscribers.keys()) viewers.add(v);
    let maxBuffered = 0;
    let totalBuffered = 0;
    for (const v of viewers) {
      const b = v.bufferedAmount();
      maxBuffered = Math.max(maxBuffered, b);
      totalBuffered += b;
    }
    return { stalled: this.stalled.size, viewers: viewers.size, maxBuffered, totalBuffered };
  }

  /** Number of viewers subscribed to a topic. */
  subscribers(topic: string): number {
    return this.topics.get(topic)?.subscribers.size ?? 0;
  }

  /** Catches up viewers that drained (from the ring, or one fresh snapshot when they fell off it) and drops those stalled too long. */
  private sweep(): void {
    const now = Date.now();
    for (const t of this.topics.values()) if (t.snapshot && now - t.snapshot.at > (this.opts.snapshotReuseMs ?? 1000)) t.snapshot = null;
    const low = this.highWaterBytes / 4;
    for (const entry of this.stalled) {
      const [viewer, topic] = entry;
      const t = this.topics.get(topic);
      const sub = t?.subscribers.get(viewer);
      if (!t || !sub) {
        this.stalled.delete(entry);
        continue;
      }
      if (viewer.bufferedAmount() <= low) {
        this.stalled.delete(entry);
        sub.stalled = false;
        const first = t.ring.length ? t.ring[0].seq : t.seq + 1;
        if (sub.lastSent >= first - 1) {
          for (const d of t.ring) if (d.seq > sub.lastSent) viewer.send(d.text);
        } else {
          this.sendSnapshot(viewer, topic, t);
          this.stats.coalesced++;
        }
        sub.lastSent = t.seq;
      } else if (now - sub.stalledSince > (this.opts.stallTimeoutMs ?? 30_000)) {
        this.stalled.delete(entry);
        this.stats.dropped++;
        viewer.close(1013, 'SLOW_CONSUMER');
        this.removeViewer(viewer);
      }
    }
  }

  /** Forgets topics nobody watches (their state can be reloaded from disk). */
  dropTopic(topic: string): void {
    const t = this.topics.get(topic);
    if (t && t.subscribers.size === 0) this.topics.delete(topic);
  }

  close(): void {
    clearInterval(this.sweepTimer);
  }
}
