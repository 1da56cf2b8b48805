/** Cached decompositions: reuse, slimming, byte counts and structured cloning. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compare, prepare, preparedBytes, rankOf, similarity, slim } from '../../../lib/analysis/index';
import type { Metric } from '../../../lib/analysis/types';
import { relatedPair } from './fixtures';

describe('prepare / slim / compare', () => {
  const [a, b] = relatedPair(32, 500, 5);
  const a32 = { ...a, data: Float32Array.from(a.data) };

  it('compare on prepared layers equals similarity on activations', () => {
    const pa = prepare(a),
      pb = prepare(b);
    for (const metric of ['svcca', 'svcca-k', 'pwcca', 'cka'] as Metric[]) {
      const direct = similarity(a, b, metric);
      const cached = compare(pa, pb, metric);
      assert.ok(Math.abs(direct.value - cached.value) < 1e-12, metric);
      assert.deepEqual(cached.k, direct.k);
    }
  });

  it('slim keeps only what the metric needs and answers the same', () => {
    const pa = prepare(a32),
      pb = prepare(b);
    const full = preparedBytes(pa);
    assert.equal(rankOf(pa), 32);
    for (const metric of ['svcca', 'svcca-k', 'pwcca', 'cka'] as Metric[]) {
      const s = slim(pa, metric, { k: 4 });
      assert.ok(preparedBytes(s) <= full, `${metric} not larger`);
      const want = compare(pa, pb, metric, { k: 4 }).value;
      const got = compare(s, slim(pb, metric, { k: 4 }), metric, { k: 4 }).value;
      assert.ok(Math.abs(got - want) < 1e-5, `${metric}: ${got} vs ${want}`); // float32 basis storage
    }
    const k4 = slim(pa, 'svcca-k', { k: 4 });
    assert.equal(k4.rowCount, 4);
    assert.ok(preparedBytes(k4) < full / 6, `svcca-k basis ${preparedBytes(k4)} vs ${full}`);
  });

  it('prepared layers survive structuredClone (worker_threads)', () => {
    const pa = prepare(a),
      pb = slim(prepare(b), 'svcca');
    const ca = structuredClone(pa),
      cb = structuredClone(pb);
    assert.equal(compare(ca, cb, 'svcca').value, compare(pa, pb, 'svcca').value);
  });

  it('prepare does not modify its input', () => {
    const copy = Float64Array.from(a.data);
    prepare(a);
    assert.deepEqual(a.data, copy);
  });
});
