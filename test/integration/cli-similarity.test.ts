/** `layerwatch similarity` as a process: reference cases on both kernels, --json/--metric/--transpose, and every bad-file kind. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readNpy2d, writeNpy } from '../../lib/codecs/npy';
import { kernels, REFERENCE_DIR, referenceCases } from '../unit/analysis/fixtures';
import { rawNpy } from '../unit/codecs/npy.test';

const BIN = join(import.meta.dirname, '../../bin/layerwatch.mjs');
const dir = mkdtempSync(join(tmpdir(), 'layerwatch-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], kernel?: string) {
  const env = { ...process.env };
  if (kernel === 'js') env.LAYERWATCH_KERNEL = 'js';
  else delete env.LAYERWATCH_KERNEL;
  // A bounded run: a stuck child fails this test in two minutes with its signal, instead of the suite's timeout.
  const res = spawnSync(process.execPath, [BIN, 'similarity', ...args], { env, encoding: 'utf8', timeout: 120_000 });
  if (res.signal) throw new Error(`layerwatch similarity ${args.join(' ')} (${kernel ?? 'auto'}) killed by ${res.signal} after 120 s\n${res.stderr}`);
  return res;
}

const { tolerance, cases } = referenceCases();

for (const kernel of kernels()) {
  describe(`layerwatch similarity --json (${kernel})`, () => {
    for (const c of cases) {
      it(c.name, () => {
        const res = cli([join(REFERENCE_DIR, c.a.file), join(REFERENCE_DIR, c.b.file), '--json'], kernel);
        assert.equal(res.status, 0, res.stderr);
        const out = JSON.parse(res.stdout);
        assert.deepEqual(Object.keys(out), ['svcca', 'svcca-k', 'pwcca', 'cka', 'kernel']);
        assert.equal(out.kernel, kernel);
        const x = c.expected;
        assert.deepEqual(out.svcca.k, x.k);
        assert.ok(Math.abs(out.svcca.value - x.svcca) <= tolerance);
        x.svcca_coefs.forEach((r, i) => assert.ok(Math.abs(out.svcca.rho[i] - r) <= tolerance));
        assert.ok(Math.abs(out.pwcca.value - x.pwcca) <= tolerance);
        assert.ok(Math.abs(out.cka.value - x.cka) <= tolerance);
      });
    }
  });
}

describe('layerwatch similarity flags', () => {
  const c = cases.find((x) => x.name.startsWith('diffcount')) ?? cases[0];
  const fa = join(REFERENCE_DIR, c.a.file),
    fb = join(REFERENCE_DIR, c.b.file);

  it('--metric limits the output; --k and --transpose work; text output by default', () => {
    const one = JSON.parse(cli([fa, fb, '--metric', 'svcca-k', '--k', '3', '--json']).stdout);
    assert.deepEqual(Object.keys(one), ['svcca-k', 'kernel']);
    assert.deepEqual(one['svcca-k'].k, [3, 3]);
    const t = (file: string, name: string) => {
      const arr = readNpy2d(readFileSync(file));
      const out = new Float32Array(arr.data.length);
      for (let i = 0; i < arr.rows; i++) for (let j = 0; j < arr.cols; j++) out[j * arr.rows + i] = arr.data[i * arr.cols + j];
      const path = join(dir, name);
      writeFileSync(path, writeNpy(out, [arr.cols, arr.rows]));
      return path;
    };
    // The reference shapes are not multiples of the CLI's 32 × 32 transpose tiles: edge tiles are covered.
    const flipped = JSON.parse(cli([t(fa, 'ta.npy'), t(fb, 'tb.npy'), '--transpose', '--metric', 'svcca,cka', '--json']).stdout);
    assert.ok(Math.abs(flipped.cka.value - c.expected.cka) <= tolerance);
    assert.ok(Math.abs(flipped.svcca.value - c.expected.svcca) <= tolerance);
    assert.deepEqual(flipped.svcca.k, c.expected.k);
    const text = cli([fa, fb]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /svcca\s+0\.\d{6}\s+k = \d+, \d+/);
    assert.match(text.stdout, /kernel: /);
  });

  it('usage errors exit 2', () => {
    assert.equal(cli([fa]).status, 2);
    assert.equal(cli([fa, fb, '--metric', 'cca']).status, 2);
    assert.equal(cli([fa, fb, '--bogus']).status, 2);
  });

  const body = new Uint8Array(new Float32Array(8).buffer);
  const bad: [string, Uint8Array | string, RegExp][] = [
    ['wrong magic', 'hello, not numpy', /NPY_BAD_MAGIC/],
    ['unsupported dtype', rawNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 4), }", body), /NPY_UNSUPPORTED_DTYPE/],
    ['Fortran order', rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 4), }", body), /NPY_FORTRAN_ORDER/],
    ['not 2-D', rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }", body), /NPY_NOT_MATRIX/],
    ['truncated', rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 8), }", body), /NPY_TRUNCATED/],
    ['different datapoint counts', writeNpy(new Float32Array(2 * 999), [2, 999]), /SHAPE_MISMATCH/],
    ['fewer datapoints than neurons', writeNpy(new Float32Array(2000 * 1).fill(1), [1000 * 2, 1]), /TOO_FEW_EXAMPLES|SHAPE_MISMATCH/],
  ];
  for (const [kind, content, message] of bad) {
    it(`rejects a file with ${kind}`, () => {
      const path = join(dir, `${kind.replace(/\W+/g, '_')}.npy`);
      writeFileSync(path, content);
      const res = cli([path, fb]);
      assert.equal(res.status, 1);
      assert.equal(res.stdout, '');
      const lines = res.stderr.trim().split('\n');
      assert.equal(lines.length, 1, res.stderr);
      assert.match(lines[0], message);
    });
  }

  it('rejects a missing file', () => {
    const res = cli([join(dir, 'nope.npy'), fb]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /READ_FAILED/);
  });
});
