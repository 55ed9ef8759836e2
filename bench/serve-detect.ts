/**
 * `spoor serve`'s detection thread alone: the real thread (dist/src/serve/detect-worker.js) fed
 * the arrive and release messages the detect loop would send it, for the bench's generated Defend
 * events (200 hosts) with the built-in pack plus the bench's frequent rule, one message at a time.
 *
 *   node dist/bench/serve-detect.js [--events 100000] [--batch 1000] [--rounds 3] [--base PATH]
 *
 * `--base`: another build's detect-worker.js (e.g. main's dist/src/serve/detect-worker.js) run
 * alternately with this one, round by round, for an interleaved comparison in one sitting.
 *
 * Reports the thread's CPU (Linux /proc, 10 ms ticks) per event for each round over the same
 * events (round 1 includes the JIT warm-up; later rounds are new rule engines fed the same input
 * in fresh threads), and the floor: JSON.parse of the same lines in this process.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { generateEvents } from '../src/demo/generate.js';
import { loadHuntRules } from '../src/hunt/load-rules.js';
import { ingestDocument, type LoggedEvent } from '../src/serve/ingest-parse.js';
import { ReorderBuffer, type OrderItem } from '../src/serve/reorder.js';
import { threadCpuSeconds } from '../src/serve/thread-cpu.js';
import type { DetectReply, ToDetect } from '../src/serve/detect-protocol.js';
import type { Rule } from '../src/ir/types.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
}
const EVENTS = Number(arg('events', '100000'));
const BATCH = Number(arg('batch', '1000'));
const ROUNDS = Number(arg('rounds', '3'));

const BENCH_RULE = `id: bench-notepad-start
name: Bench – notepad started (frequent, for latency samples)
enabled: true
hunting: false
severity: low
language: eql
view: ecs
query: |
  process where event.type == "start" and process.name == "notepad.exe"
`;

interface Item extends OrderItem {
  ev: LoggedEvent;
}

async function round(workerUrl: URL, rules: Rule[], items: Item[]): Promise<{ cpuS: number; wallS: number; alerts: number; held: number }> {
  const w = new Worker(workerUrl, { workerData: { rules } });
  const replies = new Map<number, (r: DetectReply) => void>();
  let tid: number | null = null;
  let alerts = 0;
  const hello = new Promise<void>((resolve) => {
    w.on('message', (m: DetectReply) => {
      if (m.id === 0) {
        tid = m.tid ?? null;
        resolve();
        return;
      }
      alerts += m.alerts.length;
      replies.get(m.id)?.(m);
      replies.delete(m.id);
    });
  });
  await hello;
  let nextId = 1;
  const send = (m: ToDetect, transfer?: ArrayBuffer[]): Promise<DetectReply> =>
    new Promise((resolve) => {
      m.id = nextId++;
      replies.set(m.id, resolve);
      w.postMessage(m, transfer);
    });
  let release: number[] = [];
  const reorder = new ReorderBuffer<Item>(5000, (it) => release.push(it.seq));
  let held = 0;
  const cpu0 = threadCpuSeconds(tid!)!;
  const t0 = performance.now();
  for (let b = 0; b < items.length; b += BATCH) {
    const part = items.slice(b, b + BATCH);
    const n = part.length;
    const hosts: string[] = [];
    const ix = new Map<string, number>();
    const hostIx = new Uint32Array(n);
    const plain = new Uint8Array(n);
    part.forEach((it, i) => {
      let h = ix.get(it.host);
      if (h === undefined) ix.set(it.host, (h = hosts.push(it.host) - 1));
      hostIx[i] = h;
      if (it.ev.plain) plain[i] = 1;
    });
    const r = await send(
      {
        t: 'arrive',
        id: 0,
        seqs: part.map((it) => it.seq),
        raws: part.map((it) => it.ev.raw).join('\n'),
        plain,
        times: part.map(() => null),
        hosts,
        hostIx,
        tkeys: part.map((it) => it.ev.tkey ?? '').join('\n'),
      },
      [plain.buffer as ArrayBuffer, hostIx.buffer as ArrayBuffer],
    );
    const heldIx = r.held ? new Set(r.held) : null;
    part.forEach((it, i) => {
      if (!heldIx || heldIx.has(i)) {
        held++;
        reorder.add(it, 0);
      } else reorder.pass(it, 0);
    });
    if (release.length > 0) {
      const seqs = release;
      release = [];
      const wm = reorder.lowWatermark(0, 60_000);
      await send({ t: 'release', id: 0, seqs, wm: wm ? [wm.ms, wm.ns] : null });
    }
  }
  reorder.flushIdle(0, true);
  if (release.length > 0) await send({ t: 'release', id: 0, seqs: release, wm: null });
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = threadCpuSeconds(tid!)! - cpu0;
  await w.terminate();
  return { cpuS, wallS, alerts, held };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-serve-detect-'));
  try {
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'bench.yml'), BENCH_RULE);
    const { rules } = await loadHuntRules({ rulesDirs: [join(dir, 'rules')], sigmaDirs: [], excludeRules: [], hunting: false });
    const g = generateEvents({ events: EVENTS, hosts: 200, seed: 5 });
    const lines = [...g.lines];
    const items: Item[] = [];
    for (const l of lines) {
      const p = ingestDocument(l);
      if (!('events' in p) || p.events.length !== 1) continue;
      const ev = p.events[0]!;
      items.push({ seq: items.length + 1, host: ev.host, time: ev.time ?? { ms: 0, ns: 0 }, ev });
    }
    const c0 = process.cpuUsage();
    let keys = 0;
    for (const l of lines) keys += Object.keys(JSON.parse(l) as object).length;
    const cf = process.cpuUsage(c0);
    const floor = (cf.user + cf.system) / lines.length;
    const base = arg('base', '');
    const builds: [string, URL][] = [['this', new URL('../src/serve/detect-worker.js', import.meta.url)]];
    if (base) builds.push(['base', pathToFileURL(resolve(base))]);
    console.log(`| round | build | detection thread CPU/event | × floor | wall | alerts | held for stateful rules |`);
    console.log(`|---|---|---:|---:|---:|---:|---:|`);
    const per = new Map<string, number[]>();
    for (let r = 1; r <= ROUNDS; r++) {
      for (const [name, url] of r % 2 === 1 ? builds : [...builds].reverse()) {
        const x = await round(url, rules, items);
        const us = (x.cpuS * 1e6) / items.length;
        if (r > 1) per.set(name, [...(per.get(name) ?? []), us]);
        console.log(`| ${r} | ${name} | ${us.toFixed(2)} µs | ${(us / floor).toFixed(2)}× | ${x.wallS.toFixed(2)} s | ${x.alerts} | ${x.held} (${((100 * x.held) / items.length).toFixed(1)}%) |`);
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const [name, xs] of per) console.log(`median after round 1, ${name}: ${median(xs).toFixed(2)} µs/event`);
    console.log(`floor JSON.parse ${floor.toFixed(2)} µs/event; ${rules.length} rules; ${items.length} events; load ${loadavg().map((l) => l.toFixed(1)).join(' ')} (keys ${keys})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
