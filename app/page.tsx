/** Runs overview route: the list or the table of runs; the URL's parameters restore the search, view and columns. */
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
      <RunList initial={Object.fromEntries(Object.entries(q).map(([k, v]) => [k, one(v)]))} />
    </div>
  );
}
