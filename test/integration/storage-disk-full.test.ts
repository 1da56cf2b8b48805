/**
 * A real full disk: a 1 MiB tmpfs. Needs root (or CAP_SYS_ADMIN) to mount; the test
 * skips with a message when mounting is not permitted. The injected-fs unit test in
 * test/unit/storage/run-log-writer.test.ts covers the same path everywhere.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readRunLog } from '../../server/storage/run-log-reader';
import { RunLogWriter } from '../../server/storage/run-log-writer';
import type { StorageError } from '../../server/storage/storage-error';

async function mountTmpfs(dir: string): Promise<string | null> {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot mount a 1 MiB tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim() || 'not permitted'}); run as root to test a real ENOSPC`;
  }
}

test('on a full tmpfs the log reports DISK_FULL, stays readable and resumes when space returns', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lw-full-'));
  const why = await mountTmpfs(dir);
  if (why) {
    t.skip(why);
    await fs.rm(dir, { recursive: true, force: true });
    return;
  }
  try {
    const file = path.join(dir, 'log.lwlog');
    const filler = path.join(dir, 'filler.bin');
    await fs.writeFile(filler, Buffer.alloc(400 << 10, 1));
    const errors: StorageError[] = [];
    const w = await RunLogWriter.open(file, { onError: (e) => errors.push(e) });
    const chunk = new Uint8Array(100 << 10).fill(5);
    let written = 0;
    let failure: StorageError | null = null;
    for (let i = 0; i < 20 && !failure; i++) {
      w.append(2, chunk, i);
      try {
        await w.flush();
        written++;
      } catch (err) {
        failure = err as StorageError;
      }
    }
    assert.ok(failure, 'the 1 MiB disk filled up');
    assert.equal(failure.code, 'DISK_FULL');
    assert.equal(errors[0]?.code, 'DISK_FULL');
    const readBack = async () => {
      let n = 0;
      for await (const _ of readRunLog(file, { strict: true })) n++;
      return n;
    };
    assert.equal(await readBack(), written, 'the log holds exactly the records that were written');
    // Still full: another big record fails too, and the log is unchanged.
    w.append(2, chunk, 98);
    await assert.rejects(w.flush(), { code: 'DISK_FULL' });
    assert.equal(await readBack(), written);
    // Space returns.
    await fs.rm(filler);
    w.append(2, chunk, 99);
    w.append(1, '{"type":"end"}', 100);
    await w.sync();
    assert.equal(await readBack(), written + 2, 'appends resume when there is room');
    await w.close();
  } finally {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      // Best effort; the directory removal below then fails loudly if something is still mounted.
    }
    await fs.rm(dir, { recursive: true, force: true });
  }
});
