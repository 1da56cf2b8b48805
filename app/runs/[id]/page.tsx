/** Run route: a thin server page handing the id and the URL's view state to the client view (Next.js 16: params and searchParams are Promises). */
import type { Metadata } from 'next';
import { RunView } from '@/components/panels/run-view';

type Params = Promise<{ id: string }>;
type Search = Promise<Record<string, string | string[] | undefined>>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The tab title names the run id. */
export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { id } = await params;
  return { title: `Run ${decodeURIComponent(id)}` };
}

/** Renders the run view. */
export default async function RunPage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { id } = await params;
  const q = await searchParams;
  return <RunView id={decodeURIComponent(id)} initial={{ step: one(q.step), metric: one(q.metric), open: one(q.open) }} />;
}
