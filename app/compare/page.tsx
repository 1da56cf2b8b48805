/** Compare route: two runs layer by layer (?a=RUN&b=RUN&metric=…&step=…). */
import type { Metadata } from 'next';
import { CompareView } from '@/components/panels/compare-view';

export const metadata: Metadata = { title: 'Compare runs' };

type Search = Promise<Record<string, string | string[] | undefined>>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Renders the compare view. */
export default async function ComparePage({ searchParams }: { searchParams: Search }) {
  const q = await searchParams;
  return <CompareView initial={{ a: one(q.a), b: one(q.b), metric: one(q.metric), step: one(q.step) }} />;
}
