/** kill -9 of the server in the middle of a checkpoint: after a restart the run is interrupted with every complete record, and the trainer resumes it. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { IngestClient } from '../../clients/node/ingest-client';
import { encodeFrame } from '../../lib/protocol';
import { readRunLog } from '../../server/storage/run-log-reader';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { CLI, startChildServer, tempDir } from './helpers/server';

const exec = promisify(execFile);

async function listRuns(dataDir: string) {
  const { stdout } = await exec(process.execPath, [CLI, 'runs', '--data', dataDir, '--json']);
  return JSON.parse(stdout).runs as Array<{ id: string; status: string; checkpoints: number; lastStep: number | null }>;
}

test('a crash mid-checkpoint loses only the incomplete checkpoint and the run resumes', async () => {
  const dataDir = await tempDir();
  const first = await startChildServer(dataDir);
  const built = buildRun({ layers: 3, units: 16, examples: 64 });
  const trainer = await IngestClient.connect({ url: first.ingestUrl, run: { name: 'crashy' } });
  await trainer.declare(built.layers, built.probe);
  for (const step of [1, 2, 3]) {
    await trainer.log(step, { loss: 1 / step });
    await trainer.checkpoint(step, buildCheckpoint(built, step));
  }
  // Scalars run ahead of the last checkpoint: lastStep must still be the checkpoint's step, in `runs` and the welcome alike.
  await trainer.log(5, { loss: 0.2 });
  // Half a checkpoint: the header and one of three frames, then the server dies.
  const partial = buildCheckpoint(built, 4);
  trainer.sendRaw(JSON.stringify({ type: 'checkpoint', step: 4, layers: partial.map((p) => p.layer) }));
  trainer.sendRaw(encodeFrame({ run: trainer.runId, step: 4, layer: partial[0].layer, shape: partial[0].shape }, partial[0].data));
  await new Promise((r) => setTimeout(r, 100));
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  trainer.terminate();

  const second = await startChildServer(dataDir);
  try {
    const listed = (await listRuns(dataDir)).find((r) => r.id === trainer.runId)!;
    assert.equal(listed.status, 'interrupted');
    assert.equal(listed.checkpoints, 3);
    assert.equal(listed.lastStep, 3);

    const resumed = await IngestClient.connect({ url: second.ingestUrl, run: { id: trainer.runId }, resume: true });
    assert.equal(resumed.welcome.resumed, true);
    assert.equal(resumed.welcome.lastStep, 3);
    await resumed.declare(built.layers, built.probe);
    // A resend of an already stored checkpoint is acknowledged as a duplicate, then the run goes on.
    const dup = await resumed.checkpoint(3, buildCheckpoint(built, 3));
    assert.equal(dup.duplicate, true);
    const ack = await resumed.checkpoint(4, buildCheckpoint(built, 4));
    assert.equal(ack.duplicate, undefined);
    await resumed.end();
    await resumed.close();

    const steps: number[] = [];
    let frames = 0;
    for await (const rec of readRunLog(path.join(dataDir, 'runs', trainer.runId, 'log.lwlog'), { strict: true })) {
      if (rec.kind === 2) frames++;
      if (rec.kind !== 1) continue;
      const msg = JSON.parse(rec.payload.toString('utf8'));
      if (msg.type === 'checkpoint') steps.push(msg.step);
    }
    assert.deepEqual(steps, [1, 2, 3, 4]);
    assert.equal(frames, 4 * 3);
    const after = (await listRuns(dataDir)).find((r) => r.id === trainer.runId)!;
    assert.deepEqual([after.status, after.checkpoints, after.lastStep], ['finished', 4, 4]);
  } finally {
    second.child.kill('SIGKILL');
  }
});
