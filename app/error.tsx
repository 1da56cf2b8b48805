'use client';
/** Error state of the runs overview, with a retry. */
import { useEffect } from 'react';

/** Shows what failed and offers to try again. */
export default function RunsError({ error, retry }: { error: Error & { digest?: string }; retry: () => void }) {
  useEffect(() => console.error(error), [error]);
  return (
    <div className="state-page" role="alert">
      <h1>Something went wrong</h1>
      <p>{error.message || 'The run list could not be shown.'}</p>
      <button type="button" onClick={() => retry()}>
        Try again
      </button>
    </div>
  );
}
