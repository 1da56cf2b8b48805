/** An imported log's stored analysis is untrusted: it must be well formed and describe the log, or the import is refused whole. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { importRun } from '../../../server/runs/import-run';
import { readRunLog } from '../../../server/storage/run-log-reader';
import { RecordKind } from '../../../server/storage/run-log-format';
import { craftLog, validRunRecords } from '../../fixtures/craft-log';
import { tempDir } from '../storage/helpers';

let dir = '';
let cleanup = async () => {};
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

const convergence = (patch: object) => JSON.stringify({ type: 'convergence', reference: 20, patch: { metric: 'svcca-k', cells: [], ...patch } });

/** A two-layer, two-checkpoint run log (steps 10 and 20) followed by `analysis` records, as an export writes it. */
async function exportWith(name: string, analysis: string[]): Promise<string> {
  const file = path.join(dir, name);
  const { records } = validRunRecords({ id: name.replace(/[^A-Za-z0-9-]/g, '-'), checkpoints: 2, layers: 2 });
  await fs.writeFile(file, craftLog([...records, ...analysis.map((a) => ({ kind: RecordKind.Analysis, payload: a }))]));
  return file;
}

test('an export whose analysis describes the log imports with it; unknown record types are kept for newer readers', async () => {
  const good = [
    convergence({ addSteps: [10], reference: 10, cells: [{ l: 0, c: 0, toNewest: 1, k: 2 }], pending: 0 }),
    convergence({
      addSteps: [20],
      reference: 20,
      cells: [
        { l: 1, c: 1, toNewest: 1 },
        { l: 1, c: 0, toNewest: 0.5 },
      ],
      chance: [0.1, 0.2],
    }),
    convergence({ key: 'svcca|threshold=0.9', addSteps: [10, 20], reference: 20, cells: [{ l: 0, c: 1, stability: 0.9 }] }),
    JSON.stringify({ type: 'from-a-newer-server', anything: [1, 2] }),
  ];
  const data = path.join(dir, 'data');
  const meta = await importRun(data, await exportWith('good.lwlog', good));
  let n = 0;
  for await (const _ of readRunLog(path.join(data, 'runs', meta.id, 'analysis.lwlog'), { strict: true })) n++;
  assert.equal(n, 4);
  assert.equal(meta.checkpoints, 2);
});

test('a malformed or inconsistent stored analysis is BAD_ANALYSIS and leaves nothing behind', async () => {
  const first = convergence({ addSteps: [10], reference: 10 });
  const cases: Array<[string, string[], RegExp]> = [
    ['text', ['not json at all'], /not JSON/],
    ['array', ['[1,2,3]'], /not an object with a "type"/],
    ['schema', [JSON.stringify({ type: 'convergence', reference: 10, patch: { metric: 'nope', cells: [] } })], /convergence: patch\.metric/],
    ['foreign step', [convergence({ addSteps: [15] })], /adds step 15 where the log's checkpoint 0 is 10/],
    ['too many steps', [convergence({ addSteps: [10, 20, 30] })], /adds step 30 where the log's checkpoint 2 is missing/],
    ['layer', [first, convergence({ cells: [{ l: 2, c: 0, toNewest: 1 }] })], /cell \(layer 2, column 0\) is outside the log's 2 layers × 1 checkpoints/],
    ['column', [first, convergence({ cells: [{ l: 0, c: 1, toNewest: 1 }] })], /column 1/],
    ['reference', [convergence({ addSteps: [10], reference: 99 })], /reference 99 is not a checkpoint/],
    [
      'concepts before meta',
      [
        JSON.stringify({
          type: 'concepts',
          patch: {
            cells: [
              { l: 0, step: 10, mode: 'none', best: [], iou: [], selectivity: [], detectors: 0, unique: 0, uniqueByCategory: [], sensitivity: [], k: null },
            ],
          },
        }),
      ],
      /concepts cell/,
    ],
  ];
  const data = path.join(dir, 'data');
  for (const [name, analysis, message] of cases) {
    await assert.rejects(importRun(data, await exportWith(`${name.replace(/ /g, '-')}.lwlog`, analysis)), (err: { code?: string; message?: string }) => {
      assert.equal(err.code, 'BAD_ANALYSIS', name);
      assert.match(err.message ?? '', message, name);
      return true;
    });
  }
  assert.deepEqual(await fs.readdir(path.join(data, 'runs')), []);
  assert.deepEqual(
    (await fs.readdir(data)).filter((n) => n.startsWith('.import-')),
    [],
  );
});
