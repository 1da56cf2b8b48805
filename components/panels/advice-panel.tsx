'use client';
/**
 * Layers & advice panel body: which layers have settled (similarity to the reference ≥ 0.95 from some checkpoint
 * before the reference on), the server's freeze advice with its evidence, what the trainer confirmed frozen, and the
 * run's warnings. Advice is not a freeze: a layer reads "advised" until the trainer confirms it "frozen".
 */
import { EvidenceChart } from '@/components/charts/evidence-chart';
import { lastValueAt, SETTLED, settlingSummary, type Settling } from '@/lib/chart/convergence-summary';
import { formatStep, formatValue } from '@/lib/chart/scales';
import type { AdviceEvent, FrozenLayer } from '@/lib/protocol/live';
import { useLayerwatch } from '@/store/provider';
import { useThrottledSelection } from '@/store/use-throttled';
import { gridChanged, selectGridView } from './convergence-panel';
import { METRIC_LABEL } from './metric-info';
import { useScrub } from './use-scrub';
import { selectAnalysisPercent } from './analysis-progress';

/** The layer's freeze state: confirmed by the trainer, advised only, or neither. */
function FreezeBadge({ advised, frozen }: { advised: AdviceEvent | null; frozen: FrozenLayer | null }) {
  if (frozen)
    return (
      <span
        className="badge badge-frozen"
        data-freeze="frozen"
        title={`the trainer froze this layer at step ${frozen.step}${advised ? ` (advised at step ${advised.step})` : ''}`}
      >
        frozen @ {formatStep(frozen.step)}
      </span>
    );
  if (advised)
    return (
      <span className="badge badge-advised" data-freeze="advised" title={`freeze advised at step ${advised.step}; the trainer has not confirmed a freeze`}>
        advised @ {formatStep(advised.step)}
      </span>
    );
  return null;
}

/** The "settled" cell: since when, only at the reference itself (not settled), or changing. */
function SettledCell({ settling, steps, onSeek }: { settling: Settling; steps: readonly number[]; onSeek: (step: number) => void }) {
  if (settling.state === 'settled')
    return (
      <button type="button" className="linkish" onClick={() => onSeek(steps[settling.from])}>
        since {formatStep(steps[settling.from])}
      </button>
    );
  if (settling.state === 'at-reference')
    return (
      <span className="muted" title="it matches the reference only at the reference checkpoint itself, where every layer equals itself">
        not yet
      </span>
    );
  return <span className="muted">changing</span>;
}

/** One line of an advice's readings: how far the layer had moved, how its change per step compares with its peak, the projection. */
function evidenceText(a: AdviceEvent): string {
  const e = a.evidence;
  if (e.projected === undefined || e.moved === undefined || e.rate === undefined || !e.peakRate) {
    return `${e.metric} to itself ≥ ${e.threshold} over the last ${e.window} checkpoints`;
  }
  const pct = Math.round((100 * e.rate) / e.peakRate);
  return `${e.metric}: moved ${formatValue(e.moved)} from its first state; change per step ${pct < 1 ? '< 1' : pct}% of its peak; projected ${formatValue(e.projected)} to this state ${e.horizon !== undefined ? `over ${e.horizon.toFixed(1)} more doublings of training` : 'by the end'} (≥ ${e.threshold} needed)`;
}

/** Renders the three lists (collapsed, the body scrolls inside its fixed height). */
export function AdvicePanel({ open }: { open: boolean }) {
  const view = useThrottledSelection(selectGridView, gridChanged, 700);
  const advice = useLayerwatch((s) => s.run.advice);
  const frozen = useLayerwatch((s) => s.run.frozen);
  // "None yet" live and at a scrubbed step; "none given" over a whole ended run.
  const soFar = useLayerwatch((s) => s.run.meta?.status === 'live' || s.view.scrub !== null);
  const warnings = useLayerwatch((s) => s.run.warnings);
  const { seekStep } = useScrub();
  // While a stored run is analysed on open its rows fill in any order: no reading until they are complete.
  const percent = useLayerwatch(selectAnalysisPercent);
  const grid = percent === null ? view?.grid : undefined;
  const summary = grid ? settlingSummary(grid, SETTLED) : null;
  const layers =
    grid && summary
      ? grid.layers
          .map((name, l) => {
            const cols = grid.steps.length;
            const last = lastValueAt(grid.toNewest[l], cols - 1);
            const stab = lastValueAt(grid.stability[l], cols - 1);
            return {
              name,
              settling: summary.layers[l],
              last: last?.v ?? null,
              stab: stab?.v ?? null,
              advised: advice.find((a) => a.layer === name) ?? null,
              frozen: frozen.find((f) => f.layer === name) ?? null,
            };
          })
          .reverse()
      : [];
  const atReference = layers.filter((l) => l.settling.state === 'at-reference').length;
  const scrubTo = seekStep;

  return (
    <div className="advice-panel" data-testid="advice-panel">
      <p className="chart-desc">
        {grid && summary
          ? `${summary.settled} of ${layers.length} layers settled (${METRIC_LABEL[view!.metric]} to the reference ≥ ${SETTLED} from an earlier checkpoint on)${atReference ? `; ${atReference} only at the reference itself, which is not settling` : ''}.`
          : percent !== null
            ? `Layer readings appear when the analysis of the stored activations is complete (${percent}%).`
            : 'Layer readings appear with the first checkpoints.'}
      </p>
      {layers.length > 0 && (
        <table className="layer-table" data-testid="layer-status">
          <caption className="sr-only">Layer status, output side first</caption>
          <thead>
            <tr>
              <th scope="col">layer</th>
              <th scope="col" className="num">
                to ref.
              </th>
              <th scope="col" className="num">
                to prev.
              </th>
              <th scope="col">settled</th>
            </tr>
          </thead>
          <tbody>
            {layers.map((l) => (
              <tr
                key={l.name}
                data-layer={l.name}
                data-settled={l.settling.state === 'settled' ? grid!.steps[l.settling.from] : ''}
                data-settling={l.settling.state}
              >
                <th scope="row">
                  {l.name}
                  <FreezeBadge advised={l.advised} frozen={l.frozen} />
                </th>
                <td className="num">{formatValue(l.last)}</td>
                <td className="num">{formatValue(l.stab)}</td>
                <td>
                  <SettledCell settling={l.settling} steps={grid!.steps} onSeek={scrubTo} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3 className="chart-title">Freeze advice</h3>
      {advice.length === 0 ? (
        <p className="muted small">
          {soFar ? 'None yet.' : 'None given.'} The server advises freezing a layer (bottom-up) once it has moved away from its first state, its change per step
          has fallen to a small fraction of its peak, and its drift projected to the end of training keeps it close to where it is; the trainer decides whether
          to freeze it.
        </p>
      ) : (
        <ol className="advice-list" data-testid="advice-list">
          {advice.map((a) => {
            const done = frozen.find((f) => f.layer === a.layer);
            return (
              <li key={`${a.layer}@${a.step}`} data-layer={a.layer} data-step={a.step} data-freeze={done ? 'frozen' : 'advised'}>
                <div>
                  <strong>
                    {a.action} {a.layer}
                  </strong>{' '}
                  advised at{' '}
                  <button type="button" className="linkish" onClick={() => scrubTo(a.step)}>
                    step {formatStep(a.step)}
                  </button>
                  {' · '}
                  {done ? (
                    <span>
                      frozen by the trainer at{' '}
                      <button type="button" className="linkish" onClick={() => scrubTo(done.step)}>
                        step {formatStep(done.step)}
                      </button>
                    </span>
                  ) : (
                    <span className="muted">not confirmed frozen by the trainer</span>
                  )}
                  <div className="muted small">{evidenceText(a)}</div>
                </div>
                <EvidenceChart
                  steps={a.evidence.steps}
                  stability={a.evidence.stability}
                  threshold={a.evidence.threshold}
                  metric={a.evidence.metric}
                  width={open ? 260 : 150}
                />
              </li>
            );
          })}
        </ol>
      )}
      <h3 className="chart-title">Warnings</h3>
      {warnings.length === 0 ? (
        <p className="muted small">No warnings.</p>
      ) : (
        <ul className="warning-list" data-testid="warning-list">
          {warnings
            .slice(-50)
            .reverse()
            .map((w, i) => (
              <li key={i}>
                <code>{w.code}</code> {w.step !== undefined && <span className="muted">step {formatStep(w.step)}</span>}{' '}
                {w.layer && <span className="muted">{w.layer}</span>} {w.message}
              </li>
            ))}
        </ul>
      )}
    </div>
  );
}
