/**
 * The report's UI in a real browser: Debian chromium driven by playwright-core. Loads the report of
 * the demo (a real hunt over generated telemetry with planted attacks) and of a Sigma-style hunt
 * with 1,500 single-event alerts; filters, sorts, moves with the keyboard, opens details, checks
 * the graph draws only writer edges and that timeline tick labels do not overlap.
 * Screenshots (1280×800 and 1920×1080) are kept as CI artifacts in <tmpdir>/spoor-ui-screenshots/
 * (overwritten on each run); the reports themselves go to a temporary folder removed at the end.
 * Without /usr/bin/chromium the tests skip (in CI, CI=true, they fail instead). Run by `npm run test:ui`
 * (a separate script .ci/run runs after npm test: a browser is not needed for the rest).
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Alert } from '../../src/alert/types.js';
import { writeNdjson } from '../../src/demo/generate.js';
import { runHunt } from '../../src/hunt/run.js';
import { renderHtmlReport } from '../../src/output/html.js';
import { reviewShares } from '../../src/shares/index.js';
import { haveChromium, launchChromium, SCREENSHOTS, skipWithoutChromium } from './browser-env.js';
import { shareAlert, sigmaAlert } from './fixtures.js';
import { sampleSummary } from '../output/fixtures.js';


let browser: Browser | undefined;
let dir = '';
let demoReport = '';
let demoAlerts: Alert[] = [];
let sigmaReport = '';
let sigmaAlerts: Alert[] = [];

function skipWithoutBrowser(t: TestContext): boolean {
  return browser === undefined && skipWithoutChromium(t);
}

before(async () => {
  if (!haveChromium()) return;
  dir = mkdtempSync(join(tmpdir(), 'spoor-ui-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  // The demo: generated telemetry with the planted attacks, hunted for real.
  const events = join(dir, 'events.ndjson');
  await writeNdjson({ events: 4000, hosts: 12, seed: 42 }, events);
  const result = await runHunt({ inputs: [events], workers: 0, contextEvents: 12 });
  demoAlerts = result.alerts;
  demoReport = join(dir, 'demo.html');
  const shares = (await reviewShares([events], {}, () => {})).rows;
  writeFileSync(demoReport, renderHtmlReport(result, { title: 'spoor demo', generatedAt: '2026-03-02T10:00:00Z', shares }));
  // A Sigma-style hunt: 1,500 single-event alerts over 40 hosts and 60 rules, plus three file-share alerts with writers.
  const sev = ['informational', 'low', 'medium', 'high', 'critical'] as const;
  sigmaAlerts = Array.from({ length: 1500 }, (_, i) =>
    sigmaAlert({ host: `host-${String(i % 40).padStart(2, '0')}`, at: new Date(Date.UTC(2026, 2, 2, 8) + i * 7919).toISOString(), rule: `sigma-rule-${i % 60}`, exe: `C:\\Program Files\\Vendor Tools\\Long Folder Name ${i % 9}\\sub\\tool-${i % 13}.exe`, severity: sev[(i * 7) % 5]!, position: i + 1 }),
  );
  sigmaAlerts.push(
    shareAlert({ host: 'host-01', path: 'C:\\Windows\\PSEXESVC.exe', at: '2026-03-02T09:00:00Z', writerIp: '172.16.40.23', user: 'svc', severity: 'high', hostIps: ['10.0.0.1'] }),
    shareAlert({ host: 'host-02', path: 'C:\\Windows\\x.exe', at: '2026-03-02T09:10:00Z', writerIp: '10.0.0.1', severity: 'critical' }),
    shareAlert({ host: 'host-03', path: 'C:\\Windows\\y.exe', at: '2026-03-02T09:20:00Z', writerIp: '10.0.0.1', severity: 'medium' }),
  );
  sigmaReport = join(dir, 'sigma.html');
  writeFileSync(sigmaReport, renderHtmlReport({ alerts: sigmaAlerts, summary: sampleSummary() }, { title: 'sigma hunt', generatedAt: '2026-03-02T10:00:00Z' }));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(file: string, width: number, height: number): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  // Any request leaving the file (there should be none) is recorded and refused.
  await page.route(/^(?!file:)/, (r) => (errors.push(`request ${r.request().url()}`), r.abort()));
  await page.goto(`file://${file}`);
  await page.waitForSelector('[data-js=ready]');
  await page.waitForSelector('.app[data-loaded=yes]');
  return { page, errors };
}

const shownCount = async (page: Page): Promise<number> => Number((await page.textContent('#shown'))!.replace(/,/g, ''));

/** Bounding boxes of the elements matching `sel`, for overlap checks. */
async function boxes(page: Page, sel: string): Promise<{ x: number; y: number; w: number; h: number; text: string }[]> {
  return page.$$eval(sel, (els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height, text: e.textContent ?? '' };
  }));
}

function assertNoOverlap(bs: { x: number; y: number; w: number; h: number; text: string }[], what: string): void {
  for (let i = 0; i < bs.length; i++) {
    for (let j = i + 1; j < bs.length; j++) {
      const a = bs[i]!;
      const b = bs[j]!;
      const apart = a.x + a.w <= b.x + 0.5 || b.x + b.w <= a.x + 0.5 || a.y + a.h <= b.y + 0.5 || b.y + b.h <= a.y + 0.5;
      assert.ok(apart, `${what}: '${a.text}' overlaps '${b.text}'`);
    }
  }
}

test('demo report: queue, file-share detail with timeline, multi-hop writer graph, incidents', async (t) => {
  if (skipWithoutBrowser(t)) return;
  assert.ok(demoAlerts.length >= 2, 'the demo hunt found the planted attacks');
  for (const [w, h] of [[1280, 800], [1920, 1080]] as const) {
    const { page, errors } = await open(demoReport, w, h);
    assert.equal(await page.locator('.arow').count(), demoAlerts.length);
    assert.equal(await shownCount(page), demoAlerts.length);
    await page.screenshot({ path: join(SCREENSHOTS, `demo-queue-${w}.png`) });
    // Open the first alert: a file-share detail.
    await page.locator('.arow').first().click();
    const detail = page.locator('section.detail');
    await detail.waitFor();
    assert.equal(await detail.getAttribute('data-kind'), 'file-share');
    const text = (await detail.textContent())!;
    for (const k of ['writer address', 'writer account', 'written path', 'executed path', 'written → executed', 'gap', 'parent', 'command line']) assert.ok(text.includes(k), `detail shows ${k}`);
    const selectedId = await page.locator('.arow.selected').getAttribute('data-alert');
    const alert = demoAlerts.find((a) => a.id === selectedId)!;
    assert.ok(text.includes(alert.writer!.ip!), 'writer address shown');
    // Paths wrap at separators (<wbr>), not mid-name.
    assert.ok((await detail.locator('dd .wrap wbr').count()) > 0);
    // Timeline: WRITE and EXEC marked, context rows, tick labels never overlap.
    const roles = await page.locator('svg.timeline .role').allTextContents();
    assert.deepEqual(roles.map((r) => r.trim()).sort(), ['EXEC', 'WRITE']);
    assert.ok((await page.locator('svg.timeline .tlrow').count()) > 2);
    assertNoOverlap(await boxes(page, 'svg.timeline .ticklabel'), 'timeline tick labels');
    assertNoOverlap(await boxes(page, 'svg.timeline .off'), 'timeline offsets');
    await page.screenshot({ path: join(SCREENSHOTS, `demo-detail-${w}.png`) });
    // Times are UTC with the local time on hover.
    assert.match((await page.locator('.arow time').first().getAttribute('title'))!, /UTC\nlocal: /);
    // Graph: writer edges only, multi-hop through the pivot host.
    await page.click('#tab-graph');
    const edges = await page.$$eval('g.edge', (els) => els.map((e) => [e.getAttribute('data-from'), e.getAttribute('data-to')]));
    const pairs = new Set(demoAlerts.filter((a) => a.writer?.ip).map((a) => `${a.writer!.ip}>${a.host}`));
    assert.equal(edges.length, pairs.size);
    assert.ok(edges.every(([f]) => /^(ip|host):/.test(f!)));
    assert.ok(edges.some(([f]) => f!.startsWith('host:')), 'a host that was written to writes on (multi-hop)');
    assert.equal(await page.locator('svg.graph text', { hasText: /unknown/i }).count(), 0);
    assertNoOverlap(await boxes(page, 'svg.graph g.node rect'), 'graph nodes');
    await page.screenshot({ path: join(SCREENSHOTS, `demo-graph-${w}.png`) });
    // Incidents: both rules' alerts of one write/execution are one incident.
    await page.click('#tab-incidents');
    const incidents = await page.locator('.incrow').count();
    assert.ok(incidents >= 1 && incidents < demoAlerts.length, `${incidents} incidents for ${demoAlerts.length} alerts`);
    await page.locator('.incrow').first().click();
    assert.ok((await page.locator('section.detail button.member[data-alert]').count()) >= 2);
    await page.screenshot({ path: join(SCREENSHOTS, `demo-incidents-${w}.png`) });
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('demo report: the Share writes view lists who wrote which executable where, executed or not', async (t) => {
  if (skipWithoutBrowser(t)) return;
  const { page, errors } = await open(demoReport, 1280, 800);
  await page.click('#tab-shares');
  await page.waitForSelector('#shares tbody tr');
  const psexec = page.locator('#shares tbody tr', { hasText: 'PSEXESVC' }).first();
  assert.match((await psexec.textContent())!, /ws-0011.*ADMIN\$.*CORP\\adm-jdoe.*10\.20\.0\.11.*ran/);
  const impacket = page.locator('#shares tbody tr', { hasText: '172.16.40.23' }).first();
  assert.match((await impacket.textContent())!, /ws-0007.*ran/);
  const all = await page.locator('#shares tbody tr').count();
  assert.ok(await page.locator('#shares tbody tr[data-executed=no]').count() > 0, 'files written but never run are listed too');
  await page.check('#shares input[type=checkbox]');
  assert.ok((await page.locator('#shares tbody tr').count()) < all);
  assert.equal(await page.locator('#shares tbody tr[data-executed=no]').count(), 0);
  await page.uncheck('#shares input[type=checkbox]');
  await page.fill('#shares input[aria-label="filter share writes"]', 'ws-0011 psexesvc');
  assert.equal(await page.locator('#shares tbody tr').count(), 1);
  await page.fill('#shares input[aria-label="filter share writes"]', '');
  await page.screenshot({ path: join(SCREENSHOTS, 'demo-shares-1280.png'), fullPage: true });
  // A report without a share review has no such tab (the Sigma-style report below).
  assert.deepEqual(errors, []);
  await page.close();
});

test('Sigma hunt report with 1,503 alerts: virtualized queue, filters, sort, keyboard, single-event detail, writer-only graph', async (t) => {
  if (skipWithoutBrowser(t)) return;
  const { page, errors } = await open(sigmaReport, 1280, 800);
  assert.equal(await page.locator('#tab-shares').count(), 0, 'no Share writes tab without a share review');
  const n = sigmaAlerts.length;
  assert.equal(await shownCount(page), n);
  const rendered = await page.locator('.arow').count();
  assert.ok(rendered > 10 && rendered < 100, `virtualized: ${rendered} rows in the DOM for ${n} alerts`);

  // Filter by severity, then free text, then rule; counts match the data.
  await page.check('input[name=sev-critical]');
  assert.equal(await shownCount(page), sigmaAlerts.filter((a) => a.severity === 'critical').length);
  await page.fill('#q', 'tool-7.exe');
  assert.equal(await shownCount(page), sigmaAlerts.filter((a) => a.severity === 'critical' && a.filePath?.toLowerCase().includes('tool-7.exe')).length);
  await page.click('button.link');
  assert.equal(await shownCount(page), n);
  await page.selectOption('select[name=rule]', 'sigma-rule-5');
  assert.equal(await shownCount(page), sigmaAlerts.filter((a) => a.ruleId === 'sigma-rule-5').length);
  await page.selectOption('select[name=rule]', '');
  await page.selectOption('select[name=host]', 'host-07');
  assert.equal(await shownCount(page), sigmaAlerts.filter((a) => a.host === 'host-07').length);
  await page.selectOption('select[name=host]', '');
  await page.selectOption('select[name=sourceIp]', '10.0.0.1');
  assert.equal(await shownCount(page), 2);
  await page.selectOption('select[name=sourceIp]', '');
  await page.fill('input[name=from]', '2026-03-02T09:00:00');
  await page.fill('input[name=to]', '2026-03-02T09:30:00');
  const inRange = sigmaAlerts.filter((a) => Date.parse(a.firstTime) >= Date.UTC(2026, 2, 2, 9) && Date.parse(a.firstTime) <= Date.UTC(2026, 2, 2, 9, 30)).length;
  assert.equal(await shownCount(page), inRange);
  await page.click('button.link');

  // Sort by host: ascending, then descending.
  await page.click('button[data-sort=host]');
  const hosts = sigmaAlerts.map((a) => a.host).sort();
  assert.equal(await page.locator('.arow .c-host').first().textContent(), hosts[0]);
  await page.click('button[data-sort=host]');
  assert.equal(await page.locator('.arow .c-host').first().textContent(), hosts.at(-1));
  assert.equal(await page.getAttribute('[role=columnheader][aria-sort=descending] button', 'data-sort'), 'host');
  // Sort by severity (most severe first): the first row is critical.
  await page.click('button[data-sort=severity]');
  assert.match((await page.locator('.arow .sev').first().textContent())!, /CRIT/);

  // Keyboard: focus the queue, move down three rows, open with Enter.
  await page.focus('#queue');
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const activeId = await page.locator('.arow.active').getAttribute('data-alert');
  assert.equal(await page.locator('.arow.selected').getAttribute('data-alert'), activeId);
  const detail = page.locator('section.detail');
  await detail.waitFor();
  assert.equal(await detail.getAttribute('data-kind'), 'single');
  const text = (await detail.textContent())!;
  assert.ok(text.includes('Matched event') && text.includes('process.executable'));
  assert.ok(!/written|WRITE|EXEC/.test(text), 'a single-event alert never says written / executed');
  // Rows far down the list are reachable: End moves to the last alert and renders it.
  await page.focus('#queue');
  await page.keyboard.press('End');
  await page.waitForSelector(`#queue-row-${n - 1}`);
  await page.screenshot({ path: join(SCREENSHOTS, 'sigma-queue-1280.png') });

  // Group by rule: 60 Sigma rules + the file-share rule, counts on the headers.
  await page.selectOption('select[name=group]', 'rule');
  const firstGroup = (await page.locator('.grp .count').first().textContent())!;
  assert.equal(Number(firstGroup), 25);
  await page.screenshot({ path: join(SCREENSHOTS, 'sigma-grouped-1280.png') });
  await page.selectOption('select[name=group]', 'none');

  // Graph: only the three alerts with a writer make edges; the rest are counted, not drawn.
  await page.click('#tab-graph');
  assert.equal(await page.locator('g.edge').count(), 3);
  assert.match((await page.locator('section.panel p.muted').first().textContent())!, /1,500 alerts name no writer/);
  await page.screenshot({ path: join(SCREENSHOTS, 'sigma-graph-1280.png') });
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.click('#tab-queue');
  await page.screenshot({ path: join(SCREENSHOTS, 'sigma-queue-1920.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('an alert whose event had no readable time says "no time" in the queue and the detail, and sorts after the timed ones', async (t) => {
  if (skipWithoutBrowser(t)) return;
  const timed = sigmaAlert({ host: 'host-a', at: '2026-03-02T08:00:00Z', rule: 'sigma-rule-t' });
  const timeless = { ...sigmaAlert({ host: 'host-b', at: '', rule: 'sigma-rule-u' }), id: 'timeless-alert' };
  const file = join(dir, 'timeless.html');
  writeFileSync(file, renderHtmlReport({ alerts: [timeless, timed], summary: sampleSummary() }, { title: 'timeless', generatedAt: '2026-03-02T10:00:00Z' }));
  const { page, errors } = await open(file, 1280, 800);
  assert.equal(await shownCount(page), 2);
  const cells = await page.locator('.arow .c-time').allTextContents();
  assert.deepEqual(cells.map((c) => c.trim()), ['03-02 08:00:00', 'no time']);
  await page.click('.arow[data-alert=timeless-alert]');
  const detail = page.locator('section.detail');
  await detail.waitFor();
  assert.match((await detail.textContent())!, /timeno time/);
  assert.deepEqual(errors, []);
  await page.close();
});
