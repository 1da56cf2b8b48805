/** Stores many small runs fast through /ingest (the Node client), for the run list's search, filter and sort tests. */
import { IngestClient } from '../../clients/node/ingest-client';
import { Rng } from '../../lib/random';

export interface SeededRun {
  id: string;
  name: string;
  project: string;
  config: { lr: number; optimizer: string; seed: number; width: number };
  status: 'finished' | 'failed' | 'interrupted';
}

const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'];

/** The plan of run i of a sweep: deterministic names, configs and final statuses. */
export function plannedRun(prefix: string, i: number): SeededRun {
  const n = String(i).padStart(2, '0');
  return {
    id: `${prefix}-${n}`,
    name: `${prefix} ${n}`,
    project: i % 2 ? 'sweep-odd' : 'sweep-even',
    config: { lr: [0.1, 0.01, 0.001][i % 3], optimizer: OPTIMIZERS[i % 3 === 0 ? 0 : i % 5 === 0 ? 2 : 1], seed: i, width: 8 },
    status: i % 10 === 7 ? 'failed' : i % 10 === 8 ? 'interrupted' : 'finished',
  };
}

/** Opens a run, declares 2 small layers, sends `checkpoints` checkpoints with a loss each; returns the open client. */
export async function startRun(
  url: string,
  run: Pick<SeededRun, 'id' | 'name' | 'project' | 'config'>,
  checkpoints: number,
  seed: number,
): Promise<IngestClient> {
  const client = await IngestClient.connect({ url, run: { id: run.id, name: run.name, project: run.project, config: run.config } });
  const m = 24;
  const layers = [
    { name: 'h1', units: 6 },
    { name: 'h2', units: 6 },
  ];
  await client.declare(layers, { examples: m });
  const rng = new Rng(seed);
  const rand = () => rng.next();
  for (let c = 0; c < checkpoints; c++) {
    const step = (c + 1) * 10;
    await client.log(step, { loss: 2 * Math.exp(-c / 2) + 0.05 * rand() });
    await client.checkpoint(
      step,
      layers.map((l) => ({ layer: l.name, shape: [l.units, m], data: Float32Array.from({ length: l.units * m }, () => rand() - 0.5) })),
    );
  }
  return client;
}

/** Stores `count` runs of a sweep (a few at a time), each ended as planned; returns their plans. */
export async function seedRuns(url: string, prefix: string, count: number, checkpoints = 2): Promise<SeededRun[]> {
  const plans = Array.from({ length: count }, (_, i) => plannedRun(prefix, i));
  for (let i = 0; i < plans.length; i += 10) {
    await Promise.all(
      plans.slice(i, i + 10).map(async (p, j) => {
        const client = await startRun(url, p, checkpoints, i + j + 1);
        if (p.status === 'interrupted') client.terminate();
        else {
          await client.end(p.status);
          await client.close();
        }
      }),
    );
  }
  return plans;
}
