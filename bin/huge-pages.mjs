// `layerwatch serve` restarts itself once, in place (same pid), with glibc's malloc asked for transparent huge pages.
// Why: ingest copies every activation message (4 MB for a 512 × 2,000 layer) into memory fresh from the kernel, and
// on virtual machines each first touch of a 4 KB page is a trap costing tens of µs; 2 MB pages make that 512× rarer
// (docs/performance.md, "The server side of that workload": main-thread CPU per GB 0.61×). glibc reads the setting
// only at process start (GLIBC_TUNABLES), hence the exec. LAYERWATCH_HUGE_PAGES=0 turns it off; a user's own
// glibc.malloc.hugetlb setting wins. Without the native addon (or off Linux) the server runs as it is.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const TUNABLE = 'glibc.malloc.hugetlb=1';

/** Re-executes this process with the tunable when it is wanted and missing; returns (with a reason) when it does not. */
export function restartWithHugePages(root) {
  const tunables = process.env.GLIBC_TUNABLES ?? '';
  if (process.platform !== 'linux' || process.env.LAYERWATCH_HUGE_PAGES === '0' || tunables.includes('glibc.malloc.hugetlb')) return null;
  // A child forked with an IPC channel would lose it across exec; such a caller can set the tunable itself.
  if (process.env.NODE_CHANNEL_FD !== undefined) return null;
  const file = `${root}/native/build/Release/layerwatch_native.node`;
  let addon;
  try {
    addon = existsSync(file) ? createRequire(import.meta.url)(file) : undefined;
  } catch {
    addon = undefined;
  }
  if (typeof addon?.reexec !== 'function') return 'the native addon is not built (node scripts/build-native.mjs)';
  const errno = addon.reexec(
    [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    'GLIBC_TUNABLES',
    tunables ? `${tunables}:${TUNABLE}` : TUNABLE,
  );
  return `exec failed (errno ${errno})`;
}
