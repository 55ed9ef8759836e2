/**
 * Cluster-wide rule switches and intel (src/cluster/control.ts) with a real nats-server: an ingest
 * node with an intel feed and two detector nodes. `POST /api/rules/{id}/enabled` on the ingest
 * node reaches every detector: a rule switched off raises nothing and loses its state (a sequence
 * half-seen before the switch does not complete after it is switched on again), a rule switched on
 * raises again; alerts on the alert stream carry the feed's hash match, as single-node serve's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from './nats-server.js';
import { Bus, type Reader } from '../../src/cluster/nats.js';
import { CLUSTER } from '../../src/cluster/subjects.js';
import { startIngestNode, type IngestNode } from '../../src/cluster/ingest.js';
import { startDetectNode, type DetectNode } from '../../src/cluster/node.js';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import type { Alert } from '../../src/alert/types.js';
import { sleep, waitFor } from '../helpers/wait.js';

const SHA = 'a'.repeat(40) + 'b'.repeat(24);

/** A day of demo telemetry from `start`; PsExec's file and process events carry SHA. `later`: the process starts of the planted attacks, held back. */
function day(start: string): { now: string[]; later: string[]; planted: number } {
  const g = generateEvents({ events: 1500, hosts: 5, seed: 3, start });
  const planted = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
  const paths = new Set(planted.map((p) => p.path.toLowerCase()));
  const now: string[] = [];
  const later: string[] = [];
  for (const l of g.lines) {
    const ev = JSON.parse(l) as { process?: Record<string, unknown>; file?: Record<string, unknown>; event?: { category?: string[] } };
    const exe = typeof ev.process?.['executable'] === 'string' ? (ev.process['executable'] as string) : '';
    if (/PSEXESVC/i.test(exe)) ev.process!['hash'] = { sha256: SHA };
    if (typeof ev.file?.['path'] === 'string' && /PSEXESVC/i.test(ev.file['path'] as string)) ev.file['hash'] = { sha256: SHA };
    const text = JSON.stringify(ev);
    if (ev.event?.category?.includes('process') && paths.has(exe.toLowerCase())) later.push(text);
    else now.push(text);
  }
  return { now, later, planted: planted.length };
}

test('rule switches and intel reach every detector node through NATS', async () => {
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'spoor-cluster-control-'));
  const feed = join(dir, 'feed.txt');
  writeFileSync(feed, `${SHA}\n`);
  let ingest: IngestNode | null = null;
  const nodes: DetectNode[] = [];
  let bus: Bus | null = null;
  let reader: Reader | null = null;
  try {
    ingest = await startIngestNode({ natsUrl: nats.url, dataDir: join(dir, 'ingest'), port: 0, host: '127.0.0.1', intel: [feed], intelCheckMs: 0, onLog: () => undefined });
    const ing = ingest;
    const token = ing.createdTokens.find((t) => t.scope === 'ingest')!.token;
    const admin = ing.createdTokens.find((t) => t.scope === 'admin')!.token;
    const rules = (await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false })).rules;
    for (const id of ['a', 'b']) nodes.push(await startDetectNode({ natsUrl: nats.url, nodeId: id, rules, leaseTtlMs: 2000, allowedLatenessMs: 200, onLog: () => undefined }));
    await waitFor(() => nodes.every((n) => n.control().intelHashes === 1), 10_000, 'intel index on every node');
    await waitFor(() => nodes[0]!.owned().length + nodes[1]!.owned().length === CLUSTER.partitions && nodes.every((n) => n.owned().length > 0), 15_000, 'partitions shared');

    bus = await Bus.connect(nats.url, 't-control');
    const onStream: Alert[] = [];
    reader = await bus.orderedRead(CLUSTER.alertStream, CLUSTER.alertSubject, 1, (m) => {
      onStream.push(JSON.parse(new TextDecoder().decode(m.data)) as Alert);
      return true;
    });
    const theBus = bus;
    const send = async (lines: string[]): Promise<void> => {
      const body = lines.map((l) => `{"create":{}}\n${l}\n`).join('');
      const r = await fetch(`${ing.url}/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
      assert.equal(r.status, 200);
      const total = (await theBus.streamCounts(CLUSTER.eventStream)).messages;
      const processed = (): number => nodes.flatMap((n) => n.snapshots()).filter((s) => s.stage !== 2).reduce((a, s) => a + s.processed, 0);
      await waitFor(() => processed() === total && nodes.every((n) => n.held() === 0), 20_000, `${total} events processed`);
      await sleep(600); // alerts published and sunk
    };
    const fileShare = (): number => ing.alerts.list({ rule: [FILE_SHARE_RULE_ID], limit: 1000 }).total;
    const setEnabled = async (enabled: boolean): Promise<Response> =>
      fetch(`${ing.url}/api/rules/${FILE_SHARE_RULE_ID}/enabled`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ enabled }) });

    // Day 1, rule on: the held-back process starts complete the attacks (the split itself alerts).
    const d1 = day('2026-03-02T08:00:00.000000Z');
    await send(d1.now);
    assert.equal(fileShare(), 0, 'half an attack raises nothing');
    await send(d1.later);
    await waitFor(() => fileShare() === d1.planted, 10_000, 'day-1 alerts');
    // Intel: the detectors enriched the alert before publishing it (what the alert stream carries).
    await waitFor(() => onStream.some((a) => a.ruleId === FILE_SHARE_RULE_ID), 5000, 'alerts on the stream');
    const ps = onStream.find((a) => a.ruleId === FILE_SHARE_RULE_ID && /psexesvc/i.test(a.filePath ?? ''))!;
    assert.equal(ps.intel?.matches[0]?.hash, SHA);
    assert.equal(ps.intel?.matches[0]?.feed, 'feed.txt');
    const other = onStream.find((a) => a.ruleId === FILE_SHARE_RULE_ID && !/psexesvc/i.test(a.filePath ?? ''));
    assert.equal(other?.intel, undefined);

    // Bad requests: 400 and 404, the node stays up.
    assert.equal((await fetch(`${ing.url}/api/rules/${FILE_SHARE_RULE_ID}/enabled`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: '{"enabled":"no"}' })).status, 400);
    assert.equal((await fetch(`${ing.url}/api/rules/no-such-rule/enabled`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: '{"enabled":false}' })).status, 404);
    assert.equal((await fetch(`${ing.url}/api/rules/${FILE_SHARE_RULE_ID}/enabled`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{"enabled":false}' })).status, 403);

    // Day 2: half of each attack while on, then off → on, then the other half: the state was dropped.
    const d2 = day('2026-03-03T08:00:00.000000Z');
    await send(d2.now);
    const off = await setEnabled(false);
    assert.equal(off.status, 200);
    assert.equal(((await off.json()) as { enabled: boolean }).enabled, false);
    await waitFor(() => nodes.every((n) => n.control().disabled.includes(FILE_SHARE_RULE_ID) && !n.control().rulesRunning.includes(FILE_SHARE_RULE_ID)), 10_000, 'rule off on every node');
    const listed = (await (await fetch(`${ing.url}/api/rules`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { rules: { id: string; enabled: boolean }[] };
    assert.equal(listed.rules.find((r) => r.id === FILE_SHARE_RULE_ID)?.enabled, false);
    assert.ok(listed.rules.length >= 2 && listed.rules.filter((r) => r.enabled).length === listed.rules.length - 1);

    // Day 3 while off: whole attacks raise nothing.
    const d3 = day('2026-03-04T08:00:00.000000Z');
    await send([...d3.now, ...d3.later]);
    assert.equal(fileShare(), d1.planted, 'a rule switched off raises nothing');

    assert.equal((await setEnabled(true)).status, 200);
    await waitFor(() => nodes.every((n) => n.control().rulesRunning.includes(FILE_SHARE_RULE_ID)), 10_000, 'rule on again on every node');
    await send(d2.later);
    assert.equal(fileShare(), d1.planted, 'state from before the switch-off is gone');

    // Day 4, on again: alerts again.
    const d4 = day('2026-03-05T08:00:00.000000Z');
    await send([...d4.now, ...d4.later]);
    await waitFor(() => fileShare() === d1.planted + d4.planted, 10_000, 'day-4 alerts');
  } finally {
    reader?.stop();
    await bus?.close();
    for (const n of nodes) await n.close();
    await ingest?.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
