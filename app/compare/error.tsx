'use client';
/** Error state of the compare view, with a retry. */
import Link from 'next/link';
import { useEffect } from 'react';

/** Shows what failed and offers to try again. */
export default function CompareError({ error, retry }: { error: Error & { digest?: string }; retry: () => void }) {
  useEffect(() => console.error(error), [error]);
  return (
    <div className="state-page" role="alert">
      <h1>The comparison could not be shown</h1>
      <p>{error.message || 'An unexpected error occurred.'}</p>
      <button type="button" onClick={() => retry()}>
        Try again
      </button>{' '}
      <Link href="/">Back to all runs</Link>
    </div>
  );
}
