/**
 * serve/ triage (issue 16) and response (issue 15) endpoints: notes and assignee with the `triage`
 * scope, rules switched off and on (kept across a restart; an off rule raises nothing), ingest
 * health per source and host with blind spots, threat-intel feeds reloaded without a restart (file
 * change, POST /api/rules/reload, SIGHUP), and the share-write review over the log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import type { ApiAlertDetail, ApiAlertSummary, ApiHealth, ApiRuleInfo, ApiRules, ApiShares } from '../../src/serve/api-types.js';
import { bulkBody, call, serve, spawnServe, waitFor } from './client.js';

const SHA = 'a'.repeat(40) + 'b'.repeat(24);
const OTHER = 'c'.repeat(64);

/** The demo's telemetry from `start`, with a SHA-256 on the PsExec service's file and process events. */
function telemetry(start?: string): { lines: string[]; planted: ReturnType<typeof generateEvents>['planted'] } {
  const g = generateEvents({ events: 3000, hosts: 5, seed: 3, ...(start ? { start } : {}) });
  const lines = [...g.lines].map((l) => {
    if (!/PSEXESVC/i.test(l)) return l;
    const ev = JSON.parse(l) as { process?: Record<string, unknown>; file?: Record<string, unknown> };
    if (typeof ev.process?.['executable'] === 'string' && /PSEXESVC/i.test(ev.process['executable'] as string)) ev.process['hash'] = { sha256: SHA };
    if (typeof ev.file?.['path'] === 'string' && /PSEXESVC/i.test(ev.file['path'] as string)) ev.file['hash'] = { sha256: SHA };
    return JSON.stringify(ev);
  });
  return { lines, planted: g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID) };
}

const json = { 'content-type': 'application/json' };

test('notes and assignee: triage scope, author by token name, listed in the detail; bad requests are 4xx', async () => {
  const h = await serve();
  try {
    const u = h.s.url;
    const { lines, planted } = telemetry();
    await call(`${u}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(lines), headers: { 'content-type': 'application/x-ndjson' } });
    await waitFor(() => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total === planted.length);
    const id = h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).alerts[0]!.id;
    const alice = h.s.context.tokens.create(['triage'], 'alice').token;
    const read = h.s.context.tokens.create(['read'], 'viewer').token;

    // triage implies read, and may change status and notes; it may not change exceptions or rules.
    assert.equal((await call(`${u}/api/alerts`, { token: alice })).status, 200);
    assert.equal((await call(`${u}/api/exceptions`, { method: 'PUT', token: alice, body: '{}', headers: json })).status, 403);
    assert.equal((await call(`${u}/api/rules/${FILE_SHARE_RULE_ID}/enabled`, { method: 'POST', token: alice, body: '{"enabled":false}', headers: json })).status, 403);
    assert.equal((await call(`${u}/api/alerts/${id}/note`, { method: 'POST', token: read, body: '{"text":"x"}', headers: json })).status, 403);
    assert.equal((await call(`${u}/api/alerts/${id}/status`, { method: 'POST', token: read, body: '{"status":"closed"}', headers: json })).status, 403);

    const n1 = await call(`${u}/api/alerts/${id}/note`, { method: 'POST', token: alice, body: JSON.stringify({ text: 'PsExec from the admin jump host?', assignee: 'alice' }), headers: json });
    assert.equal(n1.status, 200, n1.text);
    const s1 = n1.json() as ApiAlertSummary & { notes: ApiAlertDetail['notes'] };
    assert.equal(s1.assignee, 'alice');
    assert.equal(s1.noteCount, 1);
    assert.equal(s1.notes![0]!.author, 'alice');
    assert.ok(Math.abs(Date.parse(s1.notes![0]!.time) - Date.now()) < 60_000);
    // The admin token created at first start has a name; a note by it carries that name.
    await call(`${u}/api/alerts/${id}/note`, { method: 'POST', token: h.admin, body: JSON.stringify({ text: 'confirmed with the change ticket' }), headers: json });
    const closed = await call(`${u}/api/alerts/${id}/status`, { method: 'POST', token: alice, body: JSON.stringify({ status: 'closed', reason: 'authorised admin work' }), headers: json });
    assert.equal((closed.json() as ApiAlertSummary).status, 'closed');
    const d = (await call(`${u}/api/alerts/${id}`, { token: read })).json() as ApiAlertDetail;
    assert.deepEqual(d.notes!.map((n) => n.text), ['PsExec from the admin jump host?', 'confirmed with the change ticket']);
    assert.equal(d.notes![1]!.author, 'created at first start (admin)');
    assert.equal(d.assignee, 'alice');
    assert.equal(d.statusReason, 'authorised admin work');
    // The list carries assignee and note count too.
    const listed = h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).alerts.find((a) => a.id === id)!;
    assert.equal(listed.noteCount, 2);
    // Clearing the assignee.
    const cleared = (await call(`${u}/api/alerts/${id}/note`, { method: 'POST', token: alice, body: '{"assignee":null}', headers: json })).json() as ApiAlertSummary;
    assert.equal(cleared.assignee, undefined);
    assert.equal(cleared.noteCount, 2);

    for (const bad of ['{}', '{"text":""}', '{"text":5}', '{"assignee":7}', 'null', '[1]', 'not json', JSON.stringify({ text: 'x'.repeat(10_001) })]) {
      const r = await call(`${u}/api/alerts/${id}/note`, { method: 'POST', token: alice, body: bad, headers: json });
      assert.equal(r.status, 400, `${bad.slice(0, 20)} → ${r.status} ${r.text}`);
    }
    assert.equal((await call(`${u}/api/alerts/nope/note`, { method: 'POST', token: alice, body: '{"text":"x"}', headers: json })).status, 404);
    assert.equal((await call(`${u}/api/alerts/${id}/status`, { method: 'POST', token: alice, body: 'null', headers: json })).status, 400);
    assert.equal((await call(`${u}/api/health`)).status, 200, 'still serving');
  } finally {
    await h.stop();
  }
});

test('a rule switched off raises no alert and holds no state, stays off across a restart, and alerts again when switched on', async () => {
  let h = await serve();
  const dir = h.dir;
  // Tokens are created at the first start only: keep them for after the restart.
  const { admin, ingest } = h;
  try {
    const rules = async (): Promise<ApiRules> => (await call(`${h.s.url}/api/rules`, { token: admin })).json() as ApiRules;
    const rule = async (): Promise<ApiRuleInfo> => (await rules()).rules.find((r) => r.id === FILE_SHARE_RULE_ID)!;
    const loadedBefore = h.s.context.loop.ruleCount;
    assert.equal((await rule()).enabled, true);
    assert.equal((await rule()).hits, 0);
    const read = h.s.context.tokens.create(['read']).token;
    assert.equal((await call(`${h.s.url}/api/rules/${FILE_SHARE_RULE_ID}/enabled`, { method: 'POST', token: read, body: '{"enabled":false}', headers: json })).status, 403);
    assert.equal((await call(`${h.s.url}/api/rules/no-such-rule/enabled`, { method: 'POST', token: admin, body: '{"enabled":false}', headers: json })).status, 404);
    assert.equal((await call(`${h.s.url}/api/rules/${FILE_SHARE_RULE_ID}/enabled`, { method: 'POST', token: admin, body: '{"enabled":"no"}', headers: json })).status, 400);

    const off = await call(`${h.s.url}/api/rules/${FILE_SHARE_RULE_ID}/enabled`, { method: 'POST', token: admin, body: '{"enabled":false}', headers: json });
    assert.equal(off.status, 200, off.text);
    assert.equal((off.json() as ApiRuleInfo).enabled, false);
    assert.equal((off.json() as ApiRuleInfo).changedBy, 'created at first start (admin)');
    assert.equal(h.s.context.loop.ruleCount, loadedBefore - 1, 'left out of detection');
    assert.ok(!h.s.context.loop.loadedRules.some((r) => r.id === FILE_SHARE_RULE_ID));

    // The planted attacks: the other file-share rules alert, the one switched off does not.
    const day1 = telemetry();
    await call(`${h.s.url}/_bulk`, { method: 'POST', token: ingest, body: bulkBody(day1.lines), headers: { 'content-type': 'application/x-ndjson' } });
    await waitFor(() => h.s.context.loop.stats.fed === day1.lines.length && h.s.context.alerts.count() > 0);
    h.s.context.loop.drain();
    assert.equal(h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total, 0);
    assert.ok(h.s.context.alerts.count() > 0, 'other rules still alert');
    assert.equal(((await call(`${h.s.url}/api/health`)).json() as ApiHealth).rulesDisabled, 1);

    // Restart on the same data directory: still off.
    await h.stop(true);
    h = await serve({}, dir);
    assert.equal((await rule()).enabled, false);
    assert.equal(h.s.context.loop.ruleCount, loadedBefore - 1);
    const day2 = telemetry('2026-03-03T08:00:00.000000Z');
    await call(`${h.s.url}/_bulk`, { method: 'POST', token: ingest, body: bulkBody(day2.lines), headers: { 'content-type': 'application/x-ndjson' } });
    await waitFor(() => h.s.context.loop.stats.fed >= day1.lines.length + day2.lines.length);
    h.s.context.loop.drain();
    assert.equal(h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total, 0);

    // On again: the next attacks raise it.
    const on = await call(`${h.s.url}/api/rules/${FILE_SHARE_RULE_ID}/enabled`, { method: 'POST', token: admin, body: '{"enabled":true}', headers: json });
    assert.equal((on.json() as ApiRuleInfo).enabled, true);
    const day3 = telemetry('2026-03-04T08:00:00.000000Z');
    await call(`${h.s.url}/_bulk`, { method: 'POST', token: ingest, body: bulkBody(day3.lines), headers: { 'content-type': 'application/x-ndjson' } });
    await waitFor(() => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total === day3.planted.length);
    const r = await rule();
    assert.equal(r.hits, day3.planted.length);
    assert.ok(r.lastHit!.startsWith('2026-03-04'));
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('health per source and host (names for host.id keys), late events, parse errors and blind spots; details need a read token', async () => {
  const h = await serve();
  try {
    const u = h.s.url;
    const { lines } = telemetry();
    const headers = { 'content-type': 'application/x-ndjson', 'user-agent': 'Winlogbeat/8.17.0 (linux; amd64)' };
    const body = bulkBody(lines) + '{"create":{"_index":"logs-endpoint"}}\n[1,2]\n';
    assert.equal((await call(`${u}/_bulk`, { method: 'POST', token: h.ingest, body, headers })).status, 200);
    // One event far older than its host's released events: late.
    const late = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
    late['@timestamp'] = '2026-03-02T07:00:00.000Z';
    await waitFor(() => h.s.context.loop.stats.fed >= lines.length);
    assert.equal((await call(`${u}/ingest`, { method: 'POST', token: h.ingest, body: `${JSON.stringify(late)}\nnot json\n`, headers: { 'content-type': 'application/x-ndjson', 'user-agent': 'curl/8.5.0' } })).status, 200);
    await waitFor(() => h.s.context.loop.stats.late >= 1);
    // Stateful rules see events once the per-host reorder buffer releases them (idle hosts after the
    // allowed lateness): their blind-spot counts follow then.
    await waitFor(() => h.s.context.blindSpots().find((b) => b.ruleId === 'file-share-remote-exec-security-audit')?.verdict !== 'unknown', 15_000);

    const open = (await call(`${u}/api/health`)).json() as ApiHealth;
    assert.equal(open.sources, undefined, 'no per-source detail without a token');
    assert.equal(open.parseErrors, 2);
    const hd = (await call(`${u}/api/health`, { token: h.admin })).json() as ApiHealth;
    const beat = hd.sources!.find((s) => s.shipper === 'Winlogbeat/8.17.0')!;
    assert.equal(beat.index, 'logs-endpoint');
    assert.equal(beat.remote.replace('::ffff:', ''), '127.0.0.1');
    assert.equal(beat.events, lines.length);
    assert.equal(beat.parseErrors, 1);
    assert.ok(beat.eventsPerSecond > 0);
    const curl = hd.sources!.find((s) => s.shipper === 'curl/8.5.0')!;
    assert.equal(curl.index, '-');
    assert.equal(curl.events, 1);
    assert.equal(curl.parseErrors, 1);

    assert.equal(hd.hosts!.reduce((a, x) => a + x.events, 0), lines.length + 1);
    const named = hd.hosts!.filter((x) => x.name);
    assert.ok(named.length >= 1 && named.every((x) => /^ws-|^srv-|^dc/.test(x.name!)), JSON.stringify(hd.hosts!.slice(0, 3)));
    assert.equal(hd.hosts!.reduce((a, x) => a + x.lateEvents, 0), 1);
    assert.ok(hd.hosts!.every((x) => x.newestEventTime!.startsWith('2026-03-02')));

    // Blind spots: every rule stage listed; hosts named, never by host.id.
    const bs = hd.blindSpots!;
    assert.ok(bs.some((b) => b.ruleId === FILE_SHARE_RULE_ID));
    const audit = bs.find((b) => b.ruleId === 'file-share-remote-exec-security-audit')!;
    assert.ok(['partial', 'absent', 'present'].includes(audit.verdict));
    for (const b of bs) for (const w of b.hostsWithout) assert.doesNotMatch(w, /^[0-9a-f]{8}-[0-9a-f]{4}-/, `${b.ruleId}: ${w}`);
    const service = bs.find((b) => b.ruleId === 'file-share-service-install' && b.verdict === 'absent');
    assert.ok(service, 'the demo sends no 7045: the service-install rule is blind');
    assert.match(service.message, /none at all/);
  } finally {
    await h.stop();
  }
});

test('intel feeds: alerts enriched and raised; a changed feed file is reloaded without a restart; reload reports the feeds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-intel-'));
  const feed = join(dir, 'hashes.txt');
  writeFileSync(feed, `${OTHER}\n`);
  const h = await serve({ intel: [feed], intelCheckMs: 100 });
  try {
    const u = h.s.url;
    const health = async (): Promise<ApiHealth> => (await call(`${u}/api/health`, { token: h.admin })).json() as ApiHealth;
    assert.equal((await health()).intel!.hashes, 1);
    const day1 = telemetry();
    await call(`${u}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(day1.lines), headers: { 'content-type': 'application/x-ndjson' } });
    await waitFor(() => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total === day1.planted.length);
    const before = h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID], q: 'psexesvc' }).alerts[0]!;
    assert.equal(before.intel, undefined);

    // The feed gains the PsExec hash: picked up by the file check, no restart.
    writeFileSync(feed, `# test feed\n${OTHER}\n${SHA}\n`);
    const end = Date.now() + 10_000;
    while ((await health()).intel!.hashes !== 2) {
      assert.ok(Date.now() < end, 'feed change not picked up');
      await new Promise((r) => setTimeout(r, 50));
    }
    const day2 = telemetry('2026-03-03T08:00:00.000000Z');
    await call(`${u}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(day2.lines), headers: { 'content-type': 'application/x-ndjson' } });
    await waitFor(() => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total === day1.planted.length + day2.planted.length);
    const hit = h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID], q: 'psexesvc', from: '2026-03-03T00:00:00Z' }).alerts[0]!;
    assert.equal(hit.intel!.matches[0]!.hash, SHA);
    assert.equal(hit.intel!.matches[0]!.feed, 'hashes.txt');
    assert.equal(hit.intel!.severityBefore, before.severity);
    assert.notEqual(hit.severity, before.severity, 'raised one level');
    const other = h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID], from: '2026-03-03T00:00:00Z' }).alerts.find((a) => !/psexesvc/i.test(a.filePath ?? ''))!;
    assert.equal(other.intel, undefined);
    const enriched = h.s.context.alerts.list({ limit: 1000 }).alerts.filter((a) => a.intel);
    assert.ok(enriched.length >= 1 && enriched.every((a) => /psexesvc/i.test(JSON.stringify(a))));
    assert.equal((await health()).intel!.alertsMatched, enriched.length);

    // POST /api/rules/reload reloads the feeds too (here: the hash removed again).
    writeFileSync(feed, `${OTHER}\n`);
    const rel = (await call(`${u}/api/rules/reload`, { method: 'POST', token: h.admin })).json() as { intel: { hashes: number } };
    assert.equal(rel.intel.hashes, 1);
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spoor serve --intel reloads its feeds on SIGHUP', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-intel-hup-'));
  const feed = join(dir, 'feed.txt');
  writeFileSync(feed, `${OTHER}\n`);
  const c = await spawnServe(join(dir, 'data'), ['--intel', feed, '--intel-check', '0']);
  try {
    const admin = c.tokens.find((t) => t.scope === 'admin')!.token;
    const hashes = async (): Promise<number> => ((await call(`${c.url}/api/health`, { token: admin })).json() as ApiHealth).intel!.hashes;
    assert.equal(await hashes(), 1);
    writeFileSync(feed, `${OTHER}\n${SHA}\n`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await hashes(), 1, 'no file check with --intel-check 0');
    c.proc.kill('SIGHUP');
    const end = Date.now() + 10_000;
    while ((await hashes()) !== 2) {
      assert.ok(Date.now() < end, 'SIGHUP did not reload the feeds');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    c.proc.kill('SIGTERM');
    await new Promise((r) => c.proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GET /api/shares: who wrote which executable to which host, executed or not', async () => {
  const h = await serve();
  try {
    const { lines, planted } = telemetry();
    await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(lines), headers: { 'content-type': 'application/x-ndjson' } });
    await waitFor(() => h.s.context.loop.stats.fed === lines.length);
    const sh = (await call(`${h.s.url}/api/shares`, { token: h.admin })).json() as ApiShares;
    assert.equal(sh.eventsRead, lines.length);
    assert.equal(sh.truncated, false);
    for (const p of planted) {
      const row = sh.rows.find((r) => r.path.toLowerCase() === p.path.toLowerCase() && r.host.toLowerCase() === p.host);
      assert.ok(row, `${p.path} on ${p.host}: ${JSON.stringify(sh.rows.map((r) => [r.host, r.path]))}`);
      assert.equal(row.executed, true);
      assert.equal(row.sourceIp, p.writerIp);
    }
    const limited = (await call(`${h.s.url}/api/shares?limit=10`, { token: h.admin })).json() as ApiShares;
    assert.equal(limited.eventsRead, 10);
    assert.equal(limited.truncated, true);
    assert.equal((await call(`${h.s.url}/api/shares?limit=0`, { token: h.admin })).status, 400);
    assert.equal((await call(`${h.s.url}/api/shares`)).status, 401);
  } finally {
    await h.stop();
  }
});

test('spoor serve token create --scope triage -d DIR writes to DIR (not ./spoor-data)', async () => {
  const { spawnSync } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { repoRoot } = await import('../helpers/shared.js');
  const cwd = mkdtempSync(join(tmpdir(), 'spoor-token-cwd-'));
  const dir = join(cwd, 'elsewhere');
  try {
    const main = join(repoRoot, 'dist/src/cli/main.js');
    const made = spawnSync(process.execPath, [main, 'serve', 'token', 'create', '--scope', 'triage', '--name', 'carol', '-d', dir], { cwd, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /^spoor_[0-9a-f]+_/);
    const listed = spawnSync(process.execPath, [main, 'serve', 'token', 'list', '-d', dir], { cwd, encoding: 'utf8' });
    assert.deepEqual((JSON.parse(listed.stdout) as { name: string; scopes: string[] }[]).map((t) => [t.name, t.scopes]), [['carol', ['triage']]]);
    assert.equal(existsSync(join(cwd, 'spoor-data')), false);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
