/** The /live request table: unknown names and bad params are BAD_REQUEST at the edge, answers are checked by their result schema. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_METRIC, LIVE_REQUESTS, MAX_SERIES_POINTS, ProtocolError, isLiveRequestName, parseLiveRequest, parseLiveResult } from '../../../lib/protocol';

const badRequest = (pattern: RegExp) => (e: unknown) =>
  e instanceof ProtocolError && e.code === 'BAD_REQUEST' && pattern.test(e.message) && !e.message.includes('\n');

test('an unknown request name is BAD_REQUEST with the name (cut to 64 characters), inherited keys included', () => {
  assert.throws(() => parseLiveRequest('layer-matrx', 'r', {}), badRequest(/^unknown request "layer-matrx"$/));
  assert.throws(() => parseLiveRequest('x'.repeat(100), 'r', {}), badRequest(new RegExp(`^unknown request "${'x'.repeat(64)}"$`)));
  for (const name of ['toString', '__proto__', 'constructor']) {
    assert.equal(isLiveRequestName(name), false, name);
    assert.throws(() => parseLiveRequest(name, 'r', {}), badRequest(/^unknown request/), name);
  }
});

test('params that fail their schema are BAD_REQUEST naming the request, its usage and the field', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['layer-matrix', { metric: 'cca' }, /^layer-matrix params \{step\?, metric\?\}: metric: /],
    ['layer-matrix', { step: true }, /: step: must be a number$/],
    ['layer-matrix', { step: 'soon' }, /: step: must be a number$/],
    ['compare', {}, /^compare params .*: other: the second run id is required$/],
    ['run-at', {}, /^run-at params \{step\}: step: /],
    ['reanalyse', { k: 0 }, /: k: /],
    ['reanalyse', { k: 4097 }, /: k: must be an integer 1-4096$/],
    ['reanalyse', { k: 2.5 }, /: k: /],
    ['reanalyse', { threshold: 0 }, /: threshold: must be in \(0, 1\]$/],
    ['cancel-reanalysis', {}, /^cancel-reanalysis params \{key\}: key: /],
    ['series', { name: 'loss', points: 2 }, /^series params .*: points: /],
    ['series', { name: 'loss', points: MAX_SERIES_POINTS + 1 }, /: points: /],
    ['unit-examples', { layer: 'fc', unit: -1 }, /^unit-examples params \{layer, unit, step\?, k\? ≤ 64\}: unit: /],
    ['concept-units', { layer: 'fc', count: 513 }, /^concept-units params .*: count: /],
    ['gradcam', { step: -1 }, /^gradcam params \{step\?\}: step: /],
  ];
  for (const [what, params, pattern] of cases)
    assert.throws(() => parseLiveRequest(what, 'r', params), badRequest(pattern), `${what} ${JSON.stringify(params)}`);
});

test('valid params come out parsed: defaults filled, numeric strings read as numbers, unknown keys dropped', () => {
  assert.deepEqual(parseLiveRequest('layer-matrix', 'r', undefined), { what: 'layer-matrix', run: 'r', params: { metric: DEFAULT_METRIC } });
  assert.deepEqual(parseLiveRequest('layer-matrix', 'r', { step: '800', metric: 'cka', extra: 1 }).params, { step: 800, metric: 'cka' });
  assert.deepEqual(parseLiveRequest('series', 'r', { name: 'loss' }).params, { name: 'loss', points: MAX_SERIES_POINTS });
  assert.deepEqual(parseLiveRequest('reanalyse', 'r', { metric: 'svcca', threshold: 0.9 }).params, { metric: 'svcca', threshold: 0.9 });
  assert.deepEqual(parseLiveRequest('concept-units', 'r', { layer: 'fc' }).params, { layer: 'fc', from: 0, count: 512 });
});

test('every request of the table has a params schema that accepts its documented minimal params and a usage string', () => {
  const minimal: { [N in keyof typeof LIVE_REQUESTS]: Record<string, unknown> } = {
    series: { name: 'loss' },
    'layer-matrix': {},
    compare: { other: 'b' },
    'run-at': { step: 0 },
    reanalyse: {},
    'cancel-reanalysis': { key: 'cka' },
    'unit-examples': { layer: 'fc', unit: 0 },
    'concept-units': { layer: 'fc' },
    gradcam: {},
  };
  for (const [what, params] of Object.entries(minimal)) {
    assert.equal(parseLiveRequest(what, 'r', params).what, what);
    assert.ok(LIVE_REQUESTS[what as keyof typeof LIVE_REQUESTS].usage.startsWith('{'), what);
  }
});

test('an answer is checked by its result schema: defaults filled when it passes, one line naming the field when it fails', () => {
  const ok = parseLiveResult('cancel-reanalysis', { cancelled: true });
  assert.deepEqual(ok, { ok: true, data: { cancelled: true } });
  const nullable = parseLiveResult('gradcam', null);
  assert.deepEqual(nullable, { ok: true, data: null });
  const bad = parseLiveResult('layer-matrix', { metric: 'cka', step: 1, layers: ['a'], values: [['x']], chance: null });
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && /^the server answered "layer-matrix" with unexpected data \(values\.0\.0: /.test(bad.message), !bad.ok ? bad.message : '');
  const notObject = parseLiveResult('reanalyse', 'cka');
  assert.ok(!notObject.ok && /"reanalyse".*\(data: /.test(notObject.message));
});
