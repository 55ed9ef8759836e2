/**
 * `spoor serve`'s detection thread alone (serve/detect-worker.ts), CPU per event: the thread is
 * started as the server starts it (the built-in pack plus serve bench's frequent rule) and fed
 * the messages the detect loop sends for live events — `arrive` with a group commit's documents
 * as a view of shared bytes (flags, hosts, telemetry keys as the byte scan gives them), then
 * `release` of the same events in seq order with a watermark. Its CPU is read from
 * /proc/self/task/<tid>/stat (Linux; 10 ms ticks) around each round.
 *
 *   node dist/bench/serve-detect.js [--events 100000] [--batch 1000] [--rounds 5] [--roots DIR,DIR] [--elastic]
 *
 * --elastic: Elastic's EQL pack on top (bench/elastic-pack.ts, ../shared or SPOOR_SHARED), the
 * pack of bench/eql-pack.ts. V8 flags given to node (`node --no-allocation-site-pretenuring
 * dist/bench/serve-detect.js …`) hold for the detection thread too, and are printed.
 *
 * --roots: checkouts whose built worker (DIR/dist/src/serve/detect-worker.js) is run, rounds
 * interleaved (default: this one); each prints its median µs/event and the alerts it raised
 * (ids hashed: the same alerts give the same digest).
 */
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateEvents } from '../src/demo/generate.js';
import { loadHuntRules } from '../src/hunt/load-rules.js';
import { scanBytes, scanned, tkeyBytes } from '../src/serve/scan-bytes.js';
import { ingestDocument } from '../src/serve/ingest-parse.js';
import { F_ASCII, F_PLAIN, F_TIME } from '../src/serve/ingest-batch.js';
import { threadCpuSeconds } from '../src/serve/thread-cpu.js';
import type { ArriveMsg, DetectReply, ReleaseMsg } from '../src/serve/detect-protocol.js';
import { flag, numOption, option } from './args.js';
import { elasticPack } from './elastic-pack.js';
import { NOTEPAD_RULE_YAML } from '../test/serve/client.js';

const EVENTS = numOption('events', 100000);
const BATCH = numOption('batch', 1000);
const ROUNDS = numOption('rounds', 5);
const here = resolve(fileURLToPath(import.meta.url), '../../..');
const ROOTS = option('roots', here).split(',');

interface Batch {
  arrive: ArriveMsg;
  release: ReleaseMsg;
}

/** The messages for `lines` (seqs from 1), as pumpInbox builds them from a group commit. */
function messages(lines: string[]): Batch[] {
  const out: Batch[] = [];
  let seq = 1;
  for (let b = 0; b < lines.length; b += BATCH) {
    const part = lines.slice(b, b + BATCH);
    const body = Buffer.from(part.join('\n'));
    const shared = new Uint8Array(new SharedArrayBuffer(body.length));
    shared.set(body);
    const n = part.length;
    const flags = new Uint8Array(n);
    const msAt = new Float64Array(n);
    const nsAt = new Uint32Array(n);
    const hostIx = new Uint32Array(n);
    const hosts: string[] = [];
    const hostMap = new Map<string, number>();
    const keys: Buffer[] = [];
    let ascii = true;
    let at = 0;
    let maxMs = 0;
    for (let i = 0; i < n; i++) {
      const end = at + Buffer.byteLength(part[i]!);
      let host: string;
      if (scanBytes(body, at, end)) {
        const s = scanned;
        flags[i] = F_TIME | (s.big ? 0 : F_PLAIN) | (s.ascii ? F_ASCII : 0);
        if (!s.ascii) ascii = false;
        host = s.host;
        msAt[i] = s.ms;
        nsAt[i] = s.ns;
        keys.push(Buffer.from(tkeyBytes.subarray(0, Math.max(0, s.tkeyLen))));
        if (s.ms > maxMs) maxMs = s.ms;
      } else {
        // Left to the parser at ingest (ingestBytes → ingestDocument → RequestEvents.addParsed).
        const p = ingestDocument(part[i]!);
        if ('error' in p || p.events.length !== 1) throw new Error(`event ${b + i}: not one event`);
        const e = p.events[0]!;
        if (!e.time) throw new Error(`event ${b + i}: no time`);
        flags[i] = F_TIME | (e.plain === true ? F_PLAIN : 0) | (Buffer.byteLength(e.raw) === e.raw.length ? F_ASCII : 0);
        if ((flags[i]! & F_ASCII) === 0) ascii = false;
        host = e.host;
        msAt[i] = e.time.ms;
        nsAt[i] = e.time.ns;
        keys.push(Buffer.from(e.tkey ?? '', 'utf8'));
        if (e.time.ms > maxMs) maxMs = e.time.ms;
      }
      let h = hostMap.get(host);
      if (h === undefined) hostMap.set(host, (h = hosts.push(host) - 1));
      hostIx[i] = h;
      at = end + 1;
    }
    const kb = Buffer.concat(keys.flatMap((k, i) => (i === 0 ? [k] : [Buffer.from('\n'), k])));
    const tkeys = new Uint8Array(new SharedArrayBuffer(Math.max(1, kb.length))).subarray(0, kb.length);
    tkeys.set(kb);
    const seqs = Array.from({ length: n }, (_, i) => seq + i);
    out.push({
      arrive: { t: 'arrive', id: 0, seqs: null, seq0: seq, raws: shared, ascii, flags, times: null, ms: msAt, ns: nsAt, hosts, hostIx, tkeys },
      release: { t: 'release', id: 0, seqs, wm: [maxMs - 10_000, 0] },
    });
    seq += n;
  }
  return out;
}

interface Run {
  worker: Worker;
  tid: number;
  next: number;
  waiting: Map<number, (r: DetectReply) => void>;
}

async function start(root: string, rules: unknown): Promise<Run> {
  const worker = new Worker(join(root, 'dist/src/serve/detect-worker.js'), { workerData: { rules } });
  const waiting = new Map<number, (r: DetectReply) => void>();
  const hello = await new Promise<DetectReply>((res, rej) => {
    worker.once('message', res);
    worker.once('error', rej);
  });
  worker.on('message', (r: DetectReply) => {
    if (r.id <= 0) return;
    const w = waiting.get(r.id);
    waiting.delete(r.id);
    w?.(r);
  });
  if (hello.tid === null || hello.tid === undefined) throw new Error('no thread id (not Linux?)');
  return { worker, tid: hello.tid, next: 1, waiting };
}

function send(run: Run, m: ArriveMsg | ReleaseMsg): Promise<DetectReply> {
  const id = run.next++;
  // Each send gets its own copies of the per-event arrays (the loop transfers them).
  const msg = m.t === 'arrive' ? { ...m, id, flags: m.flags.slice(), hostIx: m.hostIx.slice(), ms: m.ms?.slice(), ns: m.ns?.slice() } : { ...m, id };
  return new Promise((res) => {
    run.waiting.set(id, res);
    run.worker.postMessage(msg);
  });
}

/** One pass over every batch (arrive, then its release; two messages in flight at most, as the loop keeps it busy). CPU µs/event and the alert ids. */
async function round(run: Run, batches: Batch[], seqBase: number): Promise<{ us: number; alerts: string[]; deferred: number; deferredParsed: number }> {
  const alerts: string[] = [];
  let deferred = 0;
  let deferredParsed = 0;
  const c0 = threadCpuSeconds(run.tid)!;
  let prev: Promise<void> = Promise.resolve();
  for (const b of batches) {
    const a = { ...b.arrive, seq0: b.arrive.seq0 + seqBase };
    const r = { ...b.release, seqs: b.release.seqs.map((s) => s + seqBase) };
    const pa = send(run, a);
    const pr = send(run, r);
    await prev;
    prev = Promise.all([pa, pr]).then((rs) => {
      for (const x of rs) {
        for (const al of x.alerts) alerts.push(al.id);
        deferred += x.deferred ?? 0;
        deferredParsed += x.deferredParsed ?? 0;
      }
    });
  }
  await prev;
  const c1 = threadCpuSeconds(run.tid)!;
  return { us: ((c1 - c0) * 1e6) / (batches.length > 0 ? batches.reduce((s, b) => s + b.arrive.flags.length, 0) : 1), alerts, deferred, deferredParsed };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-detect-'));
  try {
    writeFileSync(join(dir, 'bench.yml'), NOTEPAD_RULE_YAML);
    const v8Flags = process.execArgv.filter((a) => a.startsWith('--') && !a.startsWith('--cpu-prof'));
    const elastic = flag('elastic') ? (JSON.parse(elasticPack(resolve(here, process.env.SPOOR_SHARED ?? '../shared'), 'bench/serve-detect --elastic').sources) as string[]) : [];
    const loaded = await loadHuntRules({ rulesDirs: [dir, ...elastic], sigmaDirs: [], excludeRules: [], hunting: false, buildingBlocks: true });
    const lines = [...generateEvents({ events: EVENTS, hosts: 200, seed: 6 }).lines];
    const batches = messages(lines);
    const runs: Run[] = [];
    for (const root of ROOTS) runs.push(await start(root, loaded.rules));
    // Warm-up pass (JIT, the key tallies' first parses), then timed rounds with fresh seqs: the
    // same events again, as the paced bench re-sends its pool (alerts then repeat by id: compared per round).
    const us: number[][] = ROOTS.map(() => []);
    const digests: string[][] = ROOTS.map(() => []);
    const counts: number[][] = ROOTS.map(() => []);
    const deferrals: string[] = ROOTS.map(() => '');
    for (let r = 0; r <= ROUNDS; r++) {
      for (let k = 0; k < runs.length; k++) {
        const kk = r % 2 === 0 ? k : runs.length - 1 - k;
        const got = await round(runs[kk]!, batches, r * EVENTS);
        if (r === 0) continue;
        us[kk]!.push(got.us);
        counts[kk]!.push(got.alerts.length);
        deferrals[kk] = `${got.deferred} deferred, ${got.deferredParsed} of them parsed`;
        digests[kk]!.push(createHash('sha256').update([...got.alerts].sort().join('\n')).digest('hex').slice(0, 12));
      }
    }
    console.log(`serve detection thread, ${EVENTS} events in batches of ${BATCH}, ${loaded.rules.length} rules, ${ROUNDS} rounds interleaved; V8 ${v8Flags.join(' ') || 'defaults'}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    ROOTS.forEach((root, k) => {
      console.log(`${root}: median ${median(us[k]!).toFixed(2)} µs/event, min ${Math.min(...us[k]!).toFixed(2)} (rounds ${us[k]!.map((x) => x.toFixed(2)).join(' ')}); alerts per round ${counts[k]!.join(' ')}, digests ${[...new Set(digests[k])].join(' ')}; last round ${deferrals[k]}`);
    });
    for (const run of runs) await run.worker.terminate();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
