'use client';
/** The processes a run trained on, from its config's `runtime` (the Python client records it): world size, backend, devices. */
import { describeRuntime, runtimeOf } from '@/lib/chart/runtime';
import { useLayerwatch } from '@/store/provider';
import { selectRunMeta } from '@/store/slices/timeline';

/** A fact of the status strip (a dt/dd pair), when the run's config records its runtime. */
export function RuntimeFacts() {
  const config = useLayerwatch((s) => selectRunMeta(s)?.config);
  const r = runtimeOf(config);
  if (!r) return null;
  const versions = [typeof r.torch === 'string' ? `torch ${r.torch}` : null, typeof r.python === 'string' ? `Python ${r.python}` : null]
    .filter(Boolean)
    .join(', ');
  return (
    <div title={`Where the run trained${versions ? ` (${versions})` : ''}: world size, distributed backend, device types`}>
      <dt>ran on</dt>
      <dd data-testid="runtime" data-world-size={String(r.world_size ?? '')}>
        {describeRuntime(r)}
      </dd>
    </div>
  );
}
