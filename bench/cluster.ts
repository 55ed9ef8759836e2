/**
 * Cluster benchmark (NATS JetStream, a private nats-server on loopback):
 *
 *   node dist/bench/cluster.js [--events 200000] [--hosts 200] [--split-only]
 *
 * 1. Per-event cost split, in this process, CPU time (user+sys) per event:
 *    publish  — JetStream publish with Nats-Msg-Id, batches of 1000 awaited for their acks (ingest's path);
 *    consume  — Bus.orderedRead (the detector's consume loop) reading the whole stream back, doing
 *               nothing with the messages; beside it the client's ordered consumer (its peer);
 *    decode   — parseStored (serve's document → normalized event), the detector node's decode;
 *    detect   — Detector.push + takeAlerts with the built-in rules;
 *    reorder  — the per-host reorder buffer (serve/reorder.ts) every event passes before detection;
 *    route    — stage-2 routing (cluster/corr.ts): base rules of two cross-host correlations
 *               (test/cluster/corr-fixtures.ts) tested on every event, group key on a match;
 *    floor    — JSON.parse of the same lines (the cheapest possible look at each event).
 * 2. Throughput with 1 and 2 detector processes (`spoor serve --role detect`) draining a stream
 *    pre-filled with the same events (fresh nats-server each time): wall time until the partition
 *    snapshots account for every event, and the detector processes' CPU seconds per event.
 * The nats-server's own CPU is reported too (it shares the 2 cores). Wall rates vary with machine load;
 * the CPU-per-event figures and their ratios to the floor are the stable ones.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents } from '../src/demo/generate.js';
import { Bus } from '../src/cluster/nats.js';
import { CLUSTER, ingestSubject, snapshotKey } from '../src/cluster/subjects.js';
import { eventMsgId } from '../src/cluster/ingest.js';
import type { PartitionSnapshot } from '../src/cluster/worker.js';
import { parseStored, parseDocument } from '../src/serve/ingest-parse.js';
import { Detector } from '../src/hunt/detector.js';
import { loadHuntRules } from '../src/hunt/load-rules.js';
import { startNatsServer, type NatsServer } from '../test/cluster/nats-server.js';
import { ReorderBuffer } from '../src/serve/reorder.js';
import { CorrRouter } from '../src/cluster/corr.js';
import { splitStages } from '../src/cluster/stages.js';
import { loadSigmaText } from '../src/sigma/index.js';
import { CORR_SIGMA } from '../test/cluster/corr-fixtures.js';
import { spawnServe, kill9, type Child } from '../test/serve/client.js';
import { connect as natsConnect, DeliverPolicy } from 'nats';
import { numOption, flag } from './args.js';

const EVENTS = numOption('events', 200_000);
const HOSTS = numOption('hosts', 200);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
/** CPU seconds (utime + stime) of another process from /proc. */
function procCpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

interface Prepared {
  lines: string[];
  hosts: string[];
}

function prepare(): Prepared {
  const g = generateEvents({ events: EVENTS, hosts: HOSTS, seed: 3 });
  const lines = [...g.lines];
  const hosts = lines.map((l) => {
    const p = parseDocument(l);
    return 'error' in p ? '' : (p.events[0]?.host ?? '');
  });
  return { lines, hosts };
}

async function publishAll(bus: Bus, p: Prepared): Promise<{ cpuS: number; wallS: number }> {
  const c0 = cpu();
  const t0 = Date.now();
  for (let i = 0; i < p.lines.length; i += 1000) {
    const items = [];
    for (let j = i; j < Math.min(i + 1000, p.lines.length); j++) items.push({ subject: ingestSubject(p.hosts[j]!), data: p.lines[j]!, msgId: eventMsgId(p.lines[j]!) });
    await bus.publish(items);
  }
  return { cpuS: cpu() - c0, wallS: (Date.now() - t0) / 1000 };
}

async function costSplit(nats: NatsServer, p: Prepared): Promise<Record<string, number>> {
  const n = p.lines.length;
  const out: Record<string, number> = {};
  let c0 = cpu();
  let sink = 0;
  for (const l of p.lines) sink += (JSON.parse(l) as object) ? 1 : 0;
  out.floor_us = ((cpu() - c0) / n) * 1e6;
  const bus = await Bus.connect(nats.url, 'bench');
  await bus.ensureStreams();
  const pub = await publishAll(bus, p);
  out.publish_us = (pub.cpuS / n) * 1e6;
  out.publish_rate = n / pub.wallS;
  c0 = cpu();
  let t0 = Date.now();
  let got = 0;
  const raws: string[] = [];
  const dec = new TextDecoder();
  await new Promise<void>((resolve) => {
    void bus.orderedRead(CLUSTER.eventStream, `${CLUSTER.eventPrefix}.>`, 1, (m) => {
      got++;
      if (raws.length < n) raws.push(dec.decode(m.data));
      if (got >= n) {
        resolve();
        return false;
      }
      return true;
    });
  });
  out.consume_us = ((cpu() - c0) / n) * 1e6;
  out.consume_rate = n / ((Date.now() - t0) / 1000);
  await bus.close();
  // Peer: the client's ordered consumer (what orderedRead used before it had its own loop).
  {
    const nc = await natsConnect({ servers: nats.url });
    const js = nc.jetstream();
    c0 = cpu();
    t0 = Date.now();
    const c = await js.consumers.get(CLUSTER.eventStream, { filterSubjects: `${CLUSTER.eventPrefix}.>`, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
    const msgs = await c.consume({ max_messages: 512 });
    let k = 0;
    for await (const m of msgs) {
      sink += m.data.length > 0 ? 1 : 0;
      if (++k >= n) break;
    }
    out.consume_ordered_us = ((cpu() - c0) / n) * 1e6;
    out.consume_ordered_rate = n / ((Date.now() - t0) / 1000);
    await nc.close();
  }
  c0 = cpu();
  const evs = raws.map((r, i) => parseStored(r, i + 1));
  out.decode_us = ((cpu() - c0) / n) * 1e6;
  const rules = (await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false })).rules;
  const det = new Detector(rules, { contextEvents: 0 });
  c0 = cpu();
  t0 = Date.now();
  for (const ev of evs) {
    if (!ev) continue;
    det.push(ev.se, ev.time ?? { ms: 0, ns: 0 }, false);
    sink += det.takeAlerts().length;
  }
  out.detect_us = ((cpu() - c0) / n) * 1e6;
  const buf = new ReorderBuffer<{ seq: number; host: string; time: { ms: number; ns: number } }>(5000, () => void sink++);
  c0 = cpu();
  for (let i = 0; i < evs.length; i++) {
    const ev = evs[i];
    if (ev) buf.add({ seq: i + 1, host: ev.host, time: ev.time ?? { ms: 0, ns: 0 } }, 0);
  }
  buf.flushIdle(0, true);
  out.reorder_us = ((cpu() - c0) / n) * 1e6;
  const router = new CorrRouter(splitStages(loadSigmaText(CORR_SIGMA, 'corr.yml').rules).stage2);
  c0 = cpu();
  for (let i = 0; i < evs.length; i++) {
    const ev = evs[i];
    if (ev) sink += router.route(ev.se.event, i + 1, ev.raw).length;
  }
  out.route_us = ((cpu() - c0) / n) * 1e6;
  void sink;
  return out;
}

async function throughput(p: Prepared, k: number): Promise<{ wallS: number; detectorCpuUs: number; rate: number }> {
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-cluster-'));
  const kids: Child[] = [];
  try {
    const bus = await Bus.connect(nats.url, 'bench-fill');
    await bus.ensureStreams();
    await publishAll(bus, p);
    const snaps = await bus.kv(CLUSTER.snapshotBucket);
    const t0 = Date.now();
    for (let i = 0; i < k; i++) kids.push(await spawnServe(join(dir, `d${i}`), ['--role', 'detect', '--nats', nats.url, '--node-id', `b${i}`, '--lease-ttl', '4000']));
    for (;;) {
      let sum = 0;
      for (let q = 0; q < CLUSTER.partitions; q++) {
        const e = await snaps.get(snapshotKey(q));
        if (e) sum += (JSON.parse(e.value) as PartitionSnapshot).processed;
      }
      if (sum >= p.lines.length) break;
      await sleep(250);
    }
    const wallS = (Date.now() - t0) / 1000;
    let c = 0;
    for (const kid of kids) c += procCpu(kid.proc.pid!);
    await bus.close();
    return { wallS, detectorCpuUs: (c / p.lines.length) * 1e6, rate: p.lines.length / wallS };
  } finally {
    for (const kid of kids) await kill9(kid).catch(() => undefined);
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const p = prepare();
  process.stderr.write(`bench/cluster: ${p.lines.length} events, ${HOSTS} hosts\n`);
  const nats = await startNatsServer();
  let split: Record<string, number>;
  try {
    split = await costSplit(nats, p);
  } finally {
    await nats.stop();
  }
  const fmt = (x: number): string => x.toFixed(1);
  process.stderr.write(`cost split (CPU µs/event): floor JSON.parse ${fmt(split.floor_us!)}, publish ${fmt(split.publish_us!)} (${Math.round(split.publish_rate!)} ev/s), consume ${fmt(split.consume_us!)} (${Math.round(split.consume_rate!)} ev/s; client's ordered consumer ${fmt(split.consume_ordered_us!)}, ${Math.round(split.consume_ordered_rate!)} ev/s), decode ${fmt(split.decode_us!)}, detect ${fmt(split.detect_us!)}, reorder ${fmt(split.reorder_us!)}, route ${fmt(split.route_us!)}\n`);
  if (flag('split-only')) {
    process.stdout.write(`${JSON.stringify({ events: p.lines.length, split })}\n`);
    return;
  }
  const runs: { k: number; wallS: number; detectorCpuUs: number; rate: number }[] = [];
  for (const k of [1, 2, 1, 2]) {
    const r = await throughput(p, k);
    runs.push({ k, ...r });
    process.stderr.write(`  ${k} detector(s): ${r.wallS.toFixed(1)} s, ${Math.round(r.rate)} ev/s, detector CPU ${fmt(r.detectorCpuUs)} µs/event\n`);
  }
  const med = (k: number, f: (r: (typeof runs)[number]) => number): number => {
    const xs = runs.filter((r) => r.k === k).map(f).sort((a, b) => a - b);
    return xs.length % 2 ? xs[(xs.length - 1) / 2]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2;
  };
  const result = {
    events: p.lines.length,
    split,
    ratios_to_floor: Object.fromEntries(['publish_us', 'consume_us', 'consume_ordered_us', 'decode_us', 'detect_us', 'reorder_us', 'route_us'].map((k) => [k, +(split[k]! / split.floor_us!).toFixed(2)])),
    detectors: [1, 2].map((k) => ({ k, rate: Math.round(med(k, (r) => r.rate)), cpu_us_per_event: +med(k, (r) => r.detectorCpuUs).toFixed(1) })),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bench/cluster: ${e.stack ?? e.message}\n`);
    process.exit(2);
  },
);
