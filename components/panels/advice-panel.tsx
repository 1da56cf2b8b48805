'use client';
/**
 * Layers & advice panel body: which layers have settled (similarity to the reference ≥ 0.95 from some checkpoint on),
 * the server's freeze advice with its evidence, and the run's warnings.
 */
import { EvidenceChart } from '@/components/charts/evidence-chart';
import { lastValueAt, settledFrom } from '@/lib/chart/convergence-summary';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { useLayerwatch } from '@/store/provider';
import { useThrottledSelection } from '@/store/use-throttled';
import { gridChanged, selectGridView } from './convergence-panel';
import { METRIC_LABEL } from './metric-info';
import { useScrub } from './use-scrub';
import { selectAnalysisPercent } from './analysis-progress';

/** Similarity to the reference from which a layer counts as settled. */
export const SETTLED = 0.95;

/** Renders the three lists (collapsed, the body scrolls inside its fixed height). */
export function AdvicePanel({ open }: { open: boolean }) {
  const view = useThrottledSelection(selectGridView, gridChanged, 700);
  const advice = useLayerwatch((s) => s.run.advice);
  const warnings = useLayerwatch((s) => s.run.warnings);
  const { seekStep } = useScrub();
  // While a stored run is analysed on open its rows fill in any order: no reading until they are complete.
  const percent = useLayerwatch(selectAnalysisPercent);
  const grid = percent === null ? view?.grid : undefined;
  const layers = grid ? grid.layers.map((name, l) => {
    const cols = grid.steps.length;
    const from = settledFrom(grid.toNewest[l], SETTLED, cols);
    const last = lastValueAt(grid.toNewest[l], cols - 1);
    const stab = lastValueAt(grid.stability[l], cols - 1);
    return { name, from: from >= 0 ? grid.steps[from] : null, last: last?.v ?? null, stab: stab?.v ?? null, frozen: advice.find((a) => a.layer === name) ?? null };
  }).reverse() : [];
  const settled = layers.filter((l) => l.from !== null).length;
  const scrubTo = seekStep;

  return (
    <div className="advice-panel" data-testid="advice-panel">
      <p className="chart-desc">
        {grid
          ? `${settled} of ${layers.length} layers settled (${METRIC_LABEL[view!.metric]} to the reference ≥ ${SETTLED} from then on).`
          : percent !== null
            ? `Layer readings appear when the analysis of the stored activations is complete (${percent}%).`
            : 'Layer readings appear with the first checkpoints.'}
      </p>
      {layers.length > 0 && (
        <table className="layer-table" data-testid="layer-status">
          <caption className="sr-only">Layer status, output side first</caption>
          <thead>
            <tr><th scope="col">layer</th><th scope="col" className="num">to ref.</th><th scope="col" className="num">to prev.</th><th scope="col">settled</th></tr>
          </thead>
          <tbody>
            {layers.map((l) => (
              <tr key={l.name} data-layer={l.name} data-settled={l.from ?? ''}>
                <th scope="row">{l.name}{l.frozen && <span className="badge badge-frozen" title={`freeze advised at step ${l.frozen.step}`}>frozen</span>}</th>
                <td className="num">{formatValue(l.last)}</td>
                <td className="num">{formatValue(l.stab)}</td>
                <td>{l.from === null ? <span className="muted">changing</span> : <button type="button" className="linkish" onClick={() => scrubTo(l.from!)}>since {formatStep(l.from)}</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3 className="chart-title">Freeze advice</h3>
      {advice.length === 0 ? (
        <p className="muted small">None yet. The server advises freezing a layer once it stays above its stability threshold for a window (bottom-up), and tells the trainer.</p>
      ) : (
        <ol className="advice-list" data-testid="advice-list">
          {advice.map((a) => (
            <li key={`${a.layer}@${a.step}`} data-layer={a.layer} data-step={a.step}>
              <div>
                <strong>{a.action} {a.layer}</strong> at <button type="button" className="linkish" onClick={() => scrubTo(a.step)}>step {formatStep(a.step)}</button>
                <div className="muted small">{a.evidence.metric} to itself ≥ {a.evidence.threshold} over the last {a.evidence.window} checkpoints</div>
              </div>
              <EvidenceChart steps={a.evidence.steps} stability={a.evidence.stability} threshold={a.evidence.threshold} metric={a.evidence.metric} width={open ? 260 : 150} />
            </li>
          ))}
        </ol>
      )}
      <h3 className="chart-title">Warnings</h3>
      {warnings.length === 0 ? (
        <p className="muted small">No warnings.</p>
      ) : (
        <ul className="warning-list" data-testid="warning-list">
          {warnings.slice(-50).reverse().map((w, i) => (
            <li key={i}><code>{w.code}</code> {w.step !== undefined && <span className="muted">step {formatStep(w.step)}</span>} {w.layer && <span className="muted">{w.layer}</span>} {w.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
