/** Probe images on the wire: the probe's imageSize, the "images" frame kind, the images layer names and the byte conversion. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeFrame, encodeFrame, imageBytes, imagesFirstExample, parseIngestMessage, type ProtocolError } from '../../../lib/protocol';

const probe = (imageSize: unknown) => JSON.stringify({ type: 'probe', examples: 4, imageSize });

it('accepts an imageSize of 1 or 3 channels and sides 1-256, nothing else', () => {
  const msg = parseIngestMessage(probe({ h: 8, w: 256, channels: 3 }));
  assert.equal(msg.type === 'probe' && msg.imageSize?.channels, 3);
  assert.equal(parseIngestMessage(JSON.stringify({ type: 'probe', examples: 4 })).type, 'probe', 'imageSize is optional');
  for (const bad of [
    { h: 8, w: 8, channels: 2 },
    { h: 0, w: 8, channels: 1 },
    { h: 8, w: 257, channels: 1 },
    { h: 8, w: 8 },
    { h: 8, w: 8, channels: 1, extra: 1 },
    { h: 2.5, w: 8, channels: 1 },
  ]) {
    assert.throws(
      () => parseIngestMessage(probe(bad)),
      (e: ProtocolError) => e.code === 'BAD_MESSAGE' && /imageSize/.test(e.message),
      JSON.stringify(bad),
    );
  }
});

it('round-trips a frame of kind "images"', () => {
  const data = Float32Array.from({ length: 2 * 3 * 2 * 1 }, (_, i) => i / 11);
  const frame = decodeFrame(encodeFrame({ step: 0, layer: '__images__@4', shape: [2, 3, 2, 1], kind: 'images' }, data));
  assert.equal(frame.header.kind, 'images');
  assert.deepEqual(Array.from(frame.data), Array.from(data));
});

it('parses images layer names', () => {
  assert.equal(imagesFirstExample('__images__'), 0);
  assert.equal(imagesFirstExample('__images__@120'), 120);
  assert.equal(imagesFirstExample('__images__@x'), null);
  assert.equal(imagesFirstExample('__masks__'), null);
  assert.equal(imagesFirstExample('conv1'), null);
});

it('converts values to bytes as round(x · 255), clamped', () => {
  assert.deepEqual(Array.from(imageBytes(Float32Array.from([0, 1, 0.5, 0.501, 1 / 255, 0.4999 / 255, 2, -1]))), [0, 255, 128, 128, 1, 0, 255, 0]);
});
