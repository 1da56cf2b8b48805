/** Freeze-training advice: each layer that the criterion (advice-criterion.ts) finds settled is advised frozen, bottom-up, once. */
import type { AdviceEvent, LayerDecl, MetricName, RunOptions } from '../../lib/protocol';
import { evidenceMiddle, evidenceStart, judge, peakRate, type CriterionConfig } from './advice-criterion';

export { evidenceStart } from './advice-criterion';

export interface AdviceConfig extends CriterionConfig {
  enabled: boolean;
  metric: MetricName;
  allowOutOfOrder: boolean;
}

/** Defaults (README "Freeze advice", measured in docs/analysis.md); a trainer overrides them in its hello's `options.advice`. */
export const ADVICE_DEFAULTS = {
  enabled: true,
  threshold: 0.975,
  window: 3,
  minSpan: 0.5,
  minMove: 0.03,
  rateFraction: 0.1,
  horizon: 2.5,
  allowOutOfOrder: false,
} as const;

/** The run's advice settings: its hello's options over the defaults; the metric must be one the server computes live. */
export function resolveAdvice(options: RunOptions['advice'] | undefined, liveMetrics: readonly MetricName[]): AdviceConfig {
  const metric = options?.metric && liveMetrics.includes(options.metric) ? options.metric : liveMetrics[0];
  const d = ADVICE_DEFAULTS;
  return {
    enabled: options?.enabled ?? d.enabled,
    metric,
    threshold: options?.threshold ?? d.threshold,
    window: options?.window ?? d.window,
    minSpan: options?.minSpan ?? d.minSpan,
    minMove: options?.minMove ?? d.minMove,
    rateFraction: options?.rateFraction ?? d.rateFraction,
    horizon: options?.horizon ?? d.horizon,
    totalSteps: options?.totalSteps ?? null,
    allowOutOfOrder: options?.allowOutOfOrder ?? d.allowOutOfOrder,
  };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

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

  /** Columns the newest-first analysis job must compare column c with so the evidence is ready with it: the window and the first checkpoint. */
  headColumns(steps: readonly number[], c: number): number[] {
    const e = this.config.enabled ? evidenceStart(this.config, steps, c) : -1;
    const from = e >= 0 ? e : Math.max(0, c - 1);
    const cols = Array.from({ length: c - from + 1 }, (_, i) => c - i);
    return e > 0 ? [...cols, 0] : cols;
  }

  /**
   * Similarities of layer l at column c to its earlier columns arrived (`stability`: the layer's similarity of each
   * column to the one before, as far as known): decide, and advise what the order allows.
   */
  onEvidence(l: number, c: number, steps: readonly number[], similarity: ReadonlyMap<number, number | null>, stability: ReadonlyArray<number | null>): void {
    const layer = this.layers[l];
    if (!this.config.enabled || !layer || layer.kind === 'logits' || this.advised.has(layer.name)) return;
    const e = evidenceStart(this.config, steps, c);
    if (e < 0) return;
    const cols = Array.from({ length: c - e }, (_, i) => e + i);
    const values = [0, ...cols].map((x) => similarity.get(x));
    if (!values.every((v) => typeof v === 'number')) {
      // Missing evidence (a frame not sent, or not finite) decides nothing; a refusal would needlessly reset the wait.
      if (values.some((v) => v === undefined)) return;
      this.waiting.delete(l);
      return;
    }
    const toFirst = similarity.get(0)!;
    const toStart = similarity.get(e)!;
    const withNewest = [...stability.slice(0, c), similarity.get(c - 1) ?? null];
    const m = evidenceMiddle(steps, e, c);
    const recent = m >= 0 ? { m, similarity: similarity.get(m)! } : undefined;
    const j = judge(this.config, steps, c, e, toFirst, toStart, peakRate(withNewest, steps, c), recent);
    if (!j.ok) {
      this.waiting.delete(l);
      return;
    }
    const { metric, threshold, window } = this.config;
    this.waiting.set(l, {
      layer: layer.name,
      step: steps[c],
      action: 'freeze',
      evidence: {
        metric,
        threshold,
        window,
        steps: cols.map((x) => steps[x]),
        stability: cols.map((x) => similarity.get(x)!),
        moved: round(j.moved),
        rate: j.rate,
        peakRate: j.peakRate,
        horizon: round(j.horizon),
        projected: round(j.projected),
      },
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
