'use client';
/** The run page's panel grid: two rows of fixed height on a desktop screen (no scrolling at 1440 × 900); an expanded panel spans the width. */
import { useLayerwatch } from '@/store/provider';
import { AdvicePanel } from './advice-panel';
import { ConceptsExport } from './concepts-export';
import { ConceptsPanel } from './concepts-panel';
import { ConvergencePanel } from './convergence-panel';
import { GradcamPanel } from './gradcam-panel';
import { KPanel } from './k-panel';
import { LayerMatrixPanel } from './layer-matrix-panel';
import { MetricSelector } from './metric-selector';
import { NETDISSECT_PAPER } from './metric-info';
import { PanelFrame } from './panel-frame';
import { ScalarsPanel } from './scalars-panel';
import { selectHasSystem, SystemPanel } from './system-panel';

/** Concepts before the run declares any: what to send to see them (or, while a stored run is analysed on open, that they are coming). */
function ConceptsEmpty() {
  const analysing = useLayerwatch(
    (s) => s.timeline.analysis?.status === 'running' && (s.timeline.analysis.total === 0 || s.timeline.analysis.parts.includes('concepts')),
  );
  if (analysing)
    return (
      <p className="empty-note muted" data-testid="concepts-empty">
        Computing concept statistics from the stored activations…
      </p>
    );
  return (
    <div className="empty-note" data-testid="concepts-empty">
      <p>No concept statistics for this run (yet).</p>
      <p className="muted small">
        Declare class labels or concept labels/masks with the probe set to see unit selectivity, class sensitivity and concept detectors emerge per layer, as in{' '}
        <a href={NETDISSECT_PAPER} target="_blank" rel="noreferrer">
          Network Dissection (Bau et al. 2017)
        </a>
        .
      </p>
    </div>
  );
}

/** Renders the six panels, Grad-CAM below them for runs that send maps, and System when the trainer sends system metrics. */
export function RunLayout() {
  const hasConcepts = useLayerwatch((s) => s.concepts.state !== null);
  const hasSystem = useLayerwatch(selectHasSystem);
  return (
    <div className="run-layout" data-testid="run-layout">
      <PanelFrame id="convergence" title="Convergence" question="which layers have settled?" actions={<MetricSelector compact />}>
        {({ height, open }) => <ConvergencePanel height={height} open={open} />}
      </PanelFrame>
      <PanelFrame id="scalars" title="Training" question="is it healthy?">
        {({ height, open }) => <ScalarsPanel height={height} open={open} />}
      </PanelFrame>
      <PanelFrame id="advice" title="Layers & advice">
        {({ open }) => <AdvicePanel open={open} />}
      </PanelFrame>
      <PanelFrame id="concepts" title="Concepts" question="what has emerged?" actions={(body) => hasConcepts && <ConceptsExport target={body} />}>
        {() =>
          hasConcepts ? (
            <>
              <p className="chart-desc">
                Units scored as concept detectors (IoU &gt; threshold with a concept&apos;s region) per layer over training, as in{' '}
                <a href={NETDISSECT_PAPER} target="_blank" rel="noreferrer">
                  Network Dissection (Bau et al. 2017)
                </a>
                ; class selectivity and sensitivity below.
              </p>
              <ConceptsPanel />
            </>
          ) : (
            <ConceptsEmpty />
          )
        }
      </PanelFrame>
      <PanelFrame id="matrix" title="Between layers">
        {({ height, open }) => <LayerMatrixPanel height={open ? 420 : Math.max(160, height - 50)} />}
      </PanelFrame>
      <PanelFrame id="k" title="SVCCA directions">
        {({ height, open }) => <KPanel height={open ? 300 : Math.max(100, height - 74)} />}
      </PanelFrame>
      <GradcamPanel />
      {hasSystem && (
        <PanelFrame id="system" title="System" question="is the machine keeping up?">
          {({ open }) => <SystemPanel open={open} />}
        </PanelFrame>
      )}
    </div>
  );
}
