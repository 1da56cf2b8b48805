#!/usr/bin/env node
// Builds the Next.js pages (`next build`) unless .next/BUILD_ID is newer than every source the pages are built from,
// so a second `npm run demo` starts in seconds instead of rebuilding for ~40 s. LAYERWATCH_FORCE_BUILD=1 always builds.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the pages are built from: these folders (recursively) and files, relative to the project root. */
export const PAGE_SOURCES = { dirs: ['app', 'components', 'store', 'lib', 'public'], files: ['next.config.js', 'package.json', 'package-lock.json', 'tsconfig.json'] };

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

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  if (process.env.LAYERWATCH_FORCE_BUILD !== '1' && pagesFresh(root)) {
    console.log('layerwatch: pages are up to date (.next); skipping next build (LAYERWATCH_FORCE_BUILD=1 rebuilds)');
  } else {
    const next = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
    const res = spawnSync(process.execPath, [next, 'build'], { cwd: root, stdio: 'inherit' });
    process.exitCode = res.status ?? 1;
  }
}
