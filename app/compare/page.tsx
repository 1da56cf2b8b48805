/** Compare route: up to eight runs (?runs=A,B,C&pair=A,C&metric=…&step=…; the older ?a=A&b=B still opens). */
import type { Metadata } from 'next';
import { CompareView } from '@/components/panels/compare-view';

export const metadata: Metadata = { title: 'Compare runs' };

type Search = Promise<Record<string, string | string[] | undefined>>;

/** Renders the compare view with the URL's query. */
export default async function ComparePage({ searchParams }: { searchParams: Search }) {
  const q = await searchParams;
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) query.append(k, one);
  return <CompareView query={query.toString()} />;
}
