/** Placeholder of the run page while its snapshot loads: the same boxes at the same sizes, so nothing jumps when data lands. */

/** Renders grey boxes where the panels will be. */
export function RunSkeleton() {
  return (
    <div className="run-page" aria-busy="true" aria-label="Loading run">
      <div className="run-head">
        <div className="skeleton" style={{ width: 280, height: 34 }} />
        <div className="skeleton" style={{ width: 420, height: 34 }} />
      </div>
      <div className="skeleton" style={{ height: 36 }} />
      <div className="run-grid">
        <div className="col-main">
          <div className="skeleton" style={{ height: 640 }} />
        </div>
        <div className="col-side">
          <div className="skeleton" style={{ height: 360 }} />
          <div className="skeleton" style={{ height: 300 }} />
        </div>
      </div>
    </div>
  );
}
