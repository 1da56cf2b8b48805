/** /bench/render: bench/render.ts measures the run page's draws here, on a synthetic run no server holds. */
import type { Metadata } from 'next';
import { BenchRun } from '@/components/bench/bench-run';

export const metadata: Metadata = { title: 'Render bench', robots: { index: false } };

export default function BenchRenderPage() {
  return <BenchRun />;
}
