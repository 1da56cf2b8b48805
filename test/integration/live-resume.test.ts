/** A /live subscriber that loses its connection mid-stream resumes from its last sequence number: no gap, no duplicate. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IngestClient } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import { buildRun } from '../fixtures/build-run';
import { startTestServer, until, type TestServer } from './helpers/server';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

test('resume after a forced disconnect delivers every delta exactly once', async () => {
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'resume' } });
  const built = buildRun();
  await trainer.declare(built.layers, built.probe);
  const topic = `run:${trainer.runId}`;

  const seen: number[] = [];
  const seqs: number[] = [];
  const record = (m: { type: string; topic?: string; seq?: number; run?: unknown }) => {
    if (m.type === 'snapshot' && m.topic === topic) {
      const snap = m.run as { scalars: Record<string, { steps: number[] }> };
      seen.push(...(snap.scalars.loss?.steps ?? []));
      seqs.push(m.seq!);
    }
    if (m.type === 'delta' && m.topic === topic) {
      seqs.push(m.seq!);
      const d = m.run as { kind: string; series?: Record<string, { steps: number[] }> };
      if (d.kind === 'scalars') seen.push(...(d.series!.loss?.steps ?? []));
    }
  };
  const first = await LiveClient.connect({ url: server.liveUrl, onMessage: record });
  first.subscribe(topic);
  await first.waitFor((m) => m.type === 'snapshot');

  for (let step = 1; step <= 40; step++) await trainer.log(step, { loss: 1 / step });
  await until(() => seen.length >= 40, 5000, 'first 40 points');
  const resumeFrom = { epoch: first.epoch, seq: first.seqs.get(topic)! };
  first.terminate();

  // While the viewer is away the run goes on.
  for (let step = 41; step <= 80; step++) await trainer.log(step, { loss: 1 / step });

  const second = await LiveClient.connect({ url: server.liveUrl, onMessage: record });
  second.subscribe(topic, resumeFrom);
  for (let step = 81; step <= 100; step++) await trainer.log(step, { loss: 1 / step });
  await until(() => seen.includes(100), 5000, 'point 100');

  assert.deepEqual(
    seen,
    Array.from({ length: 100 }, (_, i) => i + 1),
    'every point once, in order',
  );
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `sequence numbers contiguous at ${i}`);
  second.close();
  await trainer.end();
  await trainer.close();
});

test('a resume point the server no longer holds (other epoch) gets a fresh snapshot', async () => {
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'stale' } });
  await trainer.log(1, { loss: 1 });
  const live = await LiveClient.connect({ url: server.liveUrl });
  live.subscribe(`run:${trainer.runId}`, { epoch: 'not-this-server', seq: 3 });
  const snap = await live.waitFor((m) => m.type === 'snapshot');
  assert.equal(snap.type, 'snapshot');
  live.close();
  await trainer.close();
});

test('the run list topic announces a new run and its end', async () => {
  const live = await LiveClient.connect({ url: server.liveUrl });
  live.subscribe('runs');
  await live.waitFor((m) => m.type === 'snapshot' && m.topic === 'runs');
  const announced = live.waitFor((m) => m.type === 'delta' && m.runs?.kind === 'run' && m.runs.meta.name === 'listed' && m.runs.meta.status === 'live');
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'listed' } });
  await announced;
  const finished = live.waitFor((m) => m.type === 'delta' && m.runs?.kind === 'run' && m.runs.meta.id === trainer.runId && m.runs.meta.status === 'finished');
  await trainer.end();
  await finished;
  live.close();
  await trainer.close();
});
