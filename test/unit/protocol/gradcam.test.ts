/** Grad-CAM on the wire: the frame kind and its header fields, and the layer names. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeFrame, encodeFrame, gradcamSource, MAX_GRADCAM_EXAMPLES, type ProtocolError } from '../../../lib/protocol';

it('round-trips a gradcam frame with its examples and classes', () => {
  const data = Float32Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => i / 7);
  const { header } = decodeFrame(
    encodeFrame({ step: 4, layer: '__gradcam__:conv2', shape: [2, 2, 3, 3], kind: 'gradcam', examples: [3, 9], classes: [1, 1, 0, 2] }, data),
  );
  assert.deepEqual([header.kind, header.examples, header.classes], ['gradcam', [3, 9], [1, 1, 0, 2]]);
});

it('refuses examples or classes on other kinds, and too many examples', () => {
  const bad = (header: Parameters<typeof encodeFrame>[0], n: number) => () => decodeFrame(encodeFrame(header, new Float32Array(n)));
  assert.throws(
    bad({ step: 0, layer: 'fc', shape: [2, 3], examples: [0] }, 6),
    (e: ProtocolError) => e.code === 'BAD_FRAME' && /gradcam frames only/.test(e.message),
  );
  assert.throws(bad({ step: 0, layer: 'fc', shape: [2, 3], classes: [0] }, 6), (e: ProtocolError) => e.code === 'BAD_FRAME');
  const many = Array.from({ length: MAX_GRADCAM_EXAMPLES + 1 }, (_, i) => i);
  assert.throws(
    bad({ step: 0, layer: '__gradcam__:c', shape: [many.length, 1, 1, 1], kind: 'gradcam', examples: many, classes: many }, many.length),
    (e: ProtocolError) => e.code === 'BAD_FRAME',
  );
});

it('parses Grad-CAM layer names', () => {
  assert.equal(gradcamSource('__gradcam__:conv2'), 'conv2');
  assert.equal(gradcamSource('__gradcam__:features.3'), 'features.3');
  assert.equal(gradcamSource('__gradcam__:'), null);
  assert.equal(gradcamSource('__gradcam__'), null);
  assert.equal(gradcamSource('conv2'), null);
});
