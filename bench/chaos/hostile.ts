/** Seeded generators of malformed and valid-but-hostile websocket messages for /ingest and /live. */
import { encodeFrame, FRAME_MAGIC } from '../../lib/protocol';
import type { Rng } from '../../lib/random';

export type Message = string | Uint8Array;

const WEIRD_NAMES = [
  '名前',
  '🚀'.repeat(40),
  '\u202eevil',
  'a\u0000b',
  '\ud800',
  '../../etc/passwd',
  'CON',
  '',
  ' ',
  'x'.repeat(201),
  'é'.repeat(100),
  '\n\t"\\',
];

export function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[r.int(xs.length)];
}

export function randomBytes(r: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = r.int(256);
  return out;
}

/** A name: usually plain, sometimes hostile unicode. */
export function hostileName(r: Rng, plain: string): string {
  return r.next() < 0.7 ? plain : pick(r, WEIRD_NAMES);
}

/** JSON text nested `depth` levels deep (arrays or objects). */
export function deepJson(r: Rng, depth: number): string {
  return r.next() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

function frameHeaderBytes(header: object): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((8 + json.length) % 4)) % 4;
  const out = new Uint8Array(8 + json.length + pad);
  out.set(FRAME_MAGIC, 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  return out;
}

export interface FrameContext {
  runId: string;
  step: number;
  layers: Array<{ name: string; units: number }>;
  examples: number;
}

/** A valid frame for one declared layer. */
export function validFrame(r: Rng, ctx: FrameContext, layer = ctx.layers[r.int(ctx.layers.length)]): Uint8Array {
  const data = new Float32Array(layer.units * ctx.examples);
  for (let i = 0; i < data.length; i++) data[i] = r.normal();
  return encodeFrame({ run: ctx.runId, step: ctx.step, layer: layer.name, shape: [layer.units, ctx.examples] }, data);
}

/** One malformed or hostile binary frame. */
export function hostileFrame(r: Rng, ctx: FrameContext, maxFrameBytes: number): Uint8Array {
  const layer = ctx.layers[r.int(ctx.layers.length)];
  switch (r.int(10)) {
    case 0:
      return randomBytes(r, r.int(2048));
    case 1: {
      // Truncated: a valid frame cut anywhere, header included.
      const f = validFrame(r, ctx, layer);
      return f.subarray(0, r.int(f.length));
    }
    case 2: {
      // Lying header length.
      const f = validFrame(r, ctx, layer).slice();
      new DataView(f.buffer).setUint32(4, pick(r, [0, 1, 4097, 0xffffffff, f.length, f.length - 8 + r.int(9)]), true);
      return f;
    }
    case 3: {
      // Huge declared shape with a tiny payload, or a product that overflows.
      const shape = pick(r, [
        [2 ** 31 - 1, 2 ** 31 - 1],
        [65_536, 100_000],
        [2 ** 31 - 1, 2, 2 ** 31 - 1, 2 ** 31 - 1],
        [layer.units, ctx.examples * 1000],
      ]);
      return Uint8Array.from([...frameHeaderBytes({ run: ctx.runId, step: ctx.step, layer: layer.name, dtype: 'float32', shape }), ...randomBytes(r, 64)]);
    }
    case 4: {
      // Header JSON that is deep, not UTF-8, or has extra fields.
      const bad = pick(r, [
        deepJson(r, 5000),
        '{"step":1',
        '\xff\xfe',
        JSON.stringify({ step: ctx.step, layer: layer.name, dtype: 'float64', shape: [1, 1] }),
        JSON.stringify({ step: -1, layer: layer.name, dtype: 'float32', shape: [layer.units, ctx.examples], evil: true }),
      ]);
      const json = new TextEncoder().encode(bad).subarray(0, 4096);
      const out = new Uint8Array(8 + json.length);
      out.set(FRAME_MAGIC, 0);
      new DataView(out.buffer).setUint32(4, json.length, true);
      out.set(json, 8);
      return out;
    }
    case 5:
      // Wrong step, another run, or a layer that was not announced.
      return encodeFrame(
        {
          run: pick(r, [ctx.runId, 'other-run', 'x'.repeat(64)]),
          step: ctx.step + pick(r, [0, 1, -1 >>> 0]),
          layer: hostileName(r, layer.name),
          shape: [layer.units, ctx.examples],
        },
        new Float32Array(layer.units * ctx.examples),
      );
    case 6: {
      // NaN / Inf payload in an otherwise valid frame.
      const data = new Float32Array(layer.units * ctx.examples).fill(pick(r, [Number.NaN, Number.POSITIVE_INFINITY, 1e38]));
      return encodeFrame({ run: ctx.runId, step: ctx.step, layer: layer.name, shape: [layer.units, ctx.examples] }, data);
    }
    case 7:
      // Just over (or at) the frame limit.
      return new Uint8Array(maxFrameBytes + pick(r, [1, 0, -1]));
    case 8:
      return new Uint8Array(0);
    default:
      return validFrame(r, ctx, layer);
  }
}

/** One hostile JSON message for /ingest (valid JSON with hostile values, or not JSON at all). */
export function hostileJson(r: Rng, ctx: FrameContext): string {
  const layer = ctx.layers[r.int(ctx.layers.length)];
  switch (r.int(16)) {
    case 14:
      // Issue 21: class counts sized by the largest label (no class names), or thousands of concepts.
      return JSON.stringify({
        type: 'probe',
        examples: ctx.examples,
        labels: Array.from({ length: ctx.examples }, () => pick(r, [1e9, 2 ** 31, 999, 1000, 0])),
      });
    case 15:
      return JSON.stringify({
        type: 'probe',
        examples: ctx.examples,
        concepts: Array.from({ length: pick(r, [1, 2049, 5000]) }, (_, i) => ({ name: `k${i}`, category: 'x' })),
      });
    case 0:
      return new TextDecoder().decode(randomBytes(r, r.int(512)));
    case 1:
      return deepJson(r, pick(r, [100, 10_000, 200_000]));
    case 2:
      return JSON.stringify({ type: 'hello', protocol: pick(r, [1, 1.5, 2, -1]), run: { name: hostileName(r, 'again'), config: JSON.parse(deepJson(r, 40)) } });
    case 3:
      return JSON.stringify({
        type: 'layers',
        layers: Array.from({ length: pick(r, [0, 1, 300]) }, (_, i) => ({ name: hostileName(r, `L${i}`), units: pick(r, [1, 0, -5, 1e9, 2.5]) })),
      });
    case 4:
      return JSON.stringify({
        type: 'probe',
        examples: pick(r, [ctx.examples, 0, 1e12]),
        labels: Array.from({ length: r.int(5) }, () => r.int(1000)),
        classNames: ['a'],
      });
    case 5:
      return JSON.stringify({
        type: 'checkpoint',
        step: pick(r, [ctx.step, Number.MAX_SAFE_INTEGER, -1, 1.5]),
        layers: Array.from({ length: r.int(4) }, () => hostileName(r, layer.name)),
      });
    case 6: {
      const values: Record<string, unknown> = {};
      for (let i = 0; i < pick(r, [1, 256, 257]); i++) values[hostileName(r, `s${i}`) + i] = pick(r, [1, null, 1e308, -0, 'NaN']);
      return JSON.stringify({ type: 'scalars', step: r.int(1000), values });
    }
    case 7:
      return JSON.stringify({ type: pick(r, ['teleport', '', '__proto__', 'constructor']), __proto__: { polluted: true } });
    case 8:
      return '{"type":"scalars","step":1,"values":{"__proto__":1,"constructor":2,"loss":3}}';
    case 9:
      return JSON.stringify({ type: 'end', status: pick(r, ['finished', 'failed', 'exploded']) });
    case 10:
      return JSON.stringify({ type: 'ping', id: pick(r, [1, 1e308, -1]) });
    case 11:
      return JSON.stringify(pick(r, [null, 42, 'str', [], true]));
    case 12:
      return JSON.stringify({ type: 'scalars', step: ctx.step, values: { loss: r.normal() } });
    default:
      return JSON.stringify({ type: 'checkpoint', step: ctx.step, layers: ctx.layers.map((l) => l.name) });
  }
}

/** One hostile message for /live. */
export function hostileLive(r: Rng, runIds: string[]): string {
  switch (r.int(9)) {
    case 8:
      // Issue 21: a request that fails validation (a run id over 64 characters) must still be answered under its id.
      return JSON.stringify({ type: 'request', id: r.int(1e6), what: 'series', run: 'r'.repeat(65 + r.int(200)), params: { name: 'loss' } });
    case 0:
      return new TextDecoder().decode(randomBytes(r, r.int(256)));
    case 1:
      return deepJson(r, pick(r, [50, 20_000]));
    case 2:
      return JSON.stringify({
        type: 'subscribe',
        topic: pick(r, ['runs', 'run:../../etc', `run:${pick(r, runIds.length ? runIds : ['nope'])}`, 'run:con', 'x'.repeat(1000)]),
        since: pick(r, [undefined, { epoch: 'e', seq: 1e15 }, { epoch: 'x'.repeat(100), seq: -1 }]),
      });
    case 3:
      return JSON.stringify({ type: 'unsubscribe', topic: pick(r, ['runs', 'run:zzz']) });
    case 4:
      return JSON.stringify({
        type: 'request',
        id: r.int(1e6),
        what: pick(r, ['layer-matrix', 'x', '__proto__']),
        run: pick(r, runIds.length ? runIds : ['nope']),
        params: { step: pick(r, [1, -1, 1e300, 'NaN']), metric: pick(r, ['cka', 'svcca', 'evil']) },
      });
    case 5:
      return JSON.stringify({ type: 'ping', id: r.int(100) });
    case 6:
      return JSON.stringify({ type: 'subscribe', topic: 'runs', since: { epoch: 'stale', seq: r.int(100) } });
    default:
      return JSON.stringify({ type: pick(r, ['snapshot', 'delta', 'welcome']) });
  }
}
