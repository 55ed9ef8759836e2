/** serve/: per-host time order behind a watermark, late events, and sequences split across requests. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { attackLines, bulkBody, call, serve, waitFor, type Served } from './client.js';

const g = generateEvents({ events: 2000, hosts: 2, seed: 5 });
const lines = [...g.lines];
const planted = g.planted.find((p) => p.ruleId === FILE_SHARE_RULE_ID)!;
const { write, start } = attackLines(lines, planted.path);

async function send(h: Served, docs: string[]): Promise<void> {
  const r = await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(docs), headers: { 'content-type': 'application/x-ndjson' } });
  assert.equal(r.status, 200);
}

const fsAlerts = (h: Served): number => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total;

test('out of order within the allowed lateness: the start arrives before the write, the sequence is still found', async () => {
  const h = await serve({ allowedLatenessMs: 3000 });
  try {
    await send(h, [start]);
    await send(h, [write]);
    await waitFor(() => fsAlerts(h) === 1, 8000);
    assert.equal(h.s.context.loop.stats.late, 0);
  } finally {
    await h.stop();
  }
});

test('a sequence split across two requests a while apart is found (state is kept, no look-back window)', async () => {
  const h = await serve({ allowedLatenessMs: 100 });
  try {
    await send(h, [write]);
    await waitFor(() => h.s.context.loop.stats.fed === 1);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(fsAlerts(h), 0);
    await send(h, [start]);
    await waitFor(() => fsAlerts(h) === 1);
  } finally {
    await h.stop();
  }
});

test('events behind the watermark are still evaluated and counted as late', async () => {
  const h = await serve({ allowedLatenessMs: 100 });
  try {
    // A later event of the same host first, released; then the attack arrives late.
    const host = planted.host.toLowerCase();
    const later = lines.find((l, i) => i > lines.indexOf(start) + 50 && l.toLowerCase().includes(`"name":"${host}"`) && l.includes('"type":"endpoint"'))!;
    assert.ok(later);
    await send(h, [later]);
    await waitFor(() => h.s.context.loop.stats.fed === 1);
    await send(h, [write, start]);
    await waitFor(() => h.s.context.loop.stats.fed === 3);
    assert.equal(h.s.context.loop.stats.late, 2);
    await waitFor(() => fsAlerts(h) === 1);
    const health = (await call(`${h.s.url}/api/health`)).json() as { lateEvents: number };
    assert.equal(health.lateEvents, 2);
  } finally {
    await h.stop();
  }
});

test('single-event rules alert on arrival, without waiting for the watermark; sequences still wait for it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-order-rules-'));
  writeFileSync(
    join(dir, 'system-write.yml'),
    'id: test-system-file-write\nname: Test - file written by the System process\nenabled: true\nhunting: false\nseverity: low\nlanguage: eql\nview: ecs\nquery: |\n  file where process.pid == 4\n',
  );
  // A minute of allowed lateness: nothing of this host is released while the test runs.
  const h = await serve({ allowedLatenessMs: 60_000, rulesDirs: [dir] });
  try {
    await send(h, [write, start]);
    await waitFor(() => h.s.context.alerts.list({ rule: ['test-system-file-write'] }).total === 1, 8000);
    assert.equal(h.s.context.loop.stats.fed, 0, 'both events still held behind the watermark');
    assert.equal(fsAlerts(h), 0, 'the sequence waits for the watermark');
    assert.ok(h.s.context.loop.lag >= 2);
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
