import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { restartWithHugePages } from '../../bin/huge-pages.mjs';
import { ROOT, startChildServer, tempDir, type ChildServer } from './helpers/server';

const ADDON = path.join(ROOT, 'native/build/Release/layerwatch_native.node');
const canReexec =
  process.platform === 'linux' && existsSync(ADDON) && typeof (createRequire(import.meta.url)(ADDON) as { reexec?: unknown }).reexec === 'function';

function tunables(server: ChildServer): string | undefined {
  const env = readFileSync(`/proc/${server.child.pid}/environ`, 'utf8').split('\0');
  return env.find((e) => e.startsWith('GLIBC_TUNABLES='))?.slice('GLIBC_TUNABLES='.length);
}

async function stop(server: ChildServer): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGINT');
  return exited;
}

test('serve restarts itself in place with glibc huge pages: same pid, output and signals; opt-out and a user setting respected', {
  skip: !canReexec,
}, async () => {
  const plain = await startChildServer(await tempDir(), [], 0, {});
  try {
    assert.equal(tunables(plain), 'glibc.malloc.hugetlb=1', 'the process the test spawned now runs with the tunable');
    assert.match(plain.output(), /listening on/, 'its output still reaches the parent after the exec');
    assert.doesNotMatch(plain.output(), /4 KB pages/);
  } finally {
    assert.equal(await stop(plain), 0, 'SIGINT reaches the same pid and it shuts down cleanly');
  }
  const off = await startChildServer(await tempDir(), [], 0, { LAYERWATCH_HUGE_PAGES: '0' });
  try {
    assert.equal(tunables(off), process.env.GLIBC_TUNABLES, 'LAYERWATCH_HUGE_PAGES=0: not restarted');
  } finally {
    await stop(off);
  }
  const own = await startChildServer(await tempDir(), [], 0, { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' });
  try {
    assert.equal(tunables(own), 'glibc.malloc.hugetlb=0', "the user's own hugetlb setting wins");
  } finally {
    await stop(own);
  }
});

test('without the native addon serve runs as it is, and says why', {
  skip: process.platform !== 'linux' || (process.env.GLIBC_TUNABLES ?? '').includes('hugetlb'),
}, async () => {
  const root = await tempDir();
  assert.match(restartWithHugePages(root) ?? '', /native addon is not built/);
  process.env.LAYERWATCH_HUGE_PAGES = '0';
  try {
    assert.equal(restartWithHugePages(root), null, 'turned off: nothing to say');
  } finally {
    delete process.env.LAYERWATCH_HUGE_PAGES;
  }
});
