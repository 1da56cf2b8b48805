/** `npm run demo` rebuilds the pages only when a page source is newer than the last build. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error: a plain .mjs script without type declarations
import { pagesFresh } from '../../../scripts/build-pages.mjs';

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
