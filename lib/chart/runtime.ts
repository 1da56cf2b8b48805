/** The processes a run trained on, as its config's `runtime` block records them (the Python client writes it). */

export interface Runtime {
  world_size?: unknown;
  backend?: unknown;
  device_types?: unknown;
  gpus?: unknown;
  torch?: unknown;
  python?: unknown;
}

/** The config's runtime block, if it has the expected shape. */
export function runtimeOf(config: unknown): Runtime | null {
  const r = config && typeof config === 'object' ? (config as { runtime?: unknown }).runtime : undefined;
  return r && typeof r === 'object' && !Array.isArray(r) ? (r as Runtime) : null;
}

/** "2 processes (gloo) · cpu", "1 process · cuda × 4". */
export function describeRuntime(r: Runtime): string {
  const n = typeof r.world_size === 'number' ? r.world_size : 1;
  const parts = [`${n} ${n === 1 ? 'process' : 'processes'}${typeof r.backend === 'string' ? ` (${r.backend})` : ''}`];
  const devices = Array.isArray(r.device_types) ? r.device_types.filter((d): d is string => typeof d === 'string') : [];
  const gpus = typeof r.gpus === 'number' && r.gpus > 0 ? ` × ${r.gpus}` : '';
  if (devices.length) parts.push(devices.join(', ') + gpus);
  return parts.join(' · ');
}
