/**
 * serve/: the alerts API (filters, detail with events and surrounding host events, status, SSE),
 * health and metrics, webhooks with retry, suppression, ECS documents, rules reload and
 * exceptions edited through the API, and 429 back-pressure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import type { ApiAlertDetail, ApiAlertList, ApiAlertSummary, ApiReloadResult } from '../../src/serve/api-types.js';
import { bulkBody, call, serve, waitFor } from './client.js';

const g = generateEvents({ events: 5000, hosts: 5, seed: 3 });
const lines = [...g.lines];
const planted = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);

test('alerts API, SSE, health, metrics, ECS, webhooks with retry', async () => {
  // A webhook receiver that fails its first two calls.
  const got: unknown[] = [];
  let calls = 0;
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      calls++;
      if (calls <= 2) {
        res.writeHead(503).end();
        return;
      }
      got.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  const h = await serve({ webhooks: [{ url: hookUrl, format: 'ecs' }] });
  try {
    const u = h.s.url;
    const read = h.s.context.tokens.create(['read']).token;
    // SSE subscriber before any alert.
    const ac = new AbortController();
    const sse = await fetch(`${u}/api/alerts/stream`, { headers: { authorization: `Bearer ${read}` }, signal: ac.signal });
    assert.equal(sse.headers.get('content-type'), 'text/event-stream');
    const reader = sse.body!.getReader();
    let sseText = '';
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) break;
        sseText += Buffer.from(value!).toString();
      }
    })();
    const r = await call(`${u}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(lines), headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(r.status, 200);
    await waitFor(() => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total === planted.length);
    await waitFor(() => (sseText.match(/event: alert/g) ?? []).length >= planted.length);
    ac.abort();
    await pump;

    const list = (q: string): Promise<ApiAlertList> => call(`${u}/api/alerts${q}`, { token: read }).then((x) => x.json() as ApiAlertList);
    const all = await list('');
    assert.ok(all.total >= planted.length);
    const host = planted[0]!.host;
    const byHost = await list(`?host=${host}&rule=${FILE_SHARE_RULE_ID}`);
    assert.equal(byHost.total, planted.filter((p) => p.host === host).length);
    assert.ok(byHost.alerts.every((a) => a.host.toLowerCase() === host.toLowerCase()));
    const fileName = planted[0]!.path.split('\\').pop()!;
    const byText = await list(`?q=${encodeURIComponent(fileName.toLowerCase())}`);
    assert.ok(byText.alerts.some((a) => a.filePath === planted[0]!.path));
    assert.equal((await list('?severity=critical')).alerts.filter((a) => a.severity !== 'critical').length, 0);
    assert.equal((await list('?from=2099-01-01T00:00:00Z')).total, 0);
    assert.equal((await call(`${u}/api/alerts?from=yesterday`, { token: read })).status, 400);
    const page1 = await list('?limit=1');
    assert.equal(page1.alerts.length, 1);
    const page2 = await list(`?limit=1&before=${page1.next}`);
    assert.notEqual(page2.alerts[0]?.id, page1.alerts[0]!.id);

    const a = byHost.alerts[0]!;
    const d = (await call(`${u}/api/alerts/${a.id}`, { token: read })).json() as ApiAlertDetail;
    assert.equal(d.events.length, 2);
    assert.ok(d.events[0]!.seq > 0);
    assert.ok(d.surrounding.length > 2, 'surrounding host events');
    assert.ok(d.surrounding.some((e) => e.seq === d.events[0]!.seq));
    assert.equal((await call(`${u}/api/alerts/nope`, { token: read })).status, 404);
    const ecs = (await call(`${u}/api/alerts/${a.id}?format=ecs`, { token: read })).json() as Record<string, unknown>;
    assert.equal(ecs['kibana.alert.uuid'], a.id);
    assert.equal(ecs['kibana.alert.rule.rule_id'], FILE_SHARE_RULE_ID);

    const st = await call(`${u}/api/alerts/${a.id}/status`, { method: 'POST', token: h.admin, body: JSON.stringify({ status: 'acknowledged', reason: 'looking' }) });
    assert.equal((st.json() as ApiAlertSummary).status, 'acknowledged');
    assert.equal((await call(`${u}/api/alerts/${a.id}/status`, { method: 'POST', token: h.admin, body: '{"status":"maybe"}' })).status, 400);
    assert.equal((await list('?status=acknowledged')).total, 1);

    const health = (await call(`${u}/api/health`)).json() as { eventsIn: number; alerts: number; lag: number };
    assert.equal(health.eventsIn, lines.length);
    const metrics = (await call(`${u}/metrics`, { token: read })).text;
    assert.match(metrics, new RegExp(`^spoor_events_in_total ${lines.length}$`, 'm'));
    assert.match(metrics, /^spoor_checkpoint_age_seconds \d/m);
    assert.match(metrics, /^# TYPE spoor_queue_depth gauge$/m);

    // Webhooks: two failures, then every alert delivered once, ECS-shaped.
    await waitFor(() => got.length >= all.total, 15_000);
    assert.equal(new Set(got.map((x) => (x as Record<string, unknown>)['kibana.alert.uuid'])).size, got.length);
    assert.ok(h.s.context.counters.webhookFailed >= 2);
  } finally {
    await h.stop();
    hook.close();
  }
});

test('suppression per rule folds repeats into the first alert and counts them', async () => {
  const h = await serve({ suppression: { [FILE_SHARE_RULE_ID]: { groupBy: ['ruleId'], windowMs: 24 * 3600_000 } } });
  try {
    await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(lines), headers: { 'content-type': 'application/x-ndjson' } });
    await waitFor(() => h.s.context.loop.stats.alertsSuppressed + h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total >= planted.length);
    const l = h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] });
    assert.equal(l.total, 1);
    assert.equal(l.alerts[0]!.suppressedCount, planted.length - 1);
  } finally {
    await h.stop();
  }
});

test('exceptions edited through the API are written to the YAML and applied; reload keeps state of unchanged rules', async () => {
  const h = await serve();
  try {
    const host = planted[0]!.host;
    const put = await call(`${h.s.url}/api/exceptions`, { method: 'PUT', token: h.admin, body: JSON.stringify({ global: { hosts: [host] } }) });
    assert.equal(put.status, 200);
    assert.match(readFileSync(join(h.dir, 'exceptions.yml'), 'utf8'), new RegExp(host));
    assert.equal((await call(`${h.s.url}/api/exceptions`, { method: 'PUT', token: h.admin, body: '{"global":{"colours":["x"]}}' })).status, 400);
    await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(lines), headers: { 'content-type': 'application/x-ndjson' } });
    const others = planted.filter((p) => p.host !== host).length;
    await waitFor(() => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total >= others);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID], host }).total, 0);
    assert.equal(h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total, others);
    const rl = (await call(`${h.s.url}/api/rules/reload`, { method: 'POST', token: h.admin })).json() as ApiReloadResult;
    assert.ok(rl.rulesLoaded > 0);
    assert.equal(rl.stateKept, rl.rulesLoaded, 'nothing changed: every stateful rule keeps its state');
  } finally {
    await h.stop();
  }
});

test('429 when the queue is full, with an Elasticsearch-shaped error; the server recovers', async () => {
  const h = await serve({ maxQueue: 1 });
  try {
    h.s.context.loop.pump = () => {}; // detection paused: the queue cannot drain
    const body = bulkBody(lines.slice(0, 5));
    const first = await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body, headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(first.status, 200);
    const second = await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body, headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(second.status, 429);
    assert.equal((second.json() as { error: { type: string } }).error.type, 'SPOOR_TOO_MANY_REQUESTS');
    delete (h.s.context.loop as { pump?: unknown }).pump; // detection resumes
    h.s.context.loop.pump();
    await waitFor(() => h.s.context.loop.lag === 0);
    const third = await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body, headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(third.status, 200);
  } finally {
    await h.stop();
  }
});
