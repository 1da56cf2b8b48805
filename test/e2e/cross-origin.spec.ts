/**
 * Issue 21, item 2, in a real browser: a page on another origin (http://evil.test, mapped to 127.0.0.1 by Chromium's
 * --host-resolver-rules and served by a tiny local HTTP server) tries both websockets of the dashboard under test and is
 * refused; the dashboard's own page connects; a server started with --allowed-origins for that origin lets it in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium';

test.use({
  launchOptions: {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP evil.test 127.0.0.1'],
  },
});

const DASHBOARD_PORT = Number(process.env.LW_E2E_PORT);
let evil: Server;
let evilOrigin: string;

test.beforeAll(async () => {
  // The attacker's page: any page the user happens to have open in the same browser.
  evil = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>evil.test</title><p>nothing to see</p>');
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  evilOrigin = `http://evil.test:${(evil.address() as AddressInfo).port}`;
});
test.afterAll(async () => {
  await new Promise((r) => evil.close(r));
});

interface Attempt {
  opened: boolean;
  messages: string[];
  closeCode: number | null;
}

/** From inside the page: opens a websocket, sends a hello (or a subscribe) if it opens, and reports what happened. */
async function attempt(page: Page, url: string): Promise<Attempt> {
  return page.evaluate(
    (u) =>
      new Promise<Attempt>((resolve) => {
        const out: Attempt = { opened: false, messages: [], closeCode: null };
        const ws = new WebSocket(u);
        ws.onopen = () => {
          out.opened = true;
          ws.send(
            u.endsWith('/ingest')
              ? JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'from a web page' } })
              : JSON.stringify({ type: 'subscribe', topic: 'runs' }),
          );
        };
        ws.onmessage = (e) => out.messages.push(String(e.data).slice(0, 200));
        ws.onclose = (e) => {
          out.closeCode = e.code;
          resolve(out);
        };
        setTimeout(() => {
          ws.close();
          resolve(out);
        }, 3000);
      }),
    url,
  );
}

const runCount = async (port: number) => ((await (await fetch(`http://127.0.0.1:${port}/api/runs`)).json()) as { runs: unknown[] }).runs.length;

test("a page on evil.test cannot open /live or /ingest of a local dashboard without tokens; the dashboard's own page can", async ({ page }) => {
  const runsBefore = await runCount(DASHBOARD_PORT);
  await page.goto(`${evilOrigin}/`);
  await expect(page).toHaveTitle('evil.test');
  for (const host of ['127.0.0.1', 'localhost']) {
    for (const endpoint of ['live', 'ingest']) {
      const r = await attempt(page, `ws://${host}:${DASHBOARD_PORT}/${endpoint}`);
      expect(r.opened, `${host} /${endpoint}`).toBe(false);
      expect(r.messages, `${host} /${endpoint}`).toEqual([]);
      expect(r.closeCode).toBe(1006);
    }
  }
  expect(await runCount(DASHBOARD_PORT), 'no run was created from the page').toBe(runsBefore);

  // Same browser, the dashboard's own origin: /live opens and answers.
  await page.goto(`http://127.0.0.1:${DASHBOARD_PORT}/api/health`);
  const own = await attempt(page, `ws://127.0.0.1:${DASHBOARD_PORT}/live`);
  expect(own.opened).toBe(true);
  expect(own.messages.some((m) => m.includes('"welcome"'))).toBe(true);
  expect(own.messages.some((m) => m.includes('"snapshot"'))).toBe(true);
});

test('--allowed-origins lets that origin in, deliberately', async ({ page }) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'layerwatch-e2e-origin-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [path.resolve('bin/layerwatch.mjs'), 'serve', '--no-pages', '--port', '0', '--data', dataDir, '--allowed-origins', evilOrigin],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
    });
    await page.goto(`${evilOrigin}/`);
    const r = await attempt(page, `ws://127.0.0.1:${port}/live`);
    expect(r.opened).toBe(true);
    expect(r.messages.some((m) => m.includes('"snapshot"'))).toBe(true);
  } finally {
    child.kill('SIGKILL');
  }
});
