/** Loading state of the runs overview. */
export default function Loading() {
  return (
    <div className="runs-page" role="status" aria-busy="true" aria-label="Loading">
      <div className="skeleton" style={{ width: 120, height: 30, marginBottom: 16 }} />
      <div className="skeleton" style={{ height: 240 }} />
    </div>
  );
}
