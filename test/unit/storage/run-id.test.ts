import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertRunId, isValidRunId, slugifyRunId } from '../../../server/storage/run-id';

test('valid run ids pass', () => {
  for (const id of ['a', '0', 'mnist-seed-1', 'run_2024_01', 'a'.repeat(64)]) assert.equal(assertRunId(id), id);
});

test('every unsafe id is rejected with BAD_RUN_ID', () => {
  const bad: unknown[] = [
    '',
    '.',
    '..',
    '../etc',
    '..\\x',
    '/abs',
    'a/b',
    'a\\b',
    'C:',
    'c:\\x',
    '-lead',
    '_lead',
    'UPPER',
    'a.b',
    'a b',
    'a'.repeat(65),
    'con',
    'nul',
    'aux',
    'prn',
    'com1',
    'lpt9',
    'com0',
    'a\0b',
    'é',
    42,
    null,
    undefined,
    {},
  ];
  for (const id of bad) {
    assert.equal(isValidRunId(id), false, JSON.stringify(id));
    assert.throws(() => assertRunId(id), { code: 'BAD_RUN_ID' }, JSON.stringify(id));
  }
  assert.equal(isValidRunId('con1'), true, 'only exact device names are reserved');
});

test('slugifyRunId makes safe ids from names and file names', () => {
  assert.equal(slugifyRunId('My Run #1'), 'my-run-1');
  assert.equal(slugifyRunId('../../etc/passwd'), 'etc-passwd');
  assert.equal(slugifyRunId('CON'), 'run-con');
  assert.equal(slugifyRunId('...'), null);
  assert.ok(isValidRunId(slugifyRunId('x'.repeat(200))));
});
