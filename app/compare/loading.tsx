/** Loading state of the compare view. */
export default function Loading() {
  return (
    <div role="status" aria-busy="true" aria-label="Loading">
      <div className="skeleton" style={{ width: 260, height: 30, marginBottom: 16 }} />
      <div className="skeleton" style={{ height: 420 }} />
    </div>
  );
}
