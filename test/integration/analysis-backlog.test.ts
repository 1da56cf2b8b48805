/** When checkpoints arrive faster than they are analysed, viewers are told how far behind the analysis is, then that it caught up; nothing is dropped. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IngestClient } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import { gaussianMatrix, Rng } from '../../lib/analysis';
import type { AnalysisBacklog } from '../../lib/protocol';
import { startTestServer, until, type TestServer } from './helpers/server';
import { viewRun } from './helpers/run-viewer';

let server: TestServer;
before(async () => {
  server = await startTestServer({ liveMetrics: ['svcca-k', 'cka'], workers: 1 });
});
after(async () => {
  await server.close();
});

test('a burst of checkpoints: analysis-backlog deltas say how many wait, then 0; every column is analysed', async () => {
  const [layers, units, m, count] = [4, 400, 1000, 10];
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'burst' } });
  const seen: AnalysisBacklog[] = [];
  const live = await LiveClient.connect({
    url: server.liveUrl,
    onDelta: (d) => {
      if (d.run?.kind === 'analysis-backlog') seen.push(d.run.backlog);
    },
  });
  live.subscribe(`run:${trainer.runId}`);
  await trainer.declare(
    Array.from({ length: layers }, (_, l) => ({ name: `l${l}`, units })),
    { examples: m },
  );
  const data = Array.from({ length: layers }, (_, l) => Float32Array.from(gaussianMatrix(new Rng(l), units, m)));
  // The trainer is never held back by the analysis: every checkpoint is acked as soon as it is stored.
  for (let c = 0; c < count; c++)
    await trainer.checkpoint(
      c * 10,
      data.map((d, l) => ({ layer: `l${l}`, data: d.map((v, i) => v + 0.1 * c * Math.sin(i + l)), shape: [units, m] })),
    );
  await until(() => seen.some((b) => b.behind >= 2), 60_000, 'a backlog of at least 2 checkpoints');
  const most = seen.reduce((a, b) => (b.behind > a.behind ? b : a));
  assert.equal(most.metric, 'svcca-k');
  assert.ok(most.behind <= count);
  await until(() => seen.at(-1)?.behind === 0, 120_000, 'caught up');
  await trainer.end();
  await trainer.close();
  await server.analysis.idle();
  const view = await viewRun(server.liveUrl, trainer.runId);
  view.close();
  live.close();
  const grid = view.grids['svcca-k'];
  assert.equal(grid.steps.length, count, 'no checkpoint dropped');
  assert.ok(
    grid.toNewest.every((row) => row.every((v) => v !== null)),
    'every cell analysed',
  );
  assert.equal(view.snapshot.analysis?.backlog?.behind ?? 0, 0);
});
