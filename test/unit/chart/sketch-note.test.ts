/** The views' notes for sketched layers: exact, capped, approximate or unavailable, per metric. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LayerDecl } from '../../../lib/protocol';
import { conceptsSketchNote, sketchNote } from '../../../components/panels/sketch-note';

const layers: LayerDecl[] = [
  { name: 'a', units: 4096, kind: 'dense', sketch: 64 },
  { name: 'b', units: 4096, kind: 'dense', sketch: 64 },
  { name: 'logits', units: 10, kind: 'logits' },
];

test('no sketched layer: no note anywhere', () => {
  for (const m of ['svcca', 'svcca-k', 'cka', 'pwcca'] as const) assert.equal(sketchNote(m, layers.slice(2)), null);
  assert.equal(conceptsSketchNote(layers.slice(2)), null);
});

test('svcca: exact until a sketched row reaches k = K, then "k capped at K" naming the layers', () => {
  const names = ['a', 'b', 'logits'];
  assert.match(
    sketchNote('svcca-k', layers, names, [
      [10, 10],
      [10, 10],
      [9, 9],
    ])!,
    /^a, b sent as sketches \(K = 64\): exact while k ≤ K/,
  );
  const capped = sketchNote('svcca', layers, names, [
    [40, 64],
    [30, 50],
    [9, 9],
  ])!;
  assert.match(capped, /^k capped at K = 64 for a: .*99% rule wanted more/);
  assert.doesNotMatch(capped, /\bb\b/);
});

test('CKA approximate, PWCCA and concepts not available, each saying why', () => {
  assert.match(sketchNote('cka', layers)!, /^Approximate for a, b: .*top 64 directions/);
  assert.match(sketchNote('pwcca', layers)!, /^Not available for a, b: .*weighs every neuron/);
  assert.match(conceptsSketchNote(layers)!, /^No concept statistics for a, b: .*not single units/);
});
