import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { analysisLog } from '../../../server/analysis/analysis-log';
import { AnalysisWriter, type WriterFailure } from '../../../server/analysis/analysis-store';
import { tempDir } from '../storage/helpers';

let dir: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => (dir = await tempDir()));
afterEach(() => dir.cleanup());

test('an analysis log that cannot be written reports it once, with its code, and appends go on answering null', async () => {
  // The log's directory is a file: every open fails.
  const blocker = path.join(dir.dir, 'run');
  writeFileSync(blocker, 'not a directory');
  const failures: Array<{ code: WriterFailure; err: unknown }> = [];
  const w = new AnalysisWriter(path.join(blocker, 'analysis.lwlog'), (code, err) => failures.push({ code, err }));
  assert.equal(await w.appendBinary(new Uint8Array([1, 2, 3])), null);
  w.append({ type: 'convergence', reference: null, patch: { metric: 'cka', cells: [] } });
  assert.equal(await w.appendBinary(new Uint8Array([4])), null);
  await w.flush();
  await w.close();
  assert.deepEqual(
    failures.map((f) => f.code),
    ['ANALYSIS_WRITE_FAILED'],
  );
  assert.match(String((failures[0].err as Error).message), /ENOTDIR|not a directory/i);
});

test('analysis log lines carry the code, the run and what failed', () => {
  const lines: string[] = [];
  const log = analysisLog((line) => lines.push(line));
  log('PAIRS_FAILED', 'run-1', new Error('boom'), 'cka of conv1 at column 3');
  log('CHANCE_FAILED', 'run-2', { id: 1, op: 'chance', ok: false, code: 'ANALYSIS_FAILED', message: 'no kernel' });
  assert.deepEqual(lines, [
    'analysis: PAIRS_FAILED run run-1 (cka of conv1 at column 3): boom',
    'analysis: CHANCE_FAILED run run-2: ANALYSIS_FAILED: no kernel',
  ]);
});
