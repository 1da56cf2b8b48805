'use client';
/** Metric picker for the convergence views (a radio group), with the reason for the default. */
import { METRICS, type MetricName } from '@/lib/protocol/analysis';
import { useLayerwatch } from '@/store/provider';
import { selectMetric } from '@/store/slices/view';
import { METRIC_LABEL, METRIC_SHORT } from './metric-info';

/** Renders the selector; metrics the server has not computed yet are still selectable (their grid fills as it arrives). */
export function MetricSelector({ compact = false }: { compact?: boolean }) {
  const metric = useLayerwatch(selectMetric);
  const setMetric = useLayerwatch((s) => s.setMetric);
  const available = useLayerwatch((s) => Object.keys(s.convergence.grids).join(','));
  return (
    <div className="metric-selector">
      <div className="segmented" role="radiogroup" aria-label="Similarity metric">
        {METRICS.map((m: MetricName) => (
          <button
            key={m}
            type="button"
            role="radio"
            aria-checked={m === metric}
            data-metric={m}
            className={m === metric ? 'active' : ''}
            onClick={() => setMetric(m)}
            title={`${METRIC_LABEL[m]}${available.split(',').includes(m) ? '' : ' (not computed for this run yet)'}`}
            aria-label={METRIC_LABEL[m]}
          >
            {compact ? METRIC_SHORT[m] : METRIC_LABEL[m]}
          </button>
        ))}
      </div>
      <details className="help">
        <summary>Why {METRIC_LABEL['svcca-k']} by default?</summary>
        <p>
          On small probe sets the paper’s 99%-variance rule keeps k near the layer width, so SVCCA (99%) is noisy. On an MLP trained on digits (600 probe
          examples, 20 seeds) fixed-k SVCCA and linear CKA showed the first layer settling before the last in 20/20 seeds; with SVCCA (99%) the full bottom-up
          order held in only 9/20. The paper’s rule is one click away. See{' '}
          <a href="https://arxiv.org/abs/1706.05806" target="_blank" rel="noreferrer">
            Raghu et al. 2017
          </a>
          .
        </p>
      </details>
    </div>
  );
}
