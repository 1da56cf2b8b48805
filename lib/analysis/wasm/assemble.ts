/**
 * A tiny assembler for the WebAssembly subset our kernels use: flat (unfolded) WAT instruction text per function,
 * one imported memory, exported functions. The kernels are generated as text by ordinary TypeScript (wasm-kernels.ts)
 * and assembled when the module loads, so there is no build step, no binary to keep in sync and no file to find
 * from a bundle or a worker thread.
 */

export type ValType = 'i32' | 'f64' | 'v128';

export interface FuncDef {
  name: string;
  params: [string, ValType][];
  locals?: [string, ValType][];
  result?: ValType;
  /** Flat instructions: `local.get $x`, `block $done`, `br_if $done`, `v128.load offset=16`, `end`, `;; comments`. */
  body: string;
}

const TYPE: Record<ValType, number> = { i32: 0x7f, f64: 0x7c, v128: 0x7b };

/** Opcodes without immediates. */
const PLAIN: Record<string, number | [number, number]> = {
  unreachable: 0x00,
  nop: 0x01,
  else: 0x05,
  end: 0x0b,
  return: 0x0f,
  drop: 0x1a,
  select: 0x1b,
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_s': 0x48,
  'i32.lt_u': 0x49,
  'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b,
  'i32.le_s': 0x4c,
  'i32.le_u': 0x4d,
  'i32.ge_s': 0x4e,
  'i32.ge_u': 0x4f,
  'f64.eq': 0x61,
  'f64.ne': 0x62,
  'f64.lt': 0x63,
  'f64.gt': 0x64,
  'f64.le': 0x65,
  'f64.ge': 0x66,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.div_s': 0x6d,
  'i32.div_u': 0x6e,
  'i32.rem_s': 0x6f,
  'i32.rem_u': 0x70,
  'i32.and': 0x71,
  'i32.or': 0x72,
  'i32.xor': 0x73,
  'i32.shl': 0x74,
  'i32.shr_s': 0x75,
  'i32.shr_u': 0x76,
  'f64.abs': 0x99,
  'f64.neg': 0x9a,
  'f64.sqrt': 0x9f,
  'f64.add': 0xa0,
  'f64.sub': 0xa1,
  'f64.mul': 0xa2,
  'f64.div': 0xa3,
  'f64.min': 0xa4,
  'f64.max': 0xa5,
  'f64.convert_i32_s': 0xb7,
  'f64.promote_f32': 0xbb,
  'f64x2.splat': [0xfd, 0x14],
  'f64x2.abs': [0xfd, 0xec],
  'f64x2.neg': [0xfd, 0xed],
  'f64x2.sqrt': [0xfd, 0xef],
  'f64x2.add': [0xfd, 0xf0],
  'f64x2.sub': [0xfd, 0xf1],
  'f64x2.mul': [0xfd, 0xf2],
  'f64x2.div': [0xfd, 0xf3],
  'f64x2.min': [0xfd, 0xf4],
  'f64x2.max': [0xfd, 0xf5],
  'f64x2.promote_low_f32x4': [0xfd, 0x5f],
};

/** Memory instructions: opcode and natural alignment (log2 bytes). */
const MEM: Record<string, [number | [number, number], number]> = {
  'i32.load': [0x28, 2],
  'f32.load': [0x2a, 2],
  'f64.load': [0x2b, 3],
  'i32.store': [0x36, 2],
  'f64.store': [0x39, 3],
  'v128.load': [[0xfd, 0x00], 4],
  'v128.store': [[0xfd, 0x0b], 4],
  'v128.load64_splat': [[0xfd, 0x0a], 3],
  'v128.load64_zero': [[0xfd, 0x5d], 3],
};

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
}

function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function op(code: number | [number, number], out: number[]): void {
  if (typeof code === 'number') out.push(code);
  else {
    out.push(code[0]);
    uleb(code[1], out);
  }
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  uleb(body.length, out);
  out.push(...body);
}

function name(s: string, out: number[]): void {
  const bytes = new TextEncoder().encode(s);
  uleb(bytes.length, out);
  out.push(...bytes);
}

function vec<T>(items: T[], each: (x: T, out: number[]) => void, out: number[]): void {
  uleb(items.length, out);
  for (const x of items) each(x, out);
}

/** Encodes one function body. */
function code(f: FuncDef, funcIndex: Map<string, number>): number[] {
  const locals = new Map<string, number>();
  f.params.forEach(([n], i) => locals.set(n, i));
  (f.locals ?? []).forEach(([n], i) => locals.set(n, f.params.length + i));
  const out: number[] = [];
  const decl = f.locals ?? [];
  vec(
    decl,
    ([, t], o) => {
      o.push(1, TYPE[t]);
    },
    out,
  );
  const tokens = f.body
    .replace(/;;[^\n]*/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const labels: (string | undefined)[] = [];
  const fail = (msg: string): never => {
    throw new Error(`wasm ${f.name}: ${msg}`);
  };
  const local = (t: string | undefined) => locals.get(t ?? '') ?? fail(`unknown local ${t}`);
  const depth = (t: string | undefined) => {
    if (t && /^\d+$/.test(t)) return Number(t);
    const i = labels.lastIndexOf(t);
    return i < 0 ? fail(`unknown label ${t}`) : labels.length - 1 - i;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === 'block' || t === 'loop' || t === 'if') {
      out.push(t === 'block' ? 0x02 : t === 'loop' ? 0x03 : 0x04, 0x40);
      labels.push(tokens[i + 1]?.startsWith('$') ? tokens[++i] : undefined);
    } else if (t === 'end') {
      out.push(0x0b);
      labels.pop();
    } else if (t === 'br' || t === 'br_if') {
      out.push(t === 'br' ? 0x0c : 0x0d);
      uleb(depth(tokens[++i]), out);
    } else if (t === 'local.get' || t === 'local.set' || t === 'local.tee') {
      out.push(t === 'local.get' ? 0x20 : t === 'local.set' ? 0x21 : 0x22);
      uleb(local(tokens[++i]), out);
    } else if (t === 'call') {
      out.push(0x10);
      uleb(funcIndex.get(tokens[++i]) ?? fail(`unknown function ${tokens[i]}`), out);
    } else if (t === 'i32.const') {
      out.push(0x41);
      sleb(Number(tokens[++i]), out);
    } else if (t === 'f64.const') {
      out.push(0x44);
      out.push(...new Uint8Array(new Float64Array([Number(tokens[++i])]).buffer));
    } else if (t === 'f64x2.extract_lane' || t === 'f64x2.replace_lane') {
      op([0xfd, t === 'f64x2.extract_lane' ? 0x21 : 0x22], out);
      out.push(Number(tokens[++i]));
    } else if (t in MEM) {
      const [c, align] = MEM[t];
      let offset = 0;
      if (tokens[i + 1]?.startsWith('offset=')) offset = Number(tokens[++i].slice(7));
      op(c, out);
      uleb(align, out);
      uleb(offset, out);
    } else if (t in PLAIN) {
      op(PLAIN[t], out);
    } else {
      fail(`unknown instruction ${t}`);
    }
  }
  if (labels.length) fail('unbalanced blocks');
  out.push(0x0b);
  const body: number[] = [];
  uleb(out.length, body);
  body.push(...out);
  return body;
}

/** Pages of the shared memory's declared maximum (2 GiB; the workspace never goes above it). */
export const SHARED_MAX_PAGES = 32768;

/** A module importing `env.memory` (shared, for worker threads, when asked) and exporting every function by name. */
export function assemble(funcs: FuncDef[], shared = false): Uint8Array<ArrayBuffer> {
  const sigs: string[] = [];
  const sigOf = (f: FuncDef) => {
    const key = `${f.params.map(([, t]) => t).join(',')}->${f.result ?? ''}`;
    if (!sigs.includes(key)) sigs.push(key);
    return sigs.indexOf(key);
  };
  const typeIdx = funcs.map(sigOf);
  const funcIndex = new Map(funcs.map((f, i) => [`$${f.name}`, i]));
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  vec(
    sigs,
    (s, o) => {
      const [p, r] = s.split('->');
      o.push(0x60);
      vec(
        p ? (p.split(',') as ValType[]) : [],
        (t, oo) => {
          oo.push(TYPE[t]);
        },
        o,
      );
      vec(
        r ? [r as ValType] : [],
        (t, oo) => {
          oo.push(TYPE[t]);
        },
        o,
      );
    },
    types,
  );
  section(1, types, out);
  const imports: number[] = [];
  vec(
    [0],
    (_, o) => {
      name('env', o);
      name('memory', o);
      if (shared) {
        o.push(0x02, 0x03);
        uleb(1, o);
        uleb(SHARED_MAX_PAGES, o);
      } else {
        o.push(0x02, 0x00);
        uleb(1, o);
      }
    },
    imports,
  );
  section(2, imports, out);
  const fsec: number[] = [];
  vec(typeIdx, (t, o) => uleb(t, o), fsec);
  section(3, fsec, out);
  const exps: number[] = [];
  vec(
    funcs.map((f, i) => [f.name, i] as const),
    ([n, i], o) => {
      name(n, o);
      o.push(0x00);
      uleb(i, o);
    },
    exps,
  );
  section(7, exps, out);
  const codes: number[] = [];
  vec(
    funcs,
    (f, o) => {
      o.push(...code(f, funcIndex));
    },
    codes,
  );
  section(10, codes, out);
  return new Uint8Array(out);
}
