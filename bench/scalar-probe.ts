/** Bench probes for the live path: a trainer logging a scalar every few ms, and viewers timing its arrival on /live. */
import type { IngestClient } from '../clients/node/ingest-client';
import type { LiveServerMessage } from '../lib/protocol';

/** Send times of probe scalars by step, shared by the sender and the viewers (one process, one clock). */
export class ScalarProbe {
  readonly sentAt = new Map<number, number>();
  private step = 0;
  private timer: NodeJS.Timeout | null = null;
  errors = 0;

  constructor(
    readonly name: string,
    /** Extra series logged with the probe (a realistic trainer logs several values per step). */
    private readonly extra = 0,
  ) {}

  /** Logs `{[name]: step, …extra}` every `intervalMs` through `client`, without waiting for acks. */
  start(client: IngestClient, intervalMs: number): void {
    this.timer = setInterval(() => {
      const step = ++this.step;
      const values: Record<string, number> = { [this.name]: step };
      for (let i = 0; i < this.extra; i++) values[`${this.name}_${i}`] = Math.sin(step + i);
      this.sentAt.set(step, performance.now());
      client.log(step, values).catch(() => this.errors++);
    }, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Latency of one /live message if it carries this probe's scalar, else null. */
  latencyOf(msg: LiveServerMessage): number | null {
    if (msg.type !== 'delta' || msg.run?.kind !== 'scalars') return null;
    const s = msg.run.series[this.name];
    if (!s) return null;
    const sent = this.sentAt.get(s.steps[0]);
    return sent === undefined ? null : performance.now() - sent;
  }
}
