/** The protocol's rules applied to stored logs: every crafted bad content case is refused whole by import with its reason, logs the collector writes pass, and data-directory readers skip bad records. */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { encodeFrame } from '../../../lib/protocol';
import { DEFAULT_LOG_LIMITS, LogContentCheck } from '../../../server/runs/log-content-check';
import { importLog, validateLogFile } from '../../../server/storage/import';
import { RunIndex } from '../../../server/storage/run-index';
import { RecordKind } from '../../../server/storage/run-log-format';
import { checkpointRecords, craftLog, event, frame, msg, validRunRecords } from '../../fixtures/craft-log';
import { gradcamFrame, HOSTILE_LOGS } from '../../fixtures/hostile-logs';
import { tempDir } from '../storage/helpers';

let dir = '';
let cleanup = async () => {};
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

test('each crafted bad log is refused whole with LOG_INVALID and its reason, and leaves nothing behind', async () => {
  const data = path.join(dir, 'data');
  for (const bad of HOSTILE_LOGS) {
    const file = path.join(dir, `${bad.name}.lwlog`);
    await fs.writeFile(file, bad.bytes());
    await assert.rejects(importLog(data, file, { check: new LogContentCheck() }), (err: { code?: string; details?: { reason?: string }; message: string }) => {
      assert.equal(err.code, 'LOG_INVALID', `${bad.name}: ${err.code} ${err.message}`);
      assert.equal(err.details?.reason, bad.reason, `${bad.name}: ${err.message}`);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
  }
  assert.deepEqual(await fs.readdir(path.join(data, 'runs')), []);
  assert.deepEqual(
    (await fs.readdir(data)).filter((n) => n.startsWith('.import-')),
    [],
  );
  assert.equal((await RunIndex.open(data)).list().length, 0);
});

test('what the collector writes passes: a resumed run, NaN warnings between frames, masks and images, pings, opaque analysis records', async () => {
  const { run, records } = validRunRecords({ id: 'resumed', checkpoints: 1, end: false });
  const probe = {
    type: 'probe',
    ...run.probe,
    concepts: [{ name: 'stripes', category: 'texture' }],
    maskSize: { h: 2, w: 2 },
    imageSize: { h: 2, w: 2, channels: 1 },
  };
  const m = run.probe.examples;
  const [cp, f0, f1] = checkpointRecords(run, 20, 'resumed');
  const log = craftLog([
    ...records.slice(0, 2),
    msg(probe),
    frame(encodeFrame({ run: 'resumed', step: 0, layer: '__masks__', shape: [m, 1, 2, 2], kind: 'masks' }, new Float32Array(m * 4).fill(1))),
    frame(encodeFrame({ step: 0, layer: '__images__', shape: [m, 2, 2, 1], kind: 'images' }, new Float32Array(m * 4).fill(0.5))),
    ...records.slice(3),
    msg({ type: 'end', status: 'finished' }),
    event({ type: 'status', status: 'finished' }),
    event({ type: 'resumed' }),
    msg({ type: 'hello', protocol: 1, resume: true, run: { id: 'resumed' } }),
    msg({ type: 'ping', id: 3 }),
    cp,
    f0,
    event({ type: 'warning', warning: { code: 'NON_FINITE', message: '1 of 24 values are NaN or Inf', step: 20, layer: 'l0' } }),
    f1,
    event({
      type: 'advice',
      advice: { layer: 'l0', step: 20, action: 'freeze', evidence: { metric: 'cka', threshold: 0.9, window: 1, steps: [10], stability: [0.95] } },
    }),
    { kind: RecordKind.Analysis, payload: 'anything' },
    msg({ type: 'scalars', step: 20, values: { loss: 0.5, acc: null } }),
    event({ type: 'status', status: 'interrupted', reason: 'trainer disconnected' }),
  ]);
  const file = path.join(dir, 'resumed.lwlog');
  await fs.writeFile(file, log);
  await validateLogFile(file, new LogContentCheck());
  const meta = await importLog(path.join(dir, 'data'), file, { check: new LogContentCheck() });
  assert.deepEqual([meta.id, meta.checkpoints, meta.lastStep], ['resumed', 2, 20]);
});

test('Grad-CAM frames after their checkpoints pass, a step replaced by a later frame too, as the collector stores them', async () => {
  const { run, records } = validRunRecords({ id: 'hostile', checkpoints: 2 });
  // records: hello, layers, probe, then per checkpoint (message, 2 frames, scalars); the maps follow each checkpoint's frames.
  const log = craftLog([
    ...records.slice(0, 6),
    gradcamFrame(10),
    ...records.slice(6, 10),
    gradcamFrame(20, { examples: [5], classes: [2, 0] }),
    gradcamFrame(10, {}, 0),
    ...records.slice(10),
  ]);
  assert.equal(run.probe.examples, 6);
  const file = path.join(dir, 'gradcam.lwlog');
  await fs.writeFile(file, log);
  await validateLogFile(file, new LogContentCheck());
  const meta = await importLog(path.join(dir, 'data'), file, { check: new LogContentCheck() });
  assert.equal(meta.checkpoints, 2);
});

test("the limits are the server's: a log within raised limits imports, the same log under the defaults does not", async () => {
  const records = [msg({ type: 'hello', protocol: 1, run: { id: 'wide' } }), msg({ type: 'layers', layers: [{ name: 'wide', units: 70_000 }] })];
  const file = path.join(dir, 'wide.lwlog');
  await fs.writeFile(file, craftLog(records));
  await assert.rejects(validateLogFile(file, new LogContentCheck()), { code: 'LOG_INVALID' });
  const raised = new LogContentCheck({ ...DEFAULT_LOG_LIMITS, maxUnits: 100_000 });
  await validateLogFile(file, raised);
});

test('a log past the run byte limit is refused at the record that crosses it, from its header', async () => {
  const file = path.join(dir, 'long.lwlog');
  const bytes = craftLog(validRunRecords({ id: 'long', checkpoints: 3 }).records);
  await fs.writeFile(file, bytes);
  const limit = Math.floor(bytes.length / 2);
  await assert.rejects(
    validateLogFile(file, new LogContentCheck({ ...DEFAULT_LOG_LIMITS, maxRunBytes: limit })),
    (err: { code?: string; details?: { reason?: string; offset?: number } }) => {
      assert.deepEqual([err.code, err.details?.reason], ['LOG_INVALID', 'LIMIT_RUN_BYTES']);
      assert.ok(err.details!.offset! <= limit);
      return true;
    },
  );
  await validateLogFile(file, new LogContentCheck({ ...DEFAULT_LOG_LIMITS, maxRunBytes: bytes.length }));
});

test('accept(): a reader of a data directory gets each bad record as a problem and goes on with the rest', () => {
  const check = new LogContentCheck(undefined, { frames: false });
  const { records } = validRunRecords({ id: 'skip', checkpoints: 2 });
  const kinds = records.filter((r) => r.kind !== RecordKind.Binary);
  const bad = [event(null), msg({ type: 'layers', layers: [{ name: 'x', units: 1e9 }] }), msg({ type: 'checkpoint', step: 10, layers: ['l0', 'l1'] })];
  const problems: string[] = [];
  let applied = 0;
  for (const r of [...kinds.slice(0, 4), ...bad, ...kinds.slice(4)]) {
    const payload = r.payload instanceof Uint8Array ? r.payload : new TextEncoder().encode(JSON.stringify(r.payload));
    const out = check.accept(r.kind, 1, payload);
    if ('problem' in out) problems.push(out.problem.code);
    else applied++;
  }
  assert.deepEqual(problems, ['BAD_EVENT', 'LIMIT_UNITS', 'STEP_ORDER']);
  assert.equal(applied, kinds.length, 'every good record still applies');
});
