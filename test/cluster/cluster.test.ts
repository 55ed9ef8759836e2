/**
 * cluster/: a real nats-server per test file (loopback, temp JetStream store). Partition mapping
 * determinism (our FNV-1a prediction == where the server's `partition()` mapping put each host),
 * ingest dedupe (Nats-Msg-Id), lease fencing (a stalled node stops before a peer takes over: no
 * partition processed by two nodes at once), snapshot/restore and failover with alerts exactly once.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { Bus } from '../../src/cluster/nats.js';
import { Lease } from '../../src/cluster/lease.js';
import { CLUSTER, hostToken, ingestSubject, partitionOf, partitionOfSubject } from '../../src/cluster/subjects.js';
import { startIngestNode, type IngestNode } from '../../src/cluster/ingest.js';
import { startDetectNode, preferredOwner, type DetectNode } from '../../src/cluster/node.js';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { openDb } from '../../src/serve/store/db.js';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import { splitStages } from '../../src/cluster/stages.js';
import type { PartitionSnapshot } from '../../src/cluster/worker.js';
import { CORR_SIGMA, ORDERED_SIGMA, ORDERED_ID, SPRAY_ID, USERS_ID, failedLogon, logon } from './corr-fixtures.js';
import { sleep, waitFor } from '../helpers/wait.js';

let nats: NatsServer;
before(async () => {
  nats = await startNatsServer();
});
after(async () => {
  await nats.stop();
});


function bulkBody(lines: string[]): string {
  return lines.map((l) => `{"create":{"_index":"logs-endpoint"}}\n${l}\n`).join('');
}

async function post(url: string, token: string, body: string): Promise<{ status: number; json: { errors: boolean; items: Record<string, { status: number }>[] } }> {
  const r = await fetch(`${url}/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
  return { status: r.status, json: (await r.json()) as { errors: boolean; items: Record<string, { status: number }>[] } };
}

test('host → partition: the server mapping agrees with partitionOf, every time', async () => {
  const bus = await Bus.connect(nats.url, 't-map');
  try {
    await bus.ensureStreams();
    const hosts = ['WKS-001', 'wks-001', 'dc01.corp.example', 'host with space', 'a*b>c', '', 'ünïcode-HOST'];
    for (let i = 0; i < 60; i++) hosts.push(`ws-${i}`);
    const msgs = [];
    for (let round = 0; round < 2; round++) for (const h of hosts) msgs.push({ subject: ingestSubject(h), data: `{"r":${round}}`, msgId: `map-${round}-${h}` });
    await bus.publish(msgs);
    const counts = await bus.streamCounts(CLUSTER.eventStream, `${CLUSTER.eventPrefix}.>`);
    const seen = new Map<string, Set<number>>();
    for (const subj of Object.keys(counts.subjects)) {
      const parts = subj.split('.');
      const tok = parts.slice(2, -1).join('.');
      const p = partitionOfSubject(subj);
      if (!seen.has(tok)) seen.set(tok, new Set());
      seen.get(tok)!.add(p);
      assert.equal(p, partitionOf(tok), `server put ${tok} in ${p}`);
    }
    for (const h of hosts) {
      const set = seen.get(hostToken(h));
      assert.ok(set, `host ${JSON.stringify(h)} published`);
      assert.equal(set.size, 1, `host ${h} in one partition`);
    }
    assert.equal(hostToken('WKS-001'), hostToken('wks-001'));
    const spread = new Set(hosts.map((h) => partitionOf(hostToken(h))));
    assert.ok(spread.size > 20, `hosts spread over partitions (${spread.size})`);
  } finally {
    await bus.close();
  }
});

test('lease: create/update compare-and-set; a stale holder cannot renew; fencing stops before a peer can take over', async () => {
  const bus = await Bus.connect(nats.url, 't-lease');
  try {
    const kv = await bus.kv('t-leases', 1500);
    const a = new Lease(kv, 'p1', 'A', 1500);
    const b = new Lease(kv, 'p1', 'B', 1500);
    assert.equal(await a.acquire(), true);
    assert.equal(await b.acquire(), false, 'held: B cannot create');
    assert.equal(await a.renew(), true);
    assert.ok(a.valid());
    // A stalls (no renewals). B polls; record when A stops being valid and when B gets it.
    let aInvalidAt = 0;
    let bAt = 0;
    while (!bAt) {
      if (!aInvalidAt && !a.valid()) aInvalidAt = Date.now();
      if (await b.acquire()) bAt = Date.now();
      else await sleep(20);
    }
    if (!aInvalidAt && !a.valid()) aInvalidAt = Date.now();
    assert.ok(aInvalidAt > 0 && aInvalidAt <= bAt, `A invalid (${aInvalidAt}) before B acquired (${bAt})`);
    assert.equal(await a.renew(), false, 'stale CAS renewal fails');
    assert.equal(a.valid(), false);
    assert.ok(bAt - aInvalidAt < 3000, 'takeover within the TTL');
    // Release by B frees it at once.
    await b.release();
    assert.equal(await a.acquire(), true);
  } finally {
    await bus.close();
  }
});

test('ingest → detect → alert sink; retried batches dedupe; stalled node fenced; failover replays from snapshot with every alert once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-cluster-'));
  const nodes: DetectNode[] = [];
  let ingest: IngestNode | null = null;
  try {
    const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
    assert.ok(loaded.rules.some((r) => r.id === FILE_SHARE_RULE_ID), 'seed rule loaded');
    ingest = await startIngestNode({ natsUrl: nats.url, dataDir: dir, port: 0, host: '127.0.0.1', onLog: () => undefined });
    const token = ingest.createdTokens.find((t) => t.scope === 'ingest')!.token;
    // Processing log: (partition, seq, node, wall time) for the fencing and accounting checks.
    const taken: { p: number; seq: number; node: string; at: number; replay: boolean }[] = [];
    const hooks = { onEvent: (p: number, seq: number, node: string, replay: boolean) => void taken.push({ p, seq, node, at: Date.now(), replay }) };
    const ttl = 1500;
    const start = async (id: string): Promise<DetectNode> => {
      const n = await startDetectNode({ natsUrl: nats.url, nodeId: id, rules: loaded.rules, leaseTtlMs: ttl, snapshotIntervalMs: 200, allowedLatenessMs: 300, hooks });
      nodes.push(n);
      return n;
    };
    const a = await start('A');
    const b = await start('B');
    await waitFor(() => a.owned().length + b.owned().length === CLUSTER.partitions, 8000, 'all partitions owned');

    const g = generateEvents({ events: 6000, hosts: 16, seed: 5 });
    const lines = [...g.lines];
    const planted = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
    assert.ok(planted.length >= 1);
    const half = Math.floor(lines.length / 2);
    for (let i = 0; i < half; i += 500) {
      const r = await post(ingest.url, token, bulkBody(lines.slice(i, Math.min(i + 500, half))));
      assert.equal(r.status, 200);
      assert.equal(r.json.errors, false);
    }
    // A shipper retry of an acknowledged batch: stored once.
    const before = ingest.counters.published;
    const retry = await post(ingest.url, token, bulkBody(lines.slice(0, 500)));
    assert.equal(retry.status, 200);
    assert.equal(ingest.counters.published, before, 'retry published nothing new');
    assert.equal(ingest.counters.duplicates, 500);

    // B stalls: stops renewing. Its workers must stop; A takes over after the TTL.
    const bOwned = b.owned();
    assert.ok(bOwned.length > 0);
    b.suspendRenewals(true);
    const stalledAt = Date.now();
    await waitFor(() => a.owned().length === CLUSTER.partitions, 15_000, 'A owns everything');
    const failoverMs = Date.now() - stalledAt;
    for (let i = half; i < lines.length; i += 500) {
      const r = await post(ingest.url, token, bulkBody(lines.slice(i, Math.min(i + 500, lines.length))));
      assert.equal(r.status, 200);
    }
    // B comes back: rebalance moves about half back (snapshot → release → take over).
    b.suspendRenewals(false);
    await waitFor(() => b.owned().length > 0 && a.owned().length + b.owned().length === CLUSTER.partitions, 15_000, 'rebalanced');
    const probe = await Bus.connect(nats.url, 't-probe');
    const total = (await probe.streamCounts(CLUSTER.eventStream)).lastSeq;
    await probe.close();
    assert.ok(total >= lines.length);
    const sink = ingest.sink!;
    await waitFor(() => sink.stats.stored >= planted.length, 15_000, 'planted alerts stored');
    // Sequence accounting: every stream message processed (not as replay) exactly once overall.
    await waitFor(() => new Set(taken.filter((t) => !t.replay).map((t) => t.seq)).size === total, 15_000, 'every event processed').catch((e: Error) => {
      const got = new Set(taken.filter((t) => !t.replay).map((t) => t.seq));
      const missing: number[] = [];
      for (let s = 1; s <= total && missing.length < 10; s++) if (!got.has(s)) missing.push(s);
      throw new Error(`${e.message}: ${got.size}/${total}, missing e.g. ${missing.join(',')}; owned A ${a.owned().length} B ${b.owned().length}`);
    });
    const firsts = taken.filter((t) => !t.replay);
    const bySeq = new Map<number, number>();
    for (const t of firsts) bySeq.set(t.seq, (bySeq.get(t.seq) ?? 0) + 1);
    // A stalled-then-fenced node may have processed events past its last snapshot; the new owner
    // processes them again as new (at-least-once, deduped alert ids): never skipped.
    for (let s = 1; s <= total; s++) assert.ok(bySeq.has(s), `seq ${s} processed`);

    // Fencing: per partition, the processing intervals of different nodes never overlap.
    const byPart = new Map<number, typeof taken>();
    for (const t of taken) {
      if (!byPart.has(t.p)) byPart.set(t.p, []);
      byPart.get(t.p)!.push(t);
    }
    for (const [p, list] of byPart) {
      // Split into runs of the same node in time order; runs must not interleave.
      list.sort((x, y) => x.at - y.at);
      const runs: { node: string; from: number; to: number }[] = [];
      for (const t of list) {
        const last = runs[runs.length - 1];
        if (last && last.node === t.node) last.to = t.at;
        else runs.push({ node: t.node, from: t.at, to: t.at });
      }
      const seenNodes = new Set<string>();
      for (const r of runs) {
        assert.ok(!seenNodes.has(r.node) || runs.filter((x) => x.node === r.node).length <= 3, `partition ${p}: node ${r.node} ran at most a few stints`);
        seenNodes.add(r.node);
      }
      for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.from >= runs[i - 1]!.to, `partition ${p}: ${runs[i]!.node} started before ${runs[i - 1]!.node} stopped`);
    }
    // Alerts: each planted attack exactly once in the store, no duplicates.
    await sleep(500);
    const db = openDb(join(dir, 'spoor.db'));
    const rows = db.prepare('SELECT id, rule_id, host, doc FROM alerts').all() as { id: string; rule_id: string; host: string; doc: string }[];
    db.close();
    const fs = rows.filter((r) => r.rule_id === FILE_SHARE_RULE_ID);
    assert.equal(fs.length, planted.length, `file-share alerts ${fs.length} vs planted ${planted.length}`);
    for (const pl of planted) assert.equal(fs.filter((r) => r.doc.includes(JSON.stringify(pl.path).slice(1, -1))).length, 1, `planted ${pl.path} alerted once`);
    assert.equal(sink.stats.stored, rows.length);
    assert.ok(failoverMs < 15_000, `failover ${failoverMs} ms`);
  } finally {
    for (const n of nodes) await n.close().catch(() => undefined);
    await ingest?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rendezvous ownership: a join moves only a share of partitions', () => {
  const two = ['a', 'b'];
  const three = ['a', 'b', 'c'];
  let moved = 0;
  for (let p = 0; p < 64; p++) {
    const x = preferredOwner(p, two);
    const y = preferredOwner(p, three);
    if (x !== y) {
      moved++;
      assert.equal(y, 'c', 'only moves to the new node');
    }
  }
  assert.ok(moved > 10 && moved < 35, `moved ${moved}`);
});

test('stages: correlations grouped by host run per host partition, others in stage 2; non-event base rules are refused with a reason', async () => {
  const { splitStages, ruleStage } = await import('../../src/cluster/stages.js');
  const base = { id: 'b', query: { kind: 'event', category: 'any', condition: { kind: 'literal', value: true }, pipes: [] } };
  const field = (p: string): { kind: 'field'; path: string[] } => ({ kind: 'field', path: p.split('.') });
  const mk = (id: string, by: string[]): import('../../src/ir/types.js').Rule =>
    ({ id, name: id, severity: 'high', source: 't', query: { kind: 'correlation', type: 'event_count', rules: [base], groupBy: [by.map(field)], timespanNs: 60e9 } }) as unknown as import('../../src/ir/types.js').Rule;
  const byHost = mk('by-host', ['host.name', 'user.name']);
  const byIp = mk('by-ip', ['source.ip']);
  assert.equal(ruleStage(byHost), 1);
  assert.equal(ruleStage(byIp), 2);
  const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
  const seqBase = { id: 'sb', query: { kind: 'sequence', by: [], stages: [], pipes: [] } };
  const bySeq = { ...mk('by-seq', ['source.ip']), query: { ...(mk('x', ['source.ip']).query as object), rules: [seqBase] } } as unknown as import('../../src/ir/types.js').Rule;
  const s = splitStages([...loaded.rules, byHost, byIp, bySeq]);
  assert.deepEqual(s.stage2.map((x) => x.id), ['by-ip']);
  assert.deepEqual(s.refused.map((x) => x.rule.id), ['by-seq']);
  assert.match(s.refused[0]!.reason, /base rule sb is not a single-event rule/);
  assert.equal(s.stage1.length, loaded.rules.length + 1);
});

test('stage 2: a cross-host event_count (4 events on A\'s hosts + 6 on B\'s = 10) and a value_count alert exactly once, across a hand-over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-cluster-corr-'));
  const nodes: DetectNode[] = [];
  let ingest: IngestNode | null = null;
  try {
    const loaded = loadSigmaText(CORR_SIGMA, 'cross-host.yml');
    assert.deepEqual(loaded.problems, []);
    const st = splitStages(loaded.rules);
    assert.deepEqual(st.stage2.map((r) => r.id).sort(), [SPRAY_ID, USERS_ID].sort());
    assert.deepEqual(st.refused, []);
    ingest = await startIngestNode({ natsUrl: nats.url, dataDir: dir, port: 0, host: '127.0.0.1', onLog: () => undefined });
    const token = ingest.createdTokens.find((t) => t.scope === 'ingest')!.token;
    const forwardedFor = new Map<number, string>();
    const start = async (id: string): Promise<DetectNode> => {
      const n = await startDetectNode({
        natsUrl: nats.url,
        nodeId: `corr-${id}`,
        rules: st.stage1,
        corrRules: st.stage2,
        leaseTtlMs: 1500,
        snapshotIntervalMs: 200,
        allowedLatenessMs: 300,
        hooks: { onEvent: (p, seq, node, _replay, stage) => void (stage === 2 && forwardedFor.set(seq, node)) },
      });
      nodes.push(n);
      return n;
    };
    const a = await start('A');
    const b = await start('B');
    const P = CLUSTER.partitions;
    const shared = (): boolean => a.owned().length > 0 && b.owned().length > 0 && a.ownedGroups().length > 0 && b.ownedGroups().length > 0;
    await waitFor(() => shared() && a.owned().length + b.owned().length === P && a.ownedGroups().length + b.ownedGroups().length === P, 10_000, 'all partitions of both stages owned, shared by A and B');
    // Hosts whose partitions A owns, and hosts B owns.
    const onA: string[] = [];
    const onB: string[] = [];
    for (let i = 0; onA.length < 2 || onB.length < 3; i++) {
      const h = `SRV-${i}`;
      const p = partitionOf(hostToken(h));
      if (a.owned().includes(p) && onA.length < 2) onA.push(h);
      else if (b.owned().includes(p) && onB.length < 3) onB.push(h);
    }
    const t0 = Date.parse('2026-03-02T09:00:00Z');
    const at = (i: number): number => t0 + i * 5000;
    const spray = '10.66.0.1';
    const near = '10.66.0.2';
    const sweep = '10.66.0.3';
    const few = '10.66.0.4';
    // Spray: 4 on A's hosts, 6 on B's. Near miss: 4 + 5 = 9. Sweep: 5 users over both nodes' hosts; few: 4 users in 8 events.
    const first = [
      ...[0, 1, 2, 3].map((i) => failedLogon(onA[i % 2]!, at(i), spray, 'administrator')),
      ...[4, 5].map((i) => failedLogon(onB[i % 3]!, at(i), spray, 'administrator')),
      ...[0, 1, 2, 3].map((i) => failedLogon(onA[i % 2]!, at(i), near, 'administrator')),
      ...[4, 5, 6, 7, 8].map((i) => failedLogon(onB[i % 3]!, at(i), near, 'administrator')),
      ...['alice', 'bob'].map((u, i) => failedLogon(onA[i]!, at(i), sweep, u)),
      ...['alice', 'bob', 'carol', 'dave', 'alice', 'bob', 'carol', 'dave'].map((u, i) => failedLogon(i % 2 ? onA[0]! : onB[0]!, at(i), few, u)),
    ];
    const second = [
      ...[6, 7, 8, 9].map((i) => failedLogon(onB[i % 3]!, at(i), spray, 'administrator')),
      ...['carol', 'dave', 'erin'].map((u, i) => failedLogon(onB[i]!, at(i + 3), sweep, u)),
    ];
    const r1 = await post(ingest.url, token, bulkBody(first));
    assert.equal(r1.status, 200);
    assert.equal(r1.json.errors, false);
    await waitFor(async () => (await streamMessages(CLUSTER.corrStream)) >= first.length, 10_000, 'first batch forwarded to stage 2');
    // Hand-over mid-window: A leaves (snapshot → release); B takes over A's host and group partitions.
    await a.close();
    await waitFor(() => b.owned().length === P && b.ownedGroups().length === P, 10_000, 'B owns everything');
    const r2 = await post(ingest.url, token, bulkBody(second));
    assert.equal(r2.status, 200);
    // A shipper retry of the first batch: stored once, forwarded once.
    await post(ingest.url, token, bulkBody(first));
    const want = (rows: { rule_id: string }[]): boolean => rows.filter((r) => r.rule_id === SPRAY_ID).length >= 1 && rows.filter((r) => r.rule_id === USERS_ID).length >= 1;
    await waitFor(() => want(alertRows(dir)), 15_000, 'both correlation alerts');
    await sleep(1500); // time for a duplicate to show up
    const rows = alertRows(dir);
    const sprays = rows.filter((r) => r.rule_id === SPRAY_ID);
    const sweeps = rows.filter((r) => r.rule_id === USERS_ID);
    assert.equal(sprays.length, 1, `event_count alerts: ${sprays.length}`);
    assert.equal(sweeps.length, 1, `value_count alerts: ${sweeps.length}`);
    const sprayDoc = JSON.parse(sprays[0]!.doc) as { events: { event: Record<string, unknown> }[] };
    assert.equal(sprayDoc.events.length, 10);
    assert.ok(sprays[0]!.doc.includes(spray) && !sprays[0]!.doc.includes(near));
    const hostsIn = new Set(sprayDoc.events.map((e) => JSON.stringify((e.event.host as { name?: string } | undefined)?.name ?? '')));
    assert.ok(hostsIn.size >= 4, `spray alert spans hosts of both nodes (${[...hostsIn].join(',')})`);
    assert.ok(sweeps[0]!.doc.includes(sweep) && !sweeps[0]!.doc.includes(few));
    assert.equal(rows.length, 2, `no other alerts: ${rows.map((r) => r.rule_id).join(',')}`);
    // Stage-2 accounting: every forwarded message processed once; the retry forwarded nothing new.
    const forwards = 2 * (first.length + second.length); // one per correlation whose base rule matched
    // Under load the forwards of groups that raise nothing (near miss, few) may still be in flight,
    // and the partition snapshots holding `processed` are written at intervals: wait for both to
    // settle (a count above `forwards` fails at once; one that never gets there times out).
    const settled = async (what: string, read: () => Promise<number>): Promise<void> => {
      await waitFor(async () => {
        const n = await read();
        assert.ok(n <= forwards, `${what}: ${n} > ${forwards}`);
        return n === forwards;
      }, 15_000, `${what} = ${forwards}`);
    };
    await settled('forwards on the stage-2 stream (one per matching event and correlation)', () => streamMessages(CLUSTER.corrStream));
    const probe = await Bus.connect(nats.url, 't-corr-snaps');
    const snaps = await probe.kv(CLUSTER.snapshotBucket);
    try {
      await settled('forwards processed by the group partitions (each once)', async () => {
        let processed = 0;
        for (let p = 0; p < P; p++) {
          const e = await snaps.get(`c${p}`);
          if (e) processed += (JSON.parse(e.value) as PartitionSnapshot).processed;
        }
        return processed;
      });
    } finally {
      await probe.close();
    }
  } finally {
    for (const n of nodes) await n.close().catch(() => undefined);
    await ingest?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('per-host reorder buffer: out-of-order events of a host reach the rules in time order; a late one is counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-cluster-order-'));
  let node: DetectNode | null = null;
  let ingest: IngestNode | null = null;
  try {
    const loaded = loadSigmaText(ORDERED_SIGMA, 'ordered.yml');
    assert.deepEqual(loaded.problems, []);
    const st = splitStages(loaded.rules);
    assert.ok(st.stage1.some((r) => r.id === ORDERED_ID), 'grouped by Computer: stage 1');
    ingest = await startIngestNode({ natsUrl: nats.url, dataDir: dir, port: 0, host: '127.0.0.1', onLog: () => undefined });
    const token = ingest.createdTokens.find((t) => t.scope === 'ingest')!.token;
    node = await startDetectNode({ natsUrl: nats.url, nodeId: 'order-1', rules: st.stage1, corrRules: st.stage2, leaseTtlMs: 1500, snapshotIntervalMs: 200, allowedLatenessMs: 2000 });
    const n = node;
    await waitFor(() => n.owned().length === CLUSTER.partitions, 8000, 'partitions owned');
    const host = 'ORDER-HOST-1';
    const t0 = Date.parse('2026-03-02T10:00:00Z');
    // The success (t0 + 1 s) reaches the stream before the failure (t0): in stream order the
    // ordered correlation could not match; in time order it does.
    const r = await post(ingest.url, token, bulkBody([logon(host, t0 + 1000, '10.7.0.1', 'bob', 4624), logon(host, t0, '10.7.0.1', 'bob', 4625)]));
    assert.equal(r.status, 200);
    await waitFor(() => alertRows(dir).some((x) => x.rule_id === ORDERED_ID), 15_000, 'ordered correlation alert');
    // Both released; an event older than what the host already released is late: evaluated, counted.
    await post(ingest.url, token, bulkBody([logon(host, t0 - 60_000, '10.7.0.1', 'bob', 4625)]));
    const p = partitionOf(hostToken(host));
    await waitFor(() => (n.snapshots().find((s) => s.partition === p && s.stage !== 2)?.late ?? 0) === 1, 10_000, 'late event counted');
    assert.equal(alertRows(dir).filter((x) => x.rule_id === ORDERED_ID).length, 1);
  } finally {
    await node?.close().catch(() => undefined);
    await ingest?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function streamMessages(stream: string): Promise<number> {
  const probe = await Bus.connect(nats.url, 't-count');
  try {
    return (await probe.streamCounts(stream)).messages;
  } finally {
    await probe.close();
  }
}

function alertRows(dir: string): { id: string; rule_id: string; doc: string }[] {
  const db = openDb(join(dir, 'spoor.db'));
  try {
    return db.prepare('SELECT id, rule_id, doc FROM alerts').all() as { id: string; rule_id: string; doc: string }[];
  } finally {
    db.close();
  }
}
