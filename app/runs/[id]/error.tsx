'use client';
/** Error state of a run page, with a retry and a way back. */
import Link from 'next/link';
import { useEffect } from 'react';

/** Shows what failed and offers to try again. */
export default function RunError({ error, retry }: { error: Error & { digest?: string }; retry: () => void }) {
  useEffect(() => console.error(error), [error]);
  return (
    <div className="state-page" role="alert">
      <h1>This run could not be shown</h1>
      <p>{error.message || 'An unexpected error occurred while drawing the run.'}</p>
      <button type="button" onClick={() => retry()}>
        Try again
      </button>{' '}
      <Link href="/">Back to all runs</Link>
    </div>
  );
}
