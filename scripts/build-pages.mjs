#!/usr/bin/env node
// Builds the Next.js pages (`next build`) unless .next/BUILD_ID is newer than every source the pages are built from,
// so a second start takes seconds instead of rebuilding for ~40 s. `npm run demo` runs this file; `layerwatch serve` and
// `layerwatch replay` call ensurePages before serving. LAYERWATCH_FORCE_BUILD=1 always builds; LAYERWATCH_SKIP_BUILD=1
// never does (serve whatever .next holds, e.g. a build made elsewhere).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the pages are built from: these folders (recursively) and files, relative to the project root. */
export const PAGE_SOURCES = {
  dirs: ['app', 'components', 'store', 'lib', 'public'],
  files: ['next.config.js', 'package.json', 'package-lock.json', 'tsconfig.json'],
};

function newest(p, acc = 0) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return acc;
  }
  if (!st.isDirectory()) return Math.max(acc, st.mtimeMs);
  for (const name of readdirSync(p)) if (name !== 'node_modules') acc = newest(path.join(p, name), acc);
  return acc;
}

/** True when `root`/.next holds a build newer than every page source. */
export function pagesFresh(root) {
  const id = path.join(root, '.next', 'BUILD_ID');
  if (!existsSync(id)) return false;
  const built = statSync(id).mtimeMs;
  const sources = [...PAGE_SOURCES.dirs, ...PAGE_SOURCES.files].reduce((acc, p) => newest(path.join(root, p), acc), 0);
  return sources <= built;
}

/** Runs `next build` in `root` with its output on this terminal; resolves with its exit code. */
export function nextBuild(root) {
  const next = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [next, 'build'], { cwd: root, stdio: 'inherit', env: { NEXT_TELEMETRY_DISABLED: '1', ...process.env } });
    child.once('error', () => resolve(1));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * Builds the pages when .next is missing or older than a page source, saying so in one line first; resolves with what
 * it did ('fresh', 'skipped' or 'built') and rejects with code PAGES_BUILD_FAILED when the build fails. `build` runs the
 * build (tests pass their own).
 */
export async function ensurePages(root, { log = (line) => console.log(line), env = process.env, build = nextBuild } = {}) {
  const force = env.LAYERWATCH_FORCE_BUILD === '1';
  if (!force && env.LAYERWATCH_SKIP_BUILD === '1') return 'skipped';
  if (!force && pagesFresh(root)) return 'fresh';
  const why = force
    ? 'LAYERWATCH_FORCE_BUILD=1'
    : existsSync(path.join(root, '.next', 'BUILD_ID'))
      ? 'a page source is newer than the build in .next'
      : 'there is no build in .next yet';
  log(`layerwatch: building the pages first (next build, about a minute; once per change): ${why}`);
  const code = await build(root);
  if (code !== 0) {
    throw Object.assign(new Error(`next build exited with code ${code}; its output above says why (serve with --no-pages to run without the pages)`), {
      code: 'PAGES_BUILD_FAILED',
    });
  }
  return 'built';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  ensurePages(root).then(
    (done) => {
      if (done === 'fresh') console.log('layerwatch: pages are up to date (.next); skipping next build (LAYERWATCH_FORCE_BUILD=1 rebuilds)');
    },
    (err) => {
      console.error(`layerwatch: ${err.code}: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
