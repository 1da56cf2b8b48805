/** Runs overview route: live runs first, then past runs; the URL's q, status and sort restore the search. */
import type { Metadata } from 'next';
import { RunList } from '@/components/panels/run-list';

export const metadata: Metadata = { title: 'Runs' };

type Search = Promise<Record<string, string | string[] | undefined>>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Renders the run list. */
export default async function RunsPage({ searchParams }: { searchParams: Search }) {
  const q = await searchParams;
  return (
    <div className="runs-page">
      <h1>Runs</h1>
      <RunList initial={{ q: one(q.q), status: one(q.status), sort: one(q.sort) }} />
    </div>
  );
}
