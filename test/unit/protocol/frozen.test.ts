/** The "frozen" confirmation on the wire (trainer → server), its live delta and snapshot field, and the advice options that go with it. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseIngestMessage, type ProtocolError, RunDelta, RunSnapshot } from '../../../lib/protocol';
import { RunState } from '../../../server/runs/run-state';

const frozen = (over: Record<string, unknown>) => JSON.stringify({ type: 'frozen', layer: 'h1', step: 120, ...over });

it('parses a frozen confirmation with its layer and the trainer step, nothing else', () => {
  assert.deepEqual(parseIngestMessage(frozen({})), { type: 'frozen', layer: 'h1', step: 120 });
  for (const bad of [{ layer: '' }, { layer: 3 }, { step: -1 }, { step: 1.5 }, { step: undefined }, { layer: undefined }, { extra: true }]) {
    assert.throws(
      () => parseIngestMessage(frozen(bad)),
      (e: ProtocolError) => e.code === 'BAD_MESSAGE' && e.message.startsWith('frozen:'),
      JSON.stringify(bad),
    );
  }
});

it('the live side carries it as a delta and a snapshot field (absent in older snapshots: empty)', () => {
  assert.deepEqual(RunDelta.parse({ kind: 'frozen', frozen: { layer: 'h1', step: 120 } }), { kind: 'frozen', frozen: { layer: 'h1', step: 120 } });
  assert.throws(() => RunDelta.parse({ kind: 'frozen', frozen: { layer: 'h1' } }));
  const meta = { id: 'r', name: 'r', status: 'live', createdAt: 0, checkpoints: 0, lastStep: null, layers: 0, bytes: 0 };
  const old = RunSnapshot.parse({ meta, layers: [], probe: null, checkpoints: { steps: [], times: [] }, scalars: {}, warnings: [] });
  assert.deepEqual([old.advice, old.frozen], [[], []]);
});

it('RunState keeps the first confirmation per layer and announces it once', () => {
  const state = new RunState({ id: 'r', name: 'r', status: 'live', createdAt: 0, checkpoints: 0, lastStep: null, layers: 0, bytes: 0 });
  const apply = (layer: string, step: number) => state.apply({ kind: 'message', time: 0, message: { type: 'frozen', layer, step } });
  assert.deepEqual(apply('h1', 120), [{ kind: 'frozen', frozen: { layer: 'h1', step: 120 } }]);
  assert.deepEqual(apply('h1', 150), [], 'a repeat changes nothing');
  assert.deepEqual(apply('h2', 200), [{ kind: 'frozen', frozen: { layer: 'h2', step: 200 } }]);
  assert.deepEqual(state.snapshot().frozen, [
    { layer: 'h1', step: 120 },
    { layer: 'h2', step: 200 },
  ]);
});

it('hello options accept the new advice settings and still accept the old ones', () => {
  const hello = (advice: Record<string, unknown>) => JSON.stringify({ type: 'hello', protocol: 1, run: {}, options: { advice } });
  const msg = parseIngestMessage(
    hello({ enabled: true, threshold: 0.98, window: 3, minSpan: 0.25, totalSteps: 760, minMove: 0.05, rateFraction: 0.2, horizon: 3 }),
  );
  assert.equal(msg.type === 'hello' && msg.options?.advice?.horizon, 3);
  assert.equal(parseIngestMessage(hello({ enabled: true, minSpan: 1 })).type, 'hello', 'minSpan 1 stays valid');
  for (const bad of [{ minMove: 2 }, { rateFraction: -0.1 }, { horizon: 100 }]) {
    assert.throws(
      () => parseIngestMessage(hello(bad)),
      (e: ProtocolError) => e.code === 'BAD_MESSAGE',
      JSON.stringify(bad),
    );
  }
});
