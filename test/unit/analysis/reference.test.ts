/** Every reference case within tolerance, through similarity() and through prepare/slim/compare, on each kernel. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compare, prepare, similarities, slim } from '../../../lib/analysis/index';
import { selectKernel } from '../../../lib/analysis/kernel';
import { kernelVariants, loadLayer, referenceCases } from './fixtures';

const { tolerance, cases } = referenceCases();

for (const variant of kernelVariants()) {
  describe(`reference cases (${variant.label})`, () => {
    for (const c of cases) {
      it(c.name, () => {
        variant.use();
        const a = loadLayer(c.a.file),
          b = loadLayer(c.b.file);
        const [svcca, pwcca, cka] = similarities(a, b, ['svcca', 'pwcca', 'cka']);
        const x = c.expected;
        assert.deepEqual(svcca.k, x.k);
        assert.ok(Math.abs(svcca.value - x.svcca) <= tolerance, `svcca ${svcca.value} vs ${x.svcca}`);
        assert.equal(svcca.rho?.length, x.svcca_coefs.length);
        x.svcca_coefs.forEach((r, i) => assert.ok(Math.abs((svcca.rho as number[])[i] - r) <= tolerance, `rho[${i}]`));
        assert.ok(Math.abs(pwcca.value - x.pwcca) <= tolerance, `pwcca ${pwcca.value} vs ${x.pwcca}`);
        assert.ok(Math.abs(cka.value - x.cka) <= tolerance, `cka ${cka.value} vs ${x.cka}`);
      });

      it(`${c.name} via prepared and slimmed layers`, () => {
        variant.use();
        const pa = prepare(loadLayer(c.a.file)),
          pb = prepare(loadLayer(c.b.file));
        const x = c.expected;
        for (const metric of ['svcca', 'pwcca', 'cka'] as const) {
          const want = metric === 'svcca' ? x.svcca : metric === 'pwcca' ? x.pwcca : x.cka;
          const full = compare(pa, pb, metric).value;
          const slimmed = compare(slim(pa, metric), slim(pb, metric), metric).value;
          const mixed = compare(pa, slim(pb, metric), metric).value;
          for (const v of [full, slimmed, mixed]) assert.ok(Math.abs(v - want) <= tolerance, `${metric} ${v} vs ${want}`);
        }
      });
    }
  });
}
selectKernel('auto');
