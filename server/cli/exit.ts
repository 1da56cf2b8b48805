/**
 * How a command that has finished ends its process. Node 20 can deadlock at exit (nodejs/node#54918, open): when
 * the event loop empties, the main thread waits for V8's background tasks, and a concurrent optimising compile that
 * needs a garbage collection waits for the main thread. `layerwatch similarity` hit it about once in a few hundred
 * runs under load (gdb: main thread in NodePlatform::DrainTasks, a TurboFan job in
 * CollectionBarrier::AwaitCollectionBackground). So a finished command flushes its output and leaves with _exit
 * through the native addon, which skips the platform shutdown. Without the addon it collects garbage first (the
 * compile then has no reason to wait) and exits normally. Profilers and coverage need the normal exit: kept there.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

interface ExitAddon {
  exit?(code: number): never;
}

function addon(): ExitAddon | undefined {
  try {
    // Two levels up from server/cli/ and from the bundle's dist/cli/ alike.
    return createRequire(import.meta.url)('../../native/build/Release/layerwatch_native.node') as ExitAddon;
  } catch {
    return undefined;
  }
}

/** Resolves once everything written to stdout and stderr has left the process. */
async function flushed(): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.writableLength > 0) await new Promise((resolve) => stream.once('drain', resolve));
  }
}

function observed(): boolean {
  return Boolean(process.env.NODE_V8_COVERAGE) || process.execArgv.some((a) => /^--(cpu|heap)-prof|^--prof$|^--inspect/.test(a));
}

/** Ends the process of a finished command with `code`. */
export async function exitFinished(code: number): Promise<void> {
  await flushed();
  if (observed()) return;
  const native = addon();
  if (native?.exit) native.exit(code);
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    /* no collector hook: exit as usual */
  }
}
