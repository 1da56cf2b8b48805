/**
 * The WebAssembly SIMD (f64x2) kernels of the portable path, generated as flat WAT text and assembled at load time.
 * Every pointer is a byte address in the shared memory; every stride is in bytes.
 */
import { assemble, type FuncDef } from './assemble';

/** Register tile of the dot-product kernel: TI rows of a × TJ rows of b, each accumulator an f64x2 over datapoints. */
export const TI = 4;
export const TJ = 2;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const lines = (xs: string[]) => xs.join('\n');

/** out[r][c] += Σ_k a[r][k] b[c][k] for the TI × TJ tile at (pa, pb); n2 f64x2 steps. */
function micro(): FuncDef {
  const acc = range(TI).flatMap((r) => range(TJ).map((c) => `$c${r}${c}`));
  const body = lines([
    ...range(TI).map((r) => `local.get $pa i32.const ${r} local.get $stride i32.mul i32.add local.set $a${r}`),
    ...range(TJ).map((c) => `local.get $pb i32.const ${c} local.get $stride i32.mul i32.add local.set $b${c}`),
    'local.get $n2 i32.const 4 i32.shl local.set $end',
    'block $done loop $k',
    '  local.get $off local.get $end i32.ge_u br_if $done',
    ...range(TI).map((r) => `  local.get $a${r} local.get $off i32.add v128.load local.set $x${r}`),
    ...range(TJ).map((c) => `  local.get $b${c} local.get $off i32.add v128.load local.set $y${c}`),
    ...range(TI).flatMap((r) => range(TJ).map((c) => `  local.get $c${r}${c} local.get $x${r} local.get $y${c} f64x2.mul f64x2.add local.set $c${r}${c}`)),
    '  local.get $off i32.const 16 i32.add local.set $off',
    '  br $k',
    'end end',
    ...range(TI).flatMap((r) =>
      range(TJ).map((c) => {
        const at = `local.get $pc i32.const ${r} local.get $ldo i32.mul i32.add`;
        return `${at} ${at} f64.load offset=${c * 8} local.get $c${r}${c} f64x2.extract_lane 0 local.get $c${r}${c} f64x2.extract_lane 1 f64.add f64.add f64.store offset=${c * 8}`;
      }),
    ),
  ]);
  return {
    name: 'micro',
    params: [
      ['$pa', 'i32'],
      ['$pb', 'i32'],
      ['$stride', 'i32'],
      ['$n2', 'i32'],
      ['$pc', 'i32'],
      ['$ldo', 'i32'],
    ],
    locals: [
      ['$off', 'i32'],
      ['$end', 'i32'],
      ...range(TI).map((r): [string, 'i32'] => [`$a${r}`, 'i32']),
      ...range(TJ).map((c): [string, 'i32'] => [`$b${c}`, 'i32']),
      ...range(TI).map((r): [string, 'v128'] => [`$x${r}`, 'v128']),
      ...range(TJ).map((c): [string, 'v128'] => [`$y${c}`, 'v128']),
      ...acc.map((x): [string, 'v128'] => [x, 'v128']),
    ],
    body,
  };
}

/** Σ_k a[k] b[k] over n2 f64x2 steps. */
const dot1: FuncDef = {
  name: 'dot1',
  params: [
    ['$pa', 'i32'],
    ['$pb', 'i32'],
    ['$n2', 'i32'],
  ],
  locals: [
    ['$off', 'i32'],
    ['$end', 'i32'],
    ['$s', 'v128'],
  ],
  result: 'f64',
  body: `
    local.get $n2 i32.const 4 i32.shl local.set $end
    block $done loop $k
      local.get $off local.get $end i32.ge_u br_if $done
      local.get $s local.get $pa local.get $off i32.add v128.load local.get $pb local.get $off i32.add v128.load f64x2.mul f64x2.add local.set $s
      local.get $off i32.const 16 i32.add local.set $off
      br $k
    end end
    local.get $s f64x2.extract_lane 0 local.get $s f64x2.extract_lane 1 f64.add`,
};

/**
 * out[i][j] += a_i · b_j over one k block for rows i0..i1 of a, j0..j1 of b (upper: only j ≥ i is needed; a few tiles
 * below the diagonal are computed too). Row strides `stride` (a, b) and `ldo` (out); `koff` = byte offset of the block.
 */
const tiles: FuncDef = {
  name: 'tiles',
  params: [
    ['$a', 'i32'],
    ['$b', 'i32'],
    ['$stride', 'i32'],
    ['$out', 'i32'],
    ['$ldo', 'i32'],
    ['$i0', 'i32'],
    ['$i1', 'i32'],
    ['$j0', 'i32'],
    ['$j1', 'i32'],
    ['$koff', 'i32'],
    ['$n2', 'i32'],
    ['$upper', 'i32'],
  ],
  locals: [
    ['$i', 'i32'],
    ['$j', 'i32'],
    ['$js', 'i32'],
    ['$ii', 'i32'],
    ['$jj', 'i32'],
    ['$p', 'i32'],
  ],
  body: `
    local.get $i0 local.set $i
    block $rows loop $ri
      local.get $i i32.const ${TI} i32.add local.get $i1 i32.gt_s br_if $rows
      ;; first column tile: j0, or for upper the tile holding column i
      local.get $j0 local.set $js
      local.get $upper if
        local.get $i local.get $j0 i32.gt_s if
          local.get $j0 local.get $i local.get $j0 i32.sub i32.const ${TJ} i32.div_s i32.const ${TJ} i32.mul i32.add local.set $js
        end
      end
      local.get $js local.set $j
      block $cols loop $cj
        local.get $j i32.const ${TJ} i32.add local.get $j1 i32.gt_s br_if $cols
        local.get $a local.get $i local.get $stride i32.mul i32.add local.get $koff i32.add
        local.get $b local.get $j local.get $stride i32.mul i32.add local.get $koff i32.add
        local.get $stride local.get $n2
        local.get $out local.get $i local.get $ldo i32.mul i32.add local.get $j i32.const 3 i32.shl i32.add
        local.get $ldo
        call $micro
        local.get $j i32.const ${TJ} i32.add local.set $j
        br $cj
      end end
      ;; ragged columns j..j1 of these TI rows
      local.get $i local.set $ii
      block $rr loop $rl
        local.get $ii local.get $i i32.const ${TI} i32.add i32.ge_s br_if $rr
        local.get $j local.set $jj
        block $cc loop $cl
          local.get $jj local.get $j1 i32.ge_s br_if $cc
          local.get $out local.get $ii local.get $ldo i32.mul i32.add local.get $jj i32.const 3 i32.shl i32.add local.tee $p
          local.get $p f64.load
          local.get $a local.get $ii local.get $stride i32.mul i32.add local.get $koff i32.add
          local.get $b local.get $jj local.get $stride i32.mul i32.add local.get $koff i32.add
          local.get $n2 call $dot1 f64.add f64.store
          local.get $jj i32.const 1 i32.add local.set $jj
          br $cl
        end end
        local.get $ii i32.const 1 i32.add local.set $ii
        br $rl
      end end
      local.get $i i32.const ${TI} i32.add local.set $i
      br $ri
    end end
    ;; ragged rows i..i1
    block $rr loop $rl
      local.get $i local.get $i1 i32.ge_s br_if $rr
      local.get $j0 local.set $jj
      local.get $upper if local.get $i local.get $j0 i32.gt_s if local.get $i local.set $jj end end
      block $cc loop $cl
        local.get $jj local.get $j1 i32.ge_s br_if $cc
        local.get $out local.get $i local.get $ldo i32.mul i32.add local.get $jj i32.const 3 i32.shl i32.add local.tee $p
        local.get $p f64.load
        local.get $a local.get $i local.get $stride i32.mul i32.add local.get $koff i32.add
        local.get $b local.get $jj local.get $stride i32.mul i32.add local.get $koff i32.add
        local.get $n2 call $dot1 f64.add f64.store
        local.get $jj i32.const 1 i32.add local.set $jj
        br $cl
      end end
      local.get $i i32.const 1 i32.add local.set $i
      br $rl
    end end`,
};

/**
 * One fused step of the Householder tridiagonalisation, rows i0..i1 (exclusive) of s (row stride ld bytes):
 * row_i[c] −= v_i w[c] + w_i v[c] for columns c0..c0+cnt, then p[i] = row_i · u over the same columns.
 * v, w, u and p are indexed by global column (byte base addresses of index 0).
 */
const rank2dot: FuncDef = {
  name: 'rank2dot',
  params: [
    ['$s', 'i32'],
    ['$ld', 'i32'],
    ['$i0', 'i32'],
    ['$i1', 'i32'],
    ['$c0', 'i32'],
    ['$cnt', 'i32'],
    ['$v', 'i32'],
    ['$w', 'i32'],
    ['$u', 'i32'],
    ['$p', 'i32'],
  ],
  locals: [
    ['$i', 'i32'],
    ['$row', 'i32'],
    ['$off', 'i32'],
    ['$end', 'i32'],
    ['$end2', 'i32'],
    ['$vi', 'v128'],
    ['$wi', 'v128'],
    ['$x', 'v128'],
    ['$acc', 'v128'],
    ['$sv', 'f64'],
    ['$sw', 'f64'],
    ['$xs', 'f64'],
    ['$as', 'f64'],
    ['$cb', 'i32'],
  ],
  body: `
    local.get $c0 i32.const 3 i32.shl local.set $cb
    local.get $cnt i32.const 3 i32.shl local.set $end
    local.get $cnt i32.const -2 i32.and i32.const 3 i32.shl local.set $end2
    local.get $i0 local.set $i
    block $rows loop $ri
      local.get $i local.get $i1 i32.ge_s br_if $rows
      local.get $s local.get $i local.get $ld i32.mul i32.add local.get $cb i32.add local.set $row
      local.get $v local.get $i i32.const 3 i32.shl i32.add f64.load local.tee $sv f64x2.splat local.set $vi
      local.get $w local.get $i i32.const 3 i32.shl i32.add f64.load local.tee $sw f64x2.splat local.set $wi
      f64.const 0 f64x2.splat local.set $acc
      i32.const 0 local.set $off
      block $done loop $k
        local.get $off local.get $end2 i32.ge_u br_if $done
        local.get $row local.get $off i32.add
        local.get $row local.get $off i32.add v128.load
        local.get $vi local.get $w local.get $cb i32.add local.get $off i32.add v128.load f64x2.mul
        local.get $wi local.get $v local.get $cb i32.add local.get $off i32.add v128.load f64x2.mul
        f64x2.add f64x2.sub local.tee $x
        v128.store
        local.get $acc local.get $x local.get $u local.get $cb i32.add local.get $off i32.add v128.load f64x2.mul f64x2.add local.set $acc
        local.get $off i32.const 16 i32.add local.set $off
        br $k
      end end
      local.get $acc f64x2.extract_lane 0 local.get $acc f64x2.extract_lane 1 f64.add local.set $as
      local.get $off local.get $end i32.lt_u if
        local.get $row local.get $off i32.add
        local.get $row local.get $off i32.add f64.load
        local.get $sv local.get $w local.get $cb i32.add local.get $off i32.add f64.load f64.mul
        local.get $sw local.get $v local.get $cb i32.add local.get $off i32.add f64.load f64.mul
        f64.add f64.sub local.tee $xs
        f64.store
        local.get $as local.get $xs local.get $u local.get $cb i32.add local.get $off i32.add f64.load f64.mul f64.add local.set $as
      end
      local.get $p local.get $i i32.const 3 i32.shl i32.add local.get $as f64.store
      local.get $i i32.const 1 i32.add local.set $i
      br $ri
    end end`,
};

/**
 * Back-transformation of R = 4 eigenvector rows (y, stride ld bytes, length n): y ← H_0 ⋯ H_{n−3} y, where reflector k
 * is row k of s (stride ld) over columns k+1..n−1 and H = I − v vᵀ.
 */
function backtrans(): FuncDef {
  const R = 4;
  const rows = range(R);
  return {
    name: 'backtrans',
    params: [
      ['$s', 'i32'],
      ['$y', 'i32'],
      ['$ld', 'i32'],
      ['$n', 'i32'],
    ],
    locals: [
      ['$k', 'i32'],
      ['$vp', 'i32'],
      ['$cb', 'i32'],
      ['$off', 'i32'],
      ['$end', 'i32'],
      ['$end2', 'i32'],
      ['$vv', 'v128'],
      ['$vs', 'f64'],
      ...rows.map((r): [string, 'v128'] => [`$d${r}`, 'v128']),
      ...rows.map((r): [string, 'f64'] => [`$e${r}`, 'f64']),
      ...rows.map((r): [string, 'i32'] => [`$y${r}`, 'i32']),
    ],
    body: lines([
      'local.get $n i32.const 3 i32.sub local.set $k',
      'block $all loop $kl',
      '  local.get $k i32.const 0 i32.lt_s br_if $all',
      '  local.get $k i32.const 1 i32.add i32.const 3 i32.shl local.set $cb',
      '  local.get $s local.get $k local.get $ld i32.mul i32.add local.get $cb i32.add local.set $vp',
      ...rows.map((r) => `  local.get $y i32.const ${r} local.get $ld i32.mul i32.add local.get $cb i32.add local.set $y${r}`),
      '  local.get $n local.get $k i32.sub i32.const 1 i32.sub local.tee $end i32.const -2 i32.and i32.const 3 i32.shl local.set $end2',
      '  local.get $end i32.const 3 i32.shl local.set $end',
      ...rows.map((r) => `  f64.const 0 f64x2.splat local.set $d${r}`),
      '  i32.const 0 local.set $off',
      '  block $done loop $j',
      '    local.get $off local.get $end2 i32.ge_u br_if $done',
      '    local.get $vp local.get $off i32.add v128.load local.set $vv',
      ...rows.map((r) => `    local.get $d${r} local.get $vv local.get $y${r} local.get $off i32.add v128.load f64x2.mul f64x2.add local.set $d${r}`),
      '    local.get $off i32.const 16 i32.add local.set $off',
      '    br $j',
      '  end end',
      ...rows.map((r) => `  local.get $d${r} f64x2.extract_lane 0 local.get $d${r} f64x2.extract_lane 1 f64.add local.set $e${r}`),
      '  local.get $off local.get $end i32.lt_u if',
      '    local.get $vp local.get $off i32.add f64.load local.set $vs',
      ...rows.map((r) => `    local.get $e${r} local.get $vs local.get $y${r} local.get $off i32.add f64.load f64.mul f64.add local.set $e${r}`),
      '  end',
      ...rows.map((r) => `  local.get $e${r} f64x2.splat local.set $d${r}`),
      '  i32.const 0 local.set $off',
      '  block $done loop $j',
      '    local.get $off local.get $end2 i32.ge_u br_if $done',
      '    local.get $vp local.get $off i32.add v128.load local.set $vv',
      ...rows.map(
        (r) =>
          `    local.get $y${r} local.get $off i32.add local.get $y${r} local.get $off i32.add v128.load local.get $d${r} local.get $vv f64x2.mul f64x2.sub v128.store`,
      ),
      '    local.get $off i32.const 16 i32.add local.set $off',
      '    br $j',
      '  end end',
      '  local.get $off local.get $end i32.lt_u if',
      '    local.get $vp local.get $off i32.add f64.load local.set $vs',
      ...rows.map(
        (r) =>
          `    local.get $y${r} local.get $off i32.add local.get $y${r} local.get $off i32.add f64.load local.get $e${r} local.get $vs f64.mul f64.sub f64.store`,
      ),
      '  end',
      '  local.get $k i32.const 1 i32.sub local.set $k',
      '  br $kl',
      'end end',
    ]),
  };
}

export const FUNCS: FuncDef[] = [micro(), dot1, tiles, rank2dot, backtrans()];

/** The assembled module's bytes (importing a shared memory when `shared`). */
export function kernelBytes(shared = false): Uint8Array<ArrayBuffer> {
  return assemble(FUNCS, shared);
}

export interface WasmExports {
  micro(pa: number, pb: number, stride: number, n2: number, pc: number, ldo: number): void;
  dot1(pa: number, pb: number, n2: number): number;
  tiles(
    a: number,
    b: number,
    stride: number,
    out: number,
    ldo: number,
    i0: number,
    i1: number,
    j0: number,
    j1: number,
    koff: number,
    n2: number,
    upper: number,
  ): void;
  rank2dot(s: number, ld: number, i0: number, i1: number, c0: number, cnt: number, v: number, w: number, u: number, p: number): void;
  backtrans(s: number, y: number, ld: number, n: number): void;
}
