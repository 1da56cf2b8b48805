#!/usr/bin/env node
// Builds the optional OpenBLAS/LAPACKE addon in native/ with node-gyp. Never fails the install: on any problem it prints one line and exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => console.log(`layerwatch native kernel: ${msg}`);

function findHeader(name) {
  const dirs = ['/usr/include', '/usr/local/include', '/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu', '/usr/include/openblas'];
  return dirs.some((d) => existsSync(join(d, name)));
}

function findNodeGyp() {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    /* not a dependency */
  }
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const prefix = join(dirname(process.execPath), '..');
  candidates.push(join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c));
}

function main() {
  if (process.env.LAYERWATCH_SKIP_NATIVE === '1') return say('skipped (LAYERWATCH_SKIP_NATIVE=1); using the JavaScript kernel');
  if (!findHeader('cblas.h') || !findHeader('lapacke.h')) {
    return say('cblas.h/lapacke.h not found (apt-get install libopenblas-dev liblapacke-dev); using the JavaScript kernel');
  }
  const gyp = findNodeGyp();
  if (!gyp) return say('node-gyp not found; using the JavaScript kernel');
  const args = [gyp, 'rebuild'];
  // Prefer the headers that ship with this Node (no download needed offline).
  const nodedir = join(dirname(process.execPath), '..');
  if (existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
  const res = spawnSync(process.execPath, args, { cwd: join(root, 'native'), encoding: 'utf8', timeout: 180_000 });
  if (res.status !== 0) {
    const why = (res.stderr || res.stdout || String(res.error ?? 'unknown error'))
      .trim()
      .split('\n')
      .filter((l) => /error/i.test(l))[0];
    return say(`build failed (${(why ?? 'see node-gyp output').slice(0, 160)}); using the JavaScript kernel`);
  }
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(root, 'native/build/Release/layerwatch_native.node'))})`], {
    encoding: 'utf8',
  });
  if (check.status !== 0) return say(`built but does not load (${check.stderr.trim().split('\n')[0]}); using the JavaScript kernel`);
  say('built native-openblas');
}

try {
  main();
} catch (err) {
  say(`skipped (${err instanceof Error ? err.message : String(err)}); using the JavaScript kernel`);
}
process.exit(0);
