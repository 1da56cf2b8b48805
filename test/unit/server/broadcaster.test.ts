/** server/broadcaster: a viewer that stops reading is held at highWaterBytes, caught up by one snapshot, or dropped with SLOW_CONSUMER. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Broadcaster, type Viewer } from '../../../server/live/broadcaster';

/** A viewer whose socket queue grows by what it is sent unless it `reads` (drains at once). */
function fakeViewer(id: number, reads = false) {
  const v = {
    id,
    buffered: 0,
    sent: [] as Array<{ type: string; seq: number }>,
    closed: null as string | null,
    send(text: string | Buffer) {
      v.sent.push(JSON.parse(String(text)));
      if (!reads) v.buffered += text.length;
    },
    bufferedAmount: () => v.buffered,
    close(_code: number, reason: string) {
      v.closed = reason;
    },
  };
  return v satisfies Viewer;
}

const scalars = (step: number) => ({ run: { kind: 'scalars' as const, series: { loss: { steps: [step], values: [1 / step] } } } });

function broadcaster(opts: { stallTimeoutMs?: number; ringSize?: number } = {}) {
  let snapshots = 0;
  const b = new Broadcaster({
    epoch: 'e',
    prepare: async () => true,
    snapshot: () => {
      snapshots++;
      return { runs: [] };
    },
    highWaterBytes: 1000,
    snapshotReuseMs: 0,
    ...opts,
  });
  return { b, snapshots: () => snapshots };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('stops sending to a viewer above the high-water mark and catches it up with one snapshot when it drains', async () => {
  const { b } = broadcaster({ ringSize: 4 });
  const slow = fakeViewer(1);
  const fast = fakeViewer(2, true);
  await b.subscribe(slow, 'run:a');
  await b.subscribe(fast, 'run:a');
  slow.buffered = 5000;
  for (let i = 1; i <= 20; i++) b.publish('run:a', scalars(i));
  assert.equal(fast.sent.filter((m) => m.type === 'delta').length, 20);
  assert.equal(slow.sent.length, 1, 'only the first snapshot reached the stalled viewer');
  assert.equal(b.backlog().stalled, 1);
  slow.buffered = 0;
  await tick(150);
  assert.deepEqual(
    slow.sent.map((m) => m.type),
    ['snapshot', 'snapshot'],
    'fell off the 4-delta ring: one fresh snapshot',
  );
  assert.equal(slow.sent[1].seq, 20);
  b.publish('run:a', scalars(21));
  assert.equal(slow.sent.at(-1)!.seq, 21);
  b.close();
});

it('queues nothing more to a stalled viewer that re-subscribes, and drops it with SLOW_CONSUMER after the stall timeout', async () => {
  const { b, snapshots } = broadcaster({ stallTimeoutMs: 100 });
  const v = fakeViewer(1);
  v.buffered = 5000;
  for (let i = 0; i < 10; i++) await b.subscribe(v, 'run:a');
  assert.equal(v.sent.length, 0);
  assert.equal(snapshots(), 0);
  await tick(300);
  assert.equal(v.closed, 'SLOW_CONSUMER');
  assert.equal(b.stats.dropped, 1);
  assert.equal(b.subscribers('run:a'), 0);
  b.close();
});
