/**
 * The live UI against a running `spoor serve` (issue 13, built on the `serve` branch): the page
 * renderLiveUiPage() makes, served on loopback beside serve's API; a planted attack ingested
 * through `/ingest` appears without reload (SSE), is acknowledged, an exception is added from it,
 * and the same attack ingested again raises no alert for that rule and host.
 * Without /usr/bin/chromium the tests skip (in CI they fail). Run by `npm run test:ui`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { writeNdjson } from '../../src/demo/generate.js';
import { renderLiveUiPage } from '../../src/output/html.js';
import { startServe } from '../../src/serve/index.js';
import { launchChromium, SCREENSHOTS, skipWithoutChromium } from './browser-env.js';


/** `/` answers the live UI page; everything else goes to serve (streamed, so SSE passes through). */
function frontFor(serveUrl: string): Promise<Server> {
  const page = renderLiveUiPage();
  const target = new URL(serveUrl);
  const front = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    const p = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    p.on('error', () => res.destroy());
    req.pipe(p);
  });
  return new Promise((resolve) => front.listen(0, '127.0.0.1', () => resolve(front)));
}

/** Polls the queue's row count (the page's CSP forbids evaluating strings, so no waitForFunction text). */
async function waitRows(page: Page, min: number, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await page.locator('.arow').count()) < min) {
    if (Date.now() > end) assert.fail(`fewer than ${min} alerts in the queue after ${timeoutMs} ms`);
    await page.waitForTimeout(200);
  }
}

test('live: alerts arrive over SSE, acknowledge, add an exception, the same attack again raises no alert for it', async (t) => {
  if (skipWithoutChromium(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'spoor-ui-live-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const exceptions = join(dir, 'exceptions.yml');
  writeFileSync(exceptions, '{}\n');
  const serve = await startServe({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), bootstrapTokens: true, exceptionsFile: exceptions });
  const front = await frontFor(serve.url);
  const browser = await launchChromium();
  try {
    const token = (scope: string): string => serve.createdTokens.find((x) => x.scope === scope)!.token;
    const ingest = async (file: string): Promise<void> => {
      const r = await fetch(`${serve.url}/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token('ingest')}`, 'content-type': 'application/x-ndjson' }, body: readFileSync(file) });
      assert.equal(r.status, 200, await r.text());
    };
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${(front.address() as AddressInfo).port}/#token=${token('admin')}`);
    await page.waitForSelector('.app[data-loaded=yes]');
    await page.waitForSelector('.livestate.on');
    assert.equal(await page.locator('.arow').count(), 0);

    // The demo's planted attacks, ingested after the page loaded: they appear without reload.
    const first = join(dir, 'first.ndjson');
    await writeNdjson({ events: 3000, hosts: 12, seed: 42 }, first);
    await ingest(first);
    await waitRows(page, 4);
    const before = await page.$$eval('.arow', (rows) => rows.map((r) => `${r.querySelector('.c-host')?.textContent}|${r.getAttribute('data-alert')}`));
    const target = page.locator('.arow', { hasText: 'ws-0011' }).first();
    const alertId = (await target.getAttribute('data-alert'))!;
    await target.click();
    await page.waitForSelector('section.detail[data-kind=file-share]');
    const ruleId = (await page.locator('.triage .mono').first().textContent())!;

    // Acknowledge: the status changes in the detail and in the queue.
    await page.click('.triage button:has-text("Acknowledge")');
    await page.locator('#status', { hasText: 'acknowledged' }).waitFor();
    assert.equal(await page.locator(`.arow[data-alert="${alertId}"] .c-status`).textContent(), 'acknowledged');

    // Add a host exception for this rule from the alert.
    const options = await page.$$eval('select[aria-label=exception] option', (os) => os.map((o) => o.textContent ?? ''));
    const hostIndex = options.findIndex((o) => o.startsWith('host:'));
    await page.selectOption('select[aria-label=exception]', { index: hostIndex });
    await page.click('.triage button:has-text("Add exception")');
    await page.waitForSelector('.triage [role=status]:has-text("exception added")');
    assert.match(readFileSync(exceptions, 'utf8'), /ws-0011/);
    await page.screenshot({ path: join(SCREENSHOTS, 'live-detail-1280.png') });

    // The same attack a day later: new alerts arrive, but none of that rule on that host.
    const again = join(dir, 'again.ndjson');
    await writeNdjson({ events: 3000, hosts: 12, seed: 42, start: '2026-03-03T08:00:00.000000Z' }, again);
    await ingest(again);
    await waitRows(page, before.length + 1);
    await page.waitForTimeout(1500);
    const rows = await page.$$eval('.arow', (rs) => rs.map((r) => ({ id: r.getAttribute('data-alert'), host: r.querySelector('.c-host')?.textContent, rule: r.querySelector('.c-rule span')?.getAttribute('title') ?? '' })));
    const fresh = rows.filter((r) => !before.some((b) => b.endsWith(`|${r.id}`)));
    assert.ok(fresh.length > 0, 'the second ingest raised alerts elsewhere');
    assert.ok(!fresh.some((r) => r.host === 'ws-0011' && r.rule.endsWith(`\n${ruleId}`)), `no new ${ruleId} alert on ws-0011: ${JSON.stringify(fresh)}`);
    await page.screenshot({ path: join(SCREENSHOTS, 'live-queue-1280.png') });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await new Promise((r) => front.close(r));
    await serve.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live triage: assignee and notes, close with a reason and reopen, a rule switched off from the Rules tab, ingest health, share writes', async (t) => {
  if (skipWithoutChromium(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'spoor-ui-triage-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const serve = await startServe({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), bootstrapTokens: true, allowedLatenessMs: 300 });
  const browser = await launchChromium();
  try {
    const token = (scope: string): string => serve.createdTokens.find((x) => x.scope === scope)!.token;
    const ingest = async (file: string): Promise<void> => {
      const r = await fetch(`${serve.url}/_bulk`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token('ingest')}`, 'content-type': 'application/x-ndjson', 'user-agent': 'Winlogbeat/8.17.0' },
        body: readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => `{"create":{"_index":"winlogbeat-8"}}\n${l}\n`).join(''),
      });
      assert.equal(r.status, 200, await r.text());
    };
    const day1 = join(dir, 'day1.ndjson');
    await writeNdjson({ events: 3000, hosts: 12, seed: 42 }, day1);
    await ingest(day1);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // serve itself answers the UI at / for a browser (Accept: text/html).
    await page.goto(`${serve.url}/#token=${token('admin')}`);
    await page.waitForSelector('.app[data-loaded=yes]');
    await waitRows(page, 4);

    // Assign, add a note, close with a reason, reopen.
    await page.locator('.arow', { hasText: 'ws-0011' }).first().click();
    await page.waitForSelector('section.detail[data-kind=file-share]');
    await page.fill('input[aria-label=assignee]', 'alice');
    await page.click('.triage button:has-text("Assign")');
    await page.waitForSelector('.triage [role=status]:has-text("assigned to alice")');
    await page.fill('textarea[aria-label=note]', 'PsExec from 10.20.0.11: checking the change ticket');
    await page.click('.triage button:has-text("Add note")');
    await page.waitForSelector('ol.notes li');
    assert.equal(await page.locator('ol.notes li .author').first().textContent(), 'created at first start (admin)');
    assert.match((await page.locator('ol.notes li .note-text').first().textContent())!, /change ticket/);
    assert.equal(await page.inputValue('textarea[aria-label=note]'), '');
    assert.match((await page.locator('dl.meta').last().textContent())!, /assigneealice/);
    await page.fill('input[aria-label=reason]', 'authorised admin work');
    await page.click('.triage button:has-text("Close")');
    await page.locator('#status', { hasText: 'closed' }).waitFor();
    assert.match((await page.locator('dl.meta').last().textContent())!, /closed — authorised admin work/);
    assert.ok((await page.locator('.timeline, svg').count()) > 0, 'the detail keeps its events after a change');
    await page.screenshot({ path: join(SCREENSHOTS, 'live-triage-notes-1280.png') });
    await page.click('.triage button:has-text("Reopen")');
    await page.locator('#status', { hasText: 'open' }).waitFor();
    // The notes survive a reload of the page (they are the server's).
    await page.reload();
    await page.waitForSelector('.app[data-loaded=yes]');
    await page.locator('.arow', { hasText: 'ws-0011' }).first().click();
    await page.waitForSelector('ol.notes li');

    // Rules: hit counts from the server; switch the file-share rule off.
    await page.click('#tab-rules');
    const row = page.locator('tr[data-rule="file-share-remote-exec"]');
    await row.waitFor();
    assert.equal(Number((await row.locator('td.num').textContent())!.replace(/,/g, '')), 2);
    await row.locator('button.switch').click();
    await page.waitForSelector('tr[data-rule="file-share-remote-exec"].rule-off');
    await page.screenshot({ path: join(SCREENSHOTS, 'live-rules-1280.png'), fullPage: true });
    const rules = (await (await fetch(`${serve.url}/api/rules`, { headers: { authorization: `Bearer ${token('admin')}` } })).json()) as { rules: { id: string; enabled?: boolean }[] };
    assert.equal(rules.rules.find((r) => r.id === 'file-share-remote-exec')!.enabled, false);
    // The same attacks a day later: none of that rule anywhere.
    await page.click('#tab-queue');
    const before = await page.locator('.arow').count();
    const day2 = join(dir, 'day2.ndjson');
    await writeNdjson({ events: 3000, hosts: 12, seed: 42, start: '2026-03-03T08:00:00.000000Z' }, day2);
    await ingest(day2);
    await waitRows(page, before + 1);
    await page.waitForTimeout(1000);
    const rows = await page.$$eval('.arow', (rs) => rs.map((r) => ({ rule: r.querySelector('.c-rule span')?.getAttribute('title') ?? '', time: r.querySelector('time')?.getAttribute('datetime') ?? '' })));
    const fresh = rows.filter((r) => r.time.startsWith('2026-03-03'));
    assert.ok(fresh.length > 0);
    assert.ok(!fresh.some((r) => r.rule.endsWith('\nfile-share-remote-exec')), JSON.stringify(fresh));

    // Ingest health: per source (shipper, index, address), per host by name, blind spots.
    await page.click('#tab-health');
    await page.waitForSelector('#health-sources tbody tr');
    assert.match((await page.locator('#health-sources').textContent())!, /Winlogbeat\/8\.17\.0.*winlogbeat-8.*127\.0\.0\.1/);
    assert.match((await page.locator('#health-hosts').textContent())!, /ws-0011/);
    await page.waitForSelector('#blind-spots tr[data-verdict=absent]');
    assert.match((await page.locator('#blind-spots').textContent())!, /file-share-service-install/);
    assert.doesNotMatch((await page.locator('#blind-spots').textContent())!, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
    await page.screenshot({ path: join(SCREENSHOTS, 'live-health-1280.png'), fullPage: true });

    // Share writes over the log: the planted PsExec service, written from 10.20.0.11, then run.
    await page.click('#tab-shares');
    const ps = page.locator('#shares tbody tr', { hasText: 'PSEXESVC' }).first();
    await ps.waitFor();
    assert.match((await ps.textContent())!, /10\.20\.0\.11.*ran/);
    await page.screenshot({ path: join(SCREENSHOTS, 'live-shares-1280.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await serve.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
