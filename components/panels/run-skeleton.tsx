/** Placeholder of the run page while its snapshot loads: the same boxes at the same sizes, so nothing jumps when data lands. */

const SPANS = ['convergence', 'scalars', 'advice', 'concepts', 'matrix', 'k'];

/** Renders grey boxes where the panels will be. */
export function RunSkeleton() {
  return (
    <div className="run-page" role="status" aria-busy="true" aria-label="Loading run" data-testid="run-skeleton">
      <div className="run-head">
        <div className="skeleton" style={{ width: 280, height: 28 }} />
        <div className="skeleton" style={{ width: 420, height: 28 }} />
      </div>
      <div className="skeleton" style={{ height: 'var(--scrub-h)', marginBottom: 'var(--space-3)' }} />
      <div className="run-layout">
        {SPANS.map((id) => (
          <div key={id} className={`frame frame-${id} skeleton`} />
        ))}
      </div>
    </div>
  );
}
