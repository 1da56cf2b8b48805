/** CSV/JSON export of chart data, file names and SVG composition. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composeSvg, csvField, gridData, matrixData, safeFilename, seriesData, toCsv, toJson, xmlEscape } from '../../../lib/chart/export';

describe('export', () => {
  it('csvField quotes only when needed and keeps numbers exact', () => {
    assert.equal(csvField('layer1'), 'layer1');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(' padded'), '" padded"');
    assert.equal(csvField(0.1 + 0.2), '0.30000000000000004');
    assert.equal(csvField(NaN), '');
    assert.equal(csvField(Infinity), '');
    assert.equal(csvField(null), '');
    assert.equal(csvField(undefined), '');
    assert.equal(csvField(true), 'true');
  });

  it('csvField neutralises formula text (=, +, -, @, tab, CR) and keeps numbers, negative ones included, as numbers', () => {
    assert.equal(csvField('=HYPERLINK("http://evil","x")'), `"'=HYPERLINK(""http://evil"",""x"")"`);
    assert.equal(csvField('+1+cmd|calc'), "'+1+cmd|calc");
    assert.equal(csvField('-2+3'), "'-2+3");
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField('\t=1'), "'\t=1");
    assert.equal(csvField('\r=1'), `"'\r=1"`);
    assert.equal(csvField(-0.25), '-0.25');
    assert.equal(csvField(-1e-7), '-1e-7');
    assert.equal(csvField('-0.25'), '-0.25');
    assert.equal(csvField('+3'), '+3');
    assert.equal(csvField('layer-1'), 'layer-1');
    assert.equal(toCsv(['layer', 'value'], [['=cmd', -1]]), "layer,value\r\n'=cmd,-1\r\n");
  });

  it('toCsv writes a header and CRLF rows', () => {
    assert.equal(
      toCsv(
        ['a', 'b'],
        [
          [1, 'x'],
          [null, 2.5],
        ],
      ),
      'a,b\r\n1,x\r\n,2.5\r\n',
    );
    assert.equal(toCsv(['only'], []), 'only\r\n');
  });

  it('toJson turns NaN into null and typed arrays into arrays', () => {
    const parsed = JSON.parse(toJson({ v: NaN, xs: new Float64Array([1, NaN, 3]), n: 2 }));
    assert.deepEqual(parsed, { v: null, xs: [1, null, 3], n: 2 });
  });

  it('safeFilename keeps a readable, safe name', () => {
    assert.equal(safeFilename('Layer × layer similarity at step 1.2k', 'svg'), 'layer-layer-similarity-at-step-1.2k.svg');
    assert.equal(safeFilename('../../etc/passwd', 'csv'), 'etc-passwd.csv');
    assert.equal(safeFilename('★', 'png'), 'chart.png');
    assert.ok(safeFilename('x'.repeat(300), 'json').length <= 85);
  });

  it('gridData lists every layer × step cell, with k when given', () => {
    const d = gridData(
      ['l1', 'l2'],
      [100, 200],
      [
        [0.5, null],
        [0.7, 0.9],
      ],
      {
        k: [
          [3, 4],
          [5, 6],
        ],
        meta: { metric: 'cka' },
      },
    );
    assert.deepEqual(d.columns, ['layer', 'step', 'value', 'k']);
    assert.deepEqual(d.rows, [
      ['l1', 100, 0.5, 3],
      ['l1', 200, null, 4],
      ['l2', 100, 0.7, 5],
      ['l2', 200, 0.9, 6],
    ]);
    assert.equal((d.json as { metric: string }).metric, 'cka');
    assert.deepEqual(gridData(['l1'], [1], [[0.2]]).columns, ['layer', 'step', 'value']);
  });

  it('seriesData reads typed arrays up to their length', () => {
    const d = seriesData('step', [{ label: 'loss', xs: new Float64Array([1, 2, 3, 0]), ys: new Float64Array([0.9, 0.5, NaN, 0]), length: 3 }]);
    assert.deepEqual(d.rows, [
      ['loss', 1, 0.9],
      ['loss', 2, 0.5],
      ['loss', 3, NaN],
    ]);
    assert.equal(toCsv(d.columns, d.rows), 'series,step,value\r\nloss,1,0.9\r\nloss,2,0.5\r\nloss,3,\r\n');
    assert.deepEqual(JSON.parse(toJson(d.json)), { loss: { step: [1, 2, 3], value: [0.9, 0.5, null] } });
  });

  it('matrixData covers rectangular matrices', () => {
    const d = matrixData(
      'a',
      'b',
      ['x1', 'x2'],
      ['y1', 'y2', 'y3'],
      [
        [1, 2, 3],
        [4, null, 6],
      ],
    );
    assert.equal(d.rows.length, 6);
    assert.deepEqual(d.rows[4], ['x2', 'y2', null]);
  });

  it('composeSvg places SVG pieces, images and text in one document', () => {
    const svg = composeSvg(100.4, 50, '#fff', [
      { x: 10, y: 20, width: 30, height: 30, svg: '<svg width="30" height="30"><rect width="1" height="1"/></svg>' },
      { x: 0, y: 0, width: 5, height: 5, image: 'data:image/png;base64,AAA=' },
      { x: 1, y: 2, width: 50, height: 10, text: 'a < b & "c"', size: 12, fill: '#000' },
    ]);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]* width="101" height="50"/);
    assert.match(svg, /<svg x="10" y="20" width="30"/);
    assert.match(svg, /<image x="0" y="0" width="5" height="5"[^>]*href="data:image\/png;base64,AAA="/);
    assert.match(svg, /<text x="1" y="14" font-size="12"[^>]*>a &lt; b &amp; &quot;c&quot;<\/text>/);
    assert.equal(xmlEscape(`'`), '&apos;');
  });
});
