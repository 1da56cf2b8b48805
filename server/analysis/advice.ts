/** Freeze-training advice: a layer whose similarity to its own recent past stays above a threshold is advised frozen, bottom-up, once. */
import type { AdviceEvent, LayerDecl, MetricName, RunOptions } from '../../lib/protocol';

export interface AdviceConfig {
  enabled: boolean;
  metric: MetricName;
  threshold: number;
  /** Earlier checkpoints the evidence spans, at least. */
  window: number;
  /** …and at least this fraction of training (of totalSteps when the trainer gave it, else of the steps so far), so densely spaced early checkpoints do not count as "settled". */
  minSpan: number;
  totalSteps: number | null;
  allowOutOfOrder: boolean;
}

/** Defaults (README "Freeze advice"); a trainer overrides them in its hello's `options.advice`. */
export const ADVICE_DEFAULTS = { enabled: true, threshold: 0.99, window: 3, minSpan: 0.25, allowOutOfOrder: false } as const;

/** The run's advice settings: its hello's options over the defaults; the metric must be one the server computes live. */
export function resolveAdvice(options: RunOptions['advice'] | undefined, liveMetrics: readonly MetricName[]): AdviceConfig {
  const metric = options?.metric && liveMetrics.includes(options.metric) ? options.metric : liveMetrics[0];
  return {
    enabled: options?.enabled ?? ADVICE_DEFAULTS.enabled,
    metric,
    threshold: options?.threshold ?? ADVICE_DEFAULTS.threshold,
    window: options?.window ?? ADVICE_DEFAULTS.window,
    minSpan: options?.minSpan ?? ADVICE_DEFAULTS.minSpan,
    totalSteps: options?.totalSteps ?? null,
    allowOutOfOrder: options?.allowOutOfOrder ?? ADVICE_DEFAULTS.allowOutOfOrder,
  };
}

/** First column of the evidence for checkpoint column c, or -1 when there are not enough checkpoints yet. */
export function evidenceStart(config: AdviceConfig, steps: readonly number[], c: number): number {
  let e = c - config.window;
  if (e < 0) return -1;
  const span = config.minSpan * (config.totalSteps ?? steps[c]);
  while (e > 0 && steps[c] - steps[e] < span) e--;
  return steps[c] - steps[e] >= span ? e : -1;
}

export class AdviceTracker {
  private readonly advised = new Set<string>();
  /** Layers whose latest evidence says "settled" but that wait for a lower layer. */
  private readonly waiting = new Map<number, AdviceEvent>();

  constructor(
    readonly config: AdviceConfig,
    private readonly layers: Array<Pick<LayerDecl, 'name' | 'kind'>>,
    already: readonly AdviceEvent[],
    private readonly give: (advice: AdviceEvent) => void,
  ) {
    for (const a of already) this.advised.add(a.layer);
  }

  /** Columns the newest-first analysis job must cover so the evidence is ready with it. */
  headColumns(steps: readonly number[], c: number): number[] {
    const e = this.config.enabled ? evidenceStart(this.config, steps, c) : -1;
    const from = e >= 0 ? e : Math.max(0, c - 1);
    return Array.from({ length: c - from + 1 }, (_, i) => c - i);
  }

  /** Similarities of layer l at column c to its earlier columns arrived: decide, and advise what the order allows. */
  onEvidence(l: number, c: number, steps: readonly number[], similarity: ReadonlyMap<number, number | null>): void {
    const layer = this.layers[l];
    if (!this.config.enabled || !layer || layer.kind === 'logits' || this.advised.has(layer.name)) return;
    const e = evidenceStart(this.config, steps, c);
    if (e < 0) return;
    const cols = Array.from({ length: c - e }, (_, i) => e + i);
    const values = cols.map((x) => similarity.get(x));
    if (values.some((v) => v === undefined)) return;
    if (!values.every((v) => typeof v === 'number' && v >= this.config.threshold)) {
      this.waiting.delete(l);
      return;
    }
    const { metric, threshold, window } = this.config;
    this.waiting.set(l, {
      layer: layer.name,
      step: steps[c],
      action: 'freeze',
      evidence: { metric, threshold, window, steps: cols.map((x) => steps[x]), stability: values as number[] },
    });
    this.release();
  }

  /** Advises every waiting layer whose lower layers are all advised (or any, with allowOutOfOrder). */
  private release(): void {
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      if (layer.kind === 'logits' || this.advised.has(layer.name)) continue;
      const ready = this.waiting.get(l);
      if (ready) {
        this.waiting.delete(l);
        this.advised.add(layer.name);
        this.give(ready);
      } else if (!this.config.allowOutOfOrder) {
        return;
      }
    }
  }
}
