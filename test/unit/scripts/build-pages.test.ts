/** `npm run demo` rebuilds the pages only when a page source is newer than the last build. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensurePages, pagesFresh } from '../../../scripts/build-pages.mjs';

test('pagesFresh: no build → stale; build newer than sources → fresh; a touched source (not node_modules) → stale', () => {
  const root = mkdtempSync(join(tmpdir(), 'lw-pages-'));
  try {
    const at = (file: string, seconds: number) => {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), 'x');
      utimesSync(join(root, file), seconds, seconds);
    };
    at('app/page.tsx', 1000);
    at('lib/protocol/live.ts', 1000);
    at('package.json', 1000);
    assert.equal(pagesFresh(root), false, 'never built');
    at('.next/BUILD_ID', 2000);
    assert.equal(pagesFresh(root), true);
    at('app/node_modules/dep/index.js', 3000);
    assert.equal(pagesFresh(root), true, 'node_modules do not count');
    at('lib/protocol/live.ts', 3000);
    assert.equal(pagesFresh(root), false, 'a newer lib file needs a build');
    at('.next/BUILD_ID', 4000);
    at('next.config.js', 5000);
    assert.equal(pagesFresh(root), false, 'a newer config needs a build');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ensurePages (what serve and replay call): builds missing or stale pages once, says so, then skips; a failed build is PAGES_BUILD_FAILED', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lw-pages-'));
  try {
    mkdirSync(join(root, 'app'), { recursive: true });
    writeFileSync(join(root, 'app/page.tsx'), 'x');
    utimesSync(join(root, 'app/page.tsx'), 1000, 1000);
    const lines: string[] = [];
    const builds: string[] = [];
    // Stands in for `next build`: what a build leaves behind is a fresh .next/BUILD_ID.
    const build = async (dir: string) => {
      builds.push(dir);
      mkdirSync(join(dir, '.next'), { recursive: true });
      writeFileSync(join(dir, '.next/BUILD_ID'), 'test');
      return 0;
    };
    const opts = { log: (l: string) => lines.push(l), env: {}, build };
    assert.equal(await ensurePages(root, opts), 'built', 'a fresh clone has no .next');
    assert.deepEqual(builds, [root]);
    assert.match(lines[0], /^layerwatch: building the pages first \(next build.*no build in \.next yet/);
    assert.equal(await ensurePages(root, opts), 'fresh', 'the second start does not build');
    assert.equal(builds.length, 1);
    utimesSync(join(root, '.next/BUILD_ID'), 1500, 1500);
    utimesSync(join(root, 'app/page.tsx'), 2000, 2000);
    assert.equal(await ensurePages(root, opts), 'built', 'an edited page needs a new build');
    assert.match(lines[1], /a page source is newer than the build/);
    assert.equal(await ensurePages(root, { ...opts, env: { LAYERWATCH_FORCE_BUILD: '1' } }), 'built');
    assert.equal(builds.length, 3);
    utimesSync(join(root, 'app/page.tsx'), Date.now() / 1000 + 60, Date.now() / 1000 + 60);
    assert.equal(await ensurePages(root, { ...opts, env: { LAYERWATCH_SKIP_BUILD: '1' } }), 'skipped');
    assert.equal(builds.length, 3);
    await assert.rejects(
      ensurePages(root, { ...opts, build: async () => 2 }),
      (err: { code?: string; message?: string }) => err.code === 'PAGES_BUILD_FAILED' && /code 2/.test(err.message ?? ''),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
