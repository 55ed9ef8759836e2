/**
 * spoor on a 3-server NATS cluster (not part of npm test; .ci/run runs it):
 *
 *   node dist/test/cluster/nats-cluster-long.js [--events 20000]
 *
 * Starts three nats-servers on loopback with cluster routes and JetStream (the configuration of
 * docs/scale-out.md "NATS configuration"), an ingest node and two detector nodes connected to all
 * three URLs with `--nats-replicas 3` semantics (streams and KV buckets with 3 replicas). Sends
 * half the demo events (with planted file-share attacks), SIGKILLs the nats-server that leads the
 * event stream, sends the rest, and checks: every event acknowledged (shipper retries allowed),
 * every planted attack alerted exactly once, and every partition's snapshot accounts for its
 * messages. Exit 0 on success, 1 on a failed check, 2 on a setup error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER, snapshotKey, partitionOfSubject } from '../../src/cluster/subjects.js';
import { natsServerBinary, startNatsCluster, type NatsCluster } from './nats-server.js';
import { Bus } from '../../src/cluster/nats.js';
import { startIngestNode } from '../../src/cluster/ingest.js';
import { startDetectNode, type DetectNode } from '../../src/cluster/node.js';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { openDb } from '../../src/serve/store/db.js';
import type { PartitionSnapshot } from '../../src/cluster/worker.js';

const log = (m: string): void => void process.stderr.write(`[nats-cluster ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The check's own JetStream API calls, retried for up to 60 s: right after the SIGKILL the killed
 * server may have led the meta group or the KV bucket's stream too, and an API request can time out
 * while those re-elect (seen once in CI: `TIMEOUT` from the check's stream info). What is checked
 * — every event acknowledged and processed — is unchanged; only the probe waits.
 */
async function probeRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      log(`${what}: ${(e as Error).message} (attempt ${attempt}); retrying`);
      await sleep(1000);
    }
  }
}
const argN = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`usage: node dist/test/cluster/nats-cluster-long.js [--events N] [--settle-s S] [--verbose]

spoor on a 3-server NATS cluster (own nats-servers on loopback, streams and buckets R3): an
ingest node and two detector nodes; half of N demo events (default 20000), SIGKILL of the
server leading SPOOR_EVENTS, the other half. Checks every event stored once, every planted
file-share attack alerted once, and every partition's snapshot accounting for all its messages
within --settle-s seconds (default 120) of the last acknowledgement. --verbose: node logs.
Exit codes: 0 passed, 1 a check failed (printed), 2 setup error.
`);
  process.exit(0);
}

async function main(): Promise<number> {
  const bin = natsServerBinary();
  if (!bin) {
    log('nats-server not installed');
    return 2;
  }
  const EVENTS = argN('events', 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'spoor-nats-cluster-run-'));
  let cluster: NatsCluster | null = null;
  const nodes: DetectNode[] = [];
  let ingest: Awaited<ReturnType<typeof startIngestNode>> | null = null;
  const failures: string[] = [];
  try {
    cluster = await startNatsCluster(3);
    const servers = cluster.servers;
    const url = cluster.url;
    // JetStream needs a meta leader before streams can be created: retry.
    const t0 = Date.now();
    for (;;) {
      try {
        const bus = await Bus.connect(url, 'cluster-setup');
        try {
          await bus.ensureStreams(3);
        } finally {
          await bus.close();
        }
        break;
      } catch (e) {
        if (Date.now() - t0 > 60_000) throw e;
        await sleep(500);
      }
    }
    log(`3 servers up, streams created with 3 replicas in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const rules = (await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false })).rules;
    ingest = await startIngestNode({ natsUrl: url, replicas: 3, dataDir: join(dir, 'ingest'), port: 0, host: '127.0.0.1', onLog: () => undefined });
    const token = ingest.createdTokens.find((t) => t.scope === 'ingest')!.token;
    const verbose = process.argv.includes('--verbose');
    for (const id of ['d1', 'd2']) nodes.push(await startDetectNode({ natsUrl: url, nodeId: id, rules, replicas: 3, leaseTtlMs: 5000, allowedLatenessMs: 1000, onLog: (l) => verbose && log(`${id}: ${l}`) }));
    const g = generateEvents({ events: EVENTS, hosts: 50, seed: 11 });
    const lines = [...g.lines];
    const planted = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
    let retries = 0;
    const send = async (part: string[]): Promise<void> => {
      for (let i = 0; i < part.length; i += 500) {
        const body = part
          .slice(i, i + 500)
          .map((l) => `{"create":{}}\n${l}\n`)
          .join('');
        for (;;) {
          try {
            const r = await fetch(`${ingest!.url}/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
            const j = (await r.json()) as { errors?: boolean };
            if (r.status === 200 && !j.errors) break;
          } catch {
            /* retried */
          }
          retries++;
          await sleep(500);
        }
      }
    };
    const half = Math.floor(lines.length / 2);
    await send(lines.slice(0, half));
    // Kill the server that leads the event stream (its RAFT group elects a new leader).
    const probe = await Bus.connect(url, 'cluster-probe');
    const leader = (await probe.nc.jetstreamManager().then((m) => m.streams.info(CLUSTER.eventStream))).cluster?.leader ?? 'nats-1';
    await probe.close();
    const victim = servers.find((s) => s.name === leader) ?? servers[0]!;
    const killedAt = Date.now();
    victim.kill();
    log(`${half} events sent; SIGKILL ${victim.name} (stream leader)`);
    await send(lines.slice(half));
    log(`all ${lines.length} events acknowledged (${retries} retried batches, ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill)`);
    const bus = await probeRetry('connect', () => Bus.connect(url, 'cluster-check'));
    const counts = await probeRetry('stream counts', () => bus.streamCounts(CLUSTER.eventStream, `${CLUSTER.eventPrefix}.>`));
    if (counts.messages !== lines.length) failures.push(`stream holds ${counts.messages}, sent ${lines.length}`);
    const per = new Map<number, number>();
    for (const [subj, n] of Object.entries(counts.subjects)) per.set(partitionOfSubject(subj), (per.get(partitionOfSubject(subj)) ?? 0) + n);
    const snaps = await probeRetry('snapshot bucket', () => bus.kv(CLUSTER.snapshotBucket, undefined, 3));
    const until = Date.now() + argN('settle-s', 120) * 1000;
    let sum = 0;
    for (;;) {
      sum = 0;
      let behind = 0;
      for (let p = 0; p < CLUSTER.partitions; p++) {
        const e = await probeRetry(`snapshot ${p}`, () => snaps.get(snapshotKey(p)));
        const n = e ? (JSON.parse(e.value) as PartitionSnapshot).processed : 0;
        sum += n;
        if (n !== (per.get(p) ?? 0)) {
          behind++;
          if (Date.now() > until) log(`partition ${p}: ${n} of ${per.get(p) ?? 0} processed`);
        }
      }
      if (behind === 0) {
        log(`every partition caught up ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
        break;
      }
      if (Date.now() > until) {
        failures.push(`accounting: ${sum} of ${counts.messages} processed, ${behind} partitions behind`);
        break;
      }
      await sleep(1000);
    }
    await bus.close();
    const alertsOf = (): { rule_id: string; doc: string }[] => {
      const db = openDb(join(dir, 'ingest', 'spoor.db'));
      try {
        return db.prepare('SELECT rule_id, doc FROM alerts').all() as { rule_id: string; doc: string }[];
      } finally {
        db.close();
      }
    };
    const deadline = Date.now() + 60_000;
    let fs = alertsOf().filter((r) => r.rule_id === FILE_SHARE_RULE_ID);
    while (fs.length < planted.length && Date.now() < deadline) {
      await sleep(500);
      fs = alertsOf().filter((r) => r.rule_id === FILE_SHARE_RULE_ID);
    }
    await sleep(2000);
    fs = alertsOf().filter((r) => r.rule_id === FILE_SHARE_RULE_ID);
    if (fs.length !== planted.length) failures.push(`file-share alerts ${fs.length}, planted ${planted.length}`);
    for (const pl of planted) {
      const n = fs.filter((r) => r.doc.includes(JSON.stringify(pl.path).slice(1, -1)) && r.doc.includes(pl.host)).length;
      if (n !== 1) failures.push(`planted ${pl.host} ${pl.path}: ${n} alerts`);
    }
    log(`processed ${sum}/${counts.messages} events; ${fs.length} file-share alerts (planted ${planted.length})`);
  } catch (e) {
    log(`setup error: ${(e as Error).stack ?? String(e)}`);
    return 2;
  } finally {
    // A node stuck on a stalled NATS must not hang the script: bounded waits.
    const bounded = (p: Promise<unknown>): Promise<unknown> => Promise.race([p.catch(() => undefined), sleep(10_000)]);
    for (const n of nodes) await bounded(n.close());
    if (ingest) await bounded(ingest.close());
    if (cluster) await bounded(cluster.stop());
    rmSync(dir, { recursive: true, force: true });
  }
  for (const f of failures) log(`FAIL: ${f}`);
  if (failures.length === 0) log('PASS');
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (c) => process.exit(c),
  (e: Error) => {
    log(`setup error: ${e.stack ?? e.message}`);
    process.exit(2);
  },
);
