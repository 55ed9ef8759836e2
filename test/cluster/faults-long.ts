/**
 * The long fault suite for the NATS cluster (not part of npm test; .ci/run runs it):
 *
 *   node dist/test/cluster/faults-long.js [--events 1000000] [--senders 4] [--batch 1000] [--seed 7]
 *
 * Starts its own nats-server (loopback, JetStream, temp store, the partition mapping), one ingest
 * process and three detector processes (`spoor serve --role …`). Concurrent senders (each owning
 * a share of the hosts, as one agent per host would; a batch is retried until acknowledged)
 * replay the demo generator's events with planted attacks. At ~30 % acknowledged a detector is
 * killed with SIGKILL; at ~60 % it is restarted; at ~80 % a fourth detector joins.
 * Cross-host correlations (stage 2) are planted too: failed network logons (Winlogbeat 4625)
 * from one source address spread over 12 hosts in different partitions, for two Sigma
 * correlations grouped by that address (corr-fixtures.ts): event_count ≥ 10 and value_count of
 * target users ≥ 5, with near misses (9 events, 4 users) that must not alert. Checks:
 *  - every planted file-share attack alerted exactly once in the alert store (no duplicates);
 *  - every planted cross-host group alerted exactly once, no near miss alerted;
 *  - stage-2 accounting: the group partitions' snapshots processed every forwarded match, and
 *    forwarded − dropped duplicates == 2 × planted logons (one forward per correlation);
 *  - per-partition sequence accounting: the snapshots' `processed` counts sum to exactly the
 *    stream's message count (nothing skipped, nothing counted twice), every partition's snapshot
 *    reached its partition's last sequence, no unreadable event;
 *  - failover: after the SIGKILL, every partition leased by a live node again within 15 s.
 * Exit 0 on success, 1 on a failed check (printed), 2 on a setup error.
 */
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { openDb } from '../../src/serve/store/db.js';
import { Bus } from '../../src/cluster/nats.js';
import { CLUSTER, leaseKey, partitionOf, partitionOfSubject, snapshotKey } from '../../src/cluster/subjects.js';
import { corrToken } from '../../src/cluster/corr.js';
import type { PartitionSnapshot } from '../../src/cluster/worker.js';
import { bulkBody, kill9, spawnServe, type Child } from '../serve/client.js';
import { startNatsServer } from './nats-server.js';
import { plantGroups, writeCorrRules, SPRAY_ID, USERS_ID } from './corr-fixtures.js';
import { maybeOption, numOption } from '../../bench/args.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`usage: node dist/test/cluster/faults-long.js [--events N] [--senders N] [--batch N] [--seed N] [--lease-ttl MS] [--kills N] [--keep DIR]

The cluster fault suite: its own nats-server on loopback, 1 ingest + 3 detector processes,
N events (default 1000000) from concurrent senders with planted file-share attacks and
cross-host correlation groups; SIGKILL of a detector at ~30 %, restart at ~60 %, a fourth
detector at ~80 %. Checks every planted alert exactly once, near misses silent, per-partition
sequence accounting and failover <= 15 s.
--kills N: N SIGKILL/restart cycles of a random detector spread over the run (default 1: the
schedule above); --keep DIR: keep the detectors' logs (traced: every stage-2 message and
decision, every forward, every snapshot) and the per-group report in DIR (default: kept only when
a check fails, in the printed directory).
Defaults: --senders 4 --batch 1000 --seed 7 --lease-ttl 5000 --kills 1.
Exit codes: 0 all checks passed, 1 a check failed (printed), 2 setup error.
`);
  process.exit(0);
}

const EVENTS = numOption('events', 1_000_000);
const SENDERS = numOption('senders', 4);
const BATCH = numOption('batch', 1000);
const SEED = numOption('seed', 7);
const TTL = numOption('lease-ttl', 5000);
const KILLS = numOption('kills', 1);
const KEEP = maybeOption('keep') ?? null;
// Every detector logs its stage-2 decisions, forwards and snapshots (worker.ts onTrace).
process.env.SPOOR_CLUSTER_TRACE = '1';

const log = (m: string): void => void process.stderr.write(`[cluster-faults ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'spoor-cluster-faults-'));
  const logDir = KEEP ?? join(dir, 'logs');
  (await import('node:fs')).mkdirSync(logDir, { recursive: true });
  const detectors = new Map<string, Child>();
  let ingest: Child | null = null;
  const failures: string[] = [];
  try {
    const sigmaDir = writeCorrRules(dir);
    ingest = await spawnServe(join(dir, 'ingest'), ['--role', 'ingest', '--nats', nats.url]);
    const token = ingest.tokens.find((t) => t.scope === 'ingest')!.token;
    const startDetector = async (id: string): Promise<void> => {
      const c = await spawnServe(join(dir, id), ['--role', 'detect', '--nats', nats.url, '--node-id', id, '--lease-ttl', String(TTL), '--sigma', sigmaDir]);
      const file = join(logDir, `${id}.log`);
      appendFileSync(file, `--- ${id} started ${Date.now()}\n`);
      let part = '';
      c.proc.stderr!.on('data', (d: Buffer) => {
        const ls = (part + d.toString()).split('\n');
        part = ls.pop()!;
        const now = Date.now();
        appendFileSync(file, ls.map((l) => `${now} ${l}\n`).join(''));
      });
      detectors.set(id, c);
    };
    for (const id of ['d1', 'd2', 'd3']) await startDetector(id);
    const g = generateEvents({ events: EVENTS, hosts: 200, seed: SEED });
    const planted = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
    const corrHosts = Array.from({ length: 12 }, (_, i) => `CORR-SRV-${String(i).padStart(2, '0')}`);
    const groups = plantGroups(corrHosts, Math.max(1, Math.round(EVENTS / 100_000)), Date.parse('2026-03-02T08:05:00Z'));
    const TOTAL = EVENTS + groups.docs.length;
    log(`${EVENTS} events + ${groups.docs.length} planted 4625s (${groups.sprays.length} sprays, ${groups.userSweeps.length} user sweeps, as many near misses of each), ${planted.length} planted file-share attacks, ${SENDERS} senders; nats ${nats.url}; data in ${dir}`);

    const queues: string[][] = Array.from({ length: SENDERS }, () => []);
    const hostRe = /"host":\{[^}]*?"name":"([^"]+)"/;
    const hostIdRe = /"host":\{"id":"([^"]+)"/;
    for (const line of g.lines) {
      const m = hostIdRe.exec(line) ?? hostRe.exec(line);
      const key = m ? m[1]! : '';
      let h = 0;
      for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
      queues[h % SENDERS]!.push(line);
    }
    // Planted logons: spread through their sender's queue (one host → one sender, kept in order).
    const bySender: string[][] = Array.from({ length: SENDERS }, () => []);
    for (const d of groups.docs) {
      let h = 0;
      const key = d.host;
      for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
      bySender[h % SENDERS]!.push(d.line);
    }
    for (let s = 0; s < SENDERS; s++) {
      const q = queues[s]!;
      const add = bySender[s]!;
      const out: string[] = [];
      let j = 0;
      for (let i = 0; i < q.length; i++) {
        while (j < add.length && j * q.length <= i * add.length) out.push(add[j++]!);
        out.push(q[i]!);
      }
      while (j < add.length) out.push(add[j++]!);
      queues[s] = out;
    }
    let acked = 0;
    let retries = 0;
    const sender = async (q: string[]): Promise<void> => {
      for (let i = 0; i < q.length; i += BATCH) {
        const part = q.slice(i, i + BATCH);
        for (;;) {
          try {
            const r = await fetch(`${ingest!.url}/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: bulkBody(part) });
            const j = (await r.json()) as { errors?: boolean };
            if (r.status === 200 && !j.errors) break;
          } catch {
            /* retried */
          }
          retries++;
          await sleep(200);
        }
        acked += part.length;
      }
    };
    let killedAt = 0;
    let failoverMs = 0;
    const chaos = (async () => {
      const stage = async (frac: number): Promise<void> => {
        while (acked < TOTAL * frac) await sleep(100);
      };
      await stage(0.3);
      log(`SIGKILL d2 at ${acked} acknowledged`);
      await kill9(detectors.get('d2')!);
      killedAt = Date.now();
      // Failover: every partition leased by a live node again (none by d2).
      const probe = await Bus.connect(nats.url, 'faults-failover');
      const leases = await probe.kv(CLUSTER.leaseBucket, TTL);
      for (;;) {
        let ok = 0;
        for (let p = 0; p < CLUSTER.partitions; p++) {
          const e = await leases.get(leaseKey(p));
          if (e && e.value !== 'd2') ok++;
        }
        if (ok === CLUSTER.partitions) break;
        if (Date.now() - killedAt > 60_000) break;
        await sleep(200);
      }
      failoverMs = Date.now() - killedAt;
      await probe.close();
      log(`failover: all partitions leased by live nodes ${(failoverMs / 1000).toFixed(1)} s after the SIGKILL (lease TTL ${TTL / 1000} s)`);
      if (failoverMs > 15_000) failures.push(`failover took ${failoverMs} ms (> 15 s)`);
      await stage(0.6);
      log(`restart d2 at ${acked}`);
      await startDetector('d2');
      await stage(0.8);
      log(`add d4 at ${acked}`);
      await startDetector('d4');
      // --kills N: N − 1 more SIGKILL/restart cycles of a detector between 82 % and 98 %.
      for (let k = 1; k < KILLS; k++) {
        await stage(0.82 + (0.16 * (k - 1)) / Math.max(1, KILLS - 1));
        const ids = [...detectors.keys()];
        const id = ids[(k * 7 + SEED) % ids.length]!;
        log(`SIGKILL ${id} at ${acked} (extra kill ${k})`);
        await kill9(detectors.get(id)!);
        appendFileSync(join(logDir, `${id}.log`), `--- ${id} SIGKILL ${Date.now()}\n`);
        await sleep(TTL * 1.5);
        log(`restart ${id} at ${acked}`);
        await startDetector(id);
      }
    })();
    const t0 = Date.now();
    await Promise.all(queues.map((q) => sender(q)));
    await chaos;
    log(`all ${acked} events acknowledged in ${((Date.now() - t0) / 1000).toFixed(1)} s (${retries} retries); killed at +${killedAt ? ((killedAt - t0) / 1000).toFixed(1) : '-'} s`);

    // Sequence accounting from the snapshots, until converged (or time out).
    const bus = await Bus.connect(nats.url, 'faults-probe');
    const counts = await bus.streamCounts(CLUSTER.eventStream, `${CLUSTER.eventPrefix}.>`);
    const perPartition = new Map<number, number>();
    for (const [subj, n] of Object.entries(counts.subjects)) perPartition.set(partitionOfSubject(subj), (perPartition.get(partitionOfSubject(subj)) ?? 0) + n);
    const snaps = await bus.kv(CLUSTER.snapshotBucket);
    let sum = 0;
    let lastReport = '';
    const until = Date.now() + Math.max(120_000, EVENTS / 2);
    for (;;) {
      sum = 0;
      let unreadable = 0;
      const behind: number[] = [];
      for (let p = 0; p < CLUSTER.partitions; p++) {
        const e = await snaps.get(snapshotKey(p));
        const s = e ? (JSON.parse(e.value) as PartitionSnapshot) : null;
        const processed = s?.processed ?? 0;
        sum += processed;
        unreadable += s?.unreadable ?? 0;
        if (processed !== (perPartition.get(p) ?? 0)) behind.push(p);
      }
      lastReport = `processed ${sum} of ${counts.messages} stream messages; ${behind.length} partitions not yet at their end; unreadable ${unreadable}`;
      if (behind.length === 0) break;
      if (Date.now() > until) {
        failures.push(`sequence accounting did not converge: ${lastReport} (e.g. ${behind.slice(0, 5).join(', ')})`);
        break;
      }
      await sleep(1000);
    }
    log(lastReport);
    if (counts.messages !== TOTAL) failures.push(`stream holds ${counts.messages} messages, expected ${TOTAL} (duplicates or losses at ingest)`);
    if (sum !== counts.messages && failures.length === 0) failures.push(`processed ${sum} ≠ ${counts.messages}`);
    // Stage 2: every forwarded match processed by its group partition; duplicates dropped.
    const corrWant = 2 * groups.docs.length;
    let corrReport = '';
    for (;;) {
      const corr = await bus.streamCounts(CLUSTER.corrStream);
      let processed = 0;
      let dups = 0;
      let late = 0;
      for (let p = 0; p < CLUSTER.partitions; p++) {
        const e = await snaps.get(snapshotKey(p, 2));
        const s = e ? (JSON.parse(e.value) as PartitionSnapshot) : null;
        processed += s?.processed ?? 0;
        dups += s?.duplicates ?? 0;
        late += s?.late ?? 0;
      }
      corrReport = `stage 2: ${corr.messages} forwarded matches (want ${corrWant} + re-forwards), ${processed} processed, ${dups} duplicates dropped, ${late} late`;
      if (processed === corr.messages && processed - dups === corrWant) break;
      if (Date.now() > until) {
        failures.push(`stage-2 accounting did not converge: ${corrReport}`);
        break;
      }
      await sleep(1000);
    }
    log(corrReport);
    await bus.close();

    // Alerts exactly once.
    const want = planted.length;
    const alertsOf = (): { id: string; rule_id: string; doc: string }[] => {
      const db = openDb(join(dir, 'ingest', 'spoor.db'));
      try {
        return db.prepare('SELECT id, rule_id, doc FROM alerts').all() as { id: string; rule_id: string; doc: string }[];
      } finally {
        db.close();
      }
    };
    const alertDeadline = Date.now() + 30_000;
    let rows = alertsOf();
    const short = (): boolean =>
      rows.filter((r) => r.rule_id === FILE_SHARE_RULE_ID).length < want ||
      rows.filter((r) => r.rule_id === SPRAY_ID).length < groups.sprays.length ||
      rows.filter((r) => r.rule_id === USERS_ID).length < groups.userSweeps.length;
    while (short() && Date.now() < alertDeadline) {
      await sleep(500);
      rows = alertsOf();
    }
    await sleep(7000); // longer than the allowed lateness: a late duplicate would show up
    rows = alertsOf();
    const fs = rows.filter((r) => r.rule_id === FILE_SHARE_RULE_ID);
    log(`alerts: ${rows.length} stored, ${fs.length} file-share (planted ${want})`);
    if (fs.length !== want) failures.push(`file-share alerts ${fs.length}, planted ${want}`);
    for (const pl of planted) {
      const n = fs.filter((r) => r.doc.includes(JSON.stringify(pl.path).slice(1, -1)) && r.doc.includes(pl.host)).length;
      if (n !== 1) failures.push(`planted attack ${pl.host} ${pl.path}: ${n} alerts`);
    }
    // Cross-host correlations: each planted group once, no near miss.
    const ofIp = (rule: string, ip: string): number => rows.filter((r) => r.rule_id === rule && r.doc.includes(`"IpAddress":"${ip}"`)).length;
    const check = (rule: string, yes: string[], no: string[], what: string): void => {
      for (const ip of yes) if (ofIp(rule, ip) !== 1) failures.push(`${what} from ${ip}: ${ofIp(rule, ip)} alerts, want 1`);
      for (const ip of no) if (ofIp(rule, ip) !== 0) failures.push(`${what} near miss ${ip}: ${ofIp(rule, ip)} alerts, want 0`);
      const total = rows.filter((r) => r.rule_id === rule).length;
      if (total !== yes.length) failures.push(`${what}: ${total} alerts, want ${yes.length}`);
    };
    // Per-group report from the detectors' traces: where each planted group's forwards went.
    const report = groupReport(logDir, groups, rows);
    writeFileSync(join(logDir, 'groups.txt'), report.text);
    for (const m of report.missed) log(`missed group:\n${m}`);
    check(SPRAY_ID, groups.sprays, groups.nearMisses, 'cross-host event_count');
    check(USERS_ID, groups.userSweeps, groups.userNearMisses, 'cross-host value_count');
    log(`cross-host correlations: ${rows.filter((r) => r.rule_id === SPRAY_ID).length} event_count alerts (planted ${groups.sprays.length}), ${rows.filter((r) => r.rule_id === USERS_ID).length} value_count alerts (planted ${groups.userSweeps.length})`);
  } catch (e) {
    log(`setup error: ${(e as Error).stack ?? String(e)}`);
    return 2;
  } finally {
    for (const c of detectors.values()) await kill9(c).catch(() => undefined);
    if (ingest) await kill9(ingest).catch(() => undefined);
    await nats.stop();
    if (failures.length > 0 && !KEEP) {
      for (const f of readdirSync(dir)) if (f !== 'logs') rmSync(join(dir, f), { recursive: true, force: true });
      log(`logs kept in ${logDir}`);
    } else rmSync(dir, { recursive: true, force: true });
    if (KEEP) log(`logs kept in ${KEEP}`);
  }
  for (const f of failures) log(`FAIL: ${f}`);
  if (failures.length === 0) log('PASS');
  return failures.length === 0 ? 0 : 1;
}

/**
 * For each planted group: its token and group partition, then every trace line about it (stage-1
 * forwards to that partition, stage-2 messages/feeds of its key) and the group partition's
 * ownership changes, in time order across the detectors' logs.
 */
function groupReport(logDir: string, g: ReturnType<typeof plantGroups>, rows: { rule_id: string; doc: string }[]): { text: string; missed: string[] } {
  const lines: { t: number; node: string; line: string }[] = [];
  for (const f of readdirSync(logDir)) {
    if (!f.endsWith('.log')) continue;
    const node = f.slice(0, -4);
    for (const l of readFileSync(join(logDir, f), 'utf8').split('\n')) {
      const m = /^(\d+) (?:.*trace (\d+) )?(.*)$/.exec(l);
      if (m) lines.push({ t: Number(m[2] ?? m[1]), node, line: m[3]! });
      else if (/^--- /.test(l)) lines.push({ t: Number(/(\d+)$/.exec(l)?.[1] ?? 0), node, line: l });
    }
  }
  const sorted = lines.sort((a, b) => a.t - b.t);
  let text = '';
  const missed: string[] = [];
  const kinds: [string, string[], string[]][] = [
    [SPRAY_ID, g.sprays, g.nearMisses],
    [USERS_ID, g.userSweeps, g.userNearMisses],
  ];
  for (const [rule, yes, no] of kinds) {
    for (const ip of [...yes, ...no]) {
      const token = corrToken(rule, [ip]);
      const p = partitionOf(token, CLUSTER.partitions);
      const n = rows.filter((r) => r.rule_id === rule && r.doc.includes(`"IpAddress":"${ip}"`)).length;
      const want = yes.includes(ip) ? 1 : 0;
      const own = new RegExp(`(group partition ${p}:|^c${p} |^--- )`);
      const about = sorted.filter((x) => x.line.includes(token) || x.line.includes(`spoor.corr.${token}.`) || own.test(x.line));
      const sec = `${rule} ${ip} token ${token} partition c${p}: ${n} alerts (want ${want})\n${about.map((x) => `  ${x.t} ${x.node} ${x.line}`).join('\n')}\n`;
      text += sec;
      if (n !== want) missed.push(sec.length > 200_000 ? `${sec.slice(0, 200_000)}…` : sec);
    }
  }
  return { text, missed };
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    log(`setup error: ${e.stack ?? e.message}`);
    process.exit(2);
  },
);
