/** Loading state of a run page: the panel skeleton. */
import { RunSkeleton } from '@/components/panels/run-skeleton';

export default function Loading() {
  return <RunSkeleton />;
}
