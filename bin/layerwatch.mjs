#!/usr/bin/env node
// Entry point of the `layerwatch` command. Runs the esbuild bundle in dist/cli/ when it is newer than every
// source it was built from (fast start), else registers the TypeScript loader and runs server/cli/main.ts.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { restartWithHugePages } from './huge-pages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist/cli/layerwatch.mjs');

if (process.argv[2] === 'serve') {
  const without = restartWithHugePages(root);
  if (without) console.error(`layerwatch: ingest buffers on 4 KB pages (${without})`);
}

function newestSource(dir, newest = 0) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(p, newest);
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  if (process.env.LAYERWATCH_FROM_SOURCE || !existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  // scripts/build-pages.mjs is bundled too (serve and replay build missing pages with it).
  return (
    ['server', 'lib', 'clients/node'].every((d) => newestSource(path.join(root, d)) <= built) &&
    statSync(path.join(root, 'scripts/build-pages.mjs')).mtimeMs <= built
  );
}

let cli;
if (bundleIsFresh()) {
  cli = await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../server/cli/main.ts');
}
const argv = process.argv.slice(2);
const code = await cli.main(argv);
if (typeof code === 'number') process.exitCode = code;
// A finished command ends here, around a shutdown deadlock of Node 20 (see server/cli/exit.ts).
if (cli.endsWithMain(argv)) await cli.exitFinished(typeof code === 'number' ? code : 0);
