/** `layerwatch export --log` then `layerwatch replay FILE`: a dashboard on one exported log, without the data directory. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { simulateRun } from '../../clients/node/simulate';
import { LiveClient } from '../../clients/node/live-client';
import { CLI, startTestServer, tempDir } from './helpers/server';

const exec = promisify(execFile);

test('an exported log replays in its own dashboard; a file that is not a log is refused', async () => {
  const server = await startTestServer();
  const id = await simulateRun({ url: server.ingestUrl, name: 'exported', seed: 2, layers: 2, units: 8, examples: 40, checkpoints: 6, intervalMs: 0 });
  await server.analysis.idle();
  const file = path.join(await tempDir(), 'run.lwlog');
  await exec(process.execPath, [CLI, 'export', id, '--data', server.dataDir, '--log', '-o', file]);
  await server.close();

  const child = spawn(process.execPath, [CLI, 'replay', file, '--port', '0', '--no-pages'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`replay exited ${code}: ${out}`)));
    });
    const { runs } = (await (await fetch(`${url}/api/runs`)).json()) as { runs: Array<{ id: string; checkpoints: number; status: string }> };
    assert.equal(runs.length, 1);
    assert.deepEqual([runs[0].checkpoints, runs[0].status], [6, 'finished']);
    const live = await LiveClient.connect({ url: `${url.replace(/^http/, 'ws')}/live` });
    live.subscribe(`run:${runs[0].id}`);
    const snap = await live.waitFor((m) => m.type === 'snapshot');
    live.close();
    assert.equal(snap.type === 'snapshot' && snap.run!.checkpoints.steps.length, 6);
  } finally {
    child.kill('SIGTERM');
  }
  const notALog = path.join(await tempDir(), 'notes.txt');
  await (await import('node:fs/promises')).writeFile(notALog, 'not a run log\n');
  const refused = await exec(process.execPath, [CLI, 'replay', notALog, '--port', '0', '--no-pages']).catch((e: { code: number; stderr: string }) => e);
  assert.equal((refused as { code: number }).code, 1);
  assert.match((refused as { stderr: string }).stderr, /NOT_A_LOG/);
});
