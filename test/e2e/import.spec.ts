/** Issue 21: a log dropped on the run list is checked record by record; bad contents and a large damaged upload are refused with their code, nothing is added. */
import { expect, test } from '@playwright/test';
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { craftLog, validRunRecords } from '../fixtures/craft-log';
import { HOSTILE_LOGS } from '../fixtures/hostile-logs';

test('a log with bad contents and a damaged 256 MiB upload are refused with their codes; the run list is unchanged', async ({ page, request }) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lw-e2e-import-'));
  const nullEvent = path.join(dir, 'null-event.lwlog');
  await writeFile(nullEvent, HOSTILE_LOGS.find((h) => h.name === 'null-event')!.bytes());
  // A valid start, then zeros (sparse on disk): the server answers at the first impossible record, mid-upload.
  const zeros = path.join(dir, 'zeros.lwlog');
  const start = craftLog(validRunRecords({ id: 'e2e-zeros', checkpoints: 1, end: false }).records);
  await writeFile(zeros, start);
  await truncate(zeros, start.length + 256 * 1024 * 1024);

  await page.goto('/');
  const listed = (await (await request.get('/api/runs')).json()).runs.length;
  const status = page.getByTestId('import-status');
  const code = page.getByTestId('import-error-code');
  for (const [file, expected, reason] of [
    [nullEvent, 'LOG_INVALID', /BAD_EVENT/],
    [zeros, 'LOG_CORRUPT', /damaged at byte/],
  ] as const) {
    await page.getByTestId('import-input').setInputFiles(file);
    await expect(status).toHaveAttribute('data-state', 'error', { timeout: 60_000 });
    await expect(code).toHaveText(expected);
    await expect(status).toContainText(reason);
    await expect(status).toContainText('Nothing was added');
    await status.getByRole('button', { name: 'Dismiss' }).click();
  }
  expect((await (await request.get('/api/runs')).json()).runs.length).toBe(listed);
});
