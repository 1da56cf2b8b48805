/** Runs overview route: live runs first, then past runs. */
import type { Metadata } from 'next';
import { RunList } from '@/components/panels/run-list';

export const metadata: Metadata = { title: 'Runs' };

/** Renders the run list. */
export default function RunsPage() {
  return (
    <div className="runs-page">
      <h1>Runs</h1>
      <RunList />
    </div>
  );
}
