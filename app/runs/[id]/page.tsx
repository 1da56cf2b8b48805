/** Run route: a thin server page handing the id to the client view (Next.js 16: params is a Promise). */
import type { Metadata } from 'next';
import { RunView } from '@/components/panels/run-view';

type Params = Promise<{ id: string }>;

/** The tab title names the run id. */
export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { id } = await params;
  return { title: `Run ${decodeURIComponent(id)}` };
}

/** Renders the run view. */
export default async function RunPage({ params }: { params: Params }) {
  const { id } = await params;
  return <RunView id={decodeURIComponent(id)} />;
}
