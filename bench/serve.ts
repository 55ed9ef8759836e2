/**
 * `spoor serve` sustained ingest with the built-in pack (plus one frequent bench rule so latency
 * has enough samples), the server in its own process:
 *
 *   node dist/bench/serve.js [--events 300000] [--senders 4] [--batch 1000] [--paced-seconds 120] [--fsync commit]
 *                            [--allowed-lateness 5000] [--no-writer-thread] [--source-order] [--paced-rate N] [--paced-pool 100000]
 *
 * 1. Throughput: every event through `_bulk` from concurrent senders as fast as acknowledged
 *    (durable: fsync per group commit). Reports events/s (wall) and the server's CPU seconds per
 *    event, beside a floor measured in the same run: JSON.parse of the same lines in this process.
 * 2. Latency at half load: paced at half the measured rate for --paced-seconds; ack → alert time
 *    per alert = alert stored (created_ms) − commit of its last event (received_ms; the ack is sent
 *    right after that commit). p50/p99 over every alert of the phase.
 *    With --paced-rate R, R events/s instead. The paced phase reports its own server CPU per event
 *    and per thread: the steady state. The throughput phase's figure (60k events in a few seconds)
 *    includes the JIT warm-up: most of its "rest" (V8's platform threads) is compiler jobs, not GC.
 *    The paced phase re-sends a pool of pre-generated events with their @timestamp moved on each
 *    round (--paced-pool, default 100000; 0: generate as sent, as before, ~15 µs of client CPU per event).
 *    A pool body's timestamps are rewritten in place each round, digits only (bench/stamp.ts), not
 *    copied and re-stamped through Date.toISOString per event.
 * 3. RSS of the server sampled every 5 s over both phases (first, max, last).
 * The client sends with node:http (fetch cost ~10 ms of CPU per 1.2 MB body); its CPU is printed,
 * since on a 2-core machine it competes with the server. SPOOR_BENCH_NODE_ARGS adds node flags to
 * the server (GC settings).
 * 4. Overload (a paced rate above what the server sustains, e.g. `--paced-rate 2x`: twice the
 *    throughput phase's acknowledged rate): the client behaves like a shipper, at most
 *    --max-outstanding requests at once (default 64), each retried after a 429 with backoff
 *    (50 ms doubling to 1 s); the table then adds a time series (every 10 s: RSS, queue depth,
 *    429s, `GET /api/health` response time) and the offered, acknowledged and refused rates.
 *    --server-root DIR runs another checkout's build of the server (side-by-side comparisons);
 *    --max-queue N (default 400000) / --max-queue-bytes N / --server-default-queue: its queue limits.
 * The server runs with --max-semi-space-size=64 (docs/serve.md: fewer parsed events promoted to the old
 * generation while requests wait for their commit). On a shared machine wall-clock rates vary with load; CPU seconds per event are the stable figure.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import http from 'node:http';
import { join } from 'node:path';
import { generateEvents } from '../src/demo/generate.js';
import { openDb } from '../src/serve/store/db.js';
import { receivedMsOf } from '../src/serve/store/log-rows.js';
import { NOTEPAD_RULE_YAML, spawnServe, kill9, stopSpawned } from '../test/serve/client.js';
import { flag, maybeOption, numOption, option } from './args.js';
import { StampWriter } from './stamp.js';

const EVENTS = numOption('events', 300000);
const SENDERS = numOption('senders', 4);
const BATCH = numOption('batch', 1000);
const PACED_S = numOption('paced-seconds', 120);
const FSYNC = option('fsync', 'commit');
const PROF = option('cpu-prof-dir', '');
const SERVER_ROOT = option('server-root', '');
const MAX_OUTSTANDING = numOption('max-outstanding', 64);
const QUEUE_ARGS = flag('server-default-queue') ? [] : ['--max-queue', option('max-queue', '400000'), ...(maybeOption('max-queue-bytes') ? ['--max-queue-bytes', option('max-queue-bytes', '')] : [])];
const EXTRA = [...(flag('no-writer-thread') ? ['--no-writer-thread'] : []), ...(flag('source-order') ? ['--source-order'] : []), '--allowed-lateness', option('allowed-lateness', '5000')];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function metric(url: string, token: string, name: string): Promise<number> {
  const t = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(t);
  return m ? Number(m[1]) : NaN;
}

const THREADS = ['main', 'writer', 'detect'] as const;

/** CPU seconds per server thread (spoor_thread_cpu_seconds_total; Linux). */
async function threadCpu(url: string, token: string): Promise<Record<string, number>> {
  const t = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const out: Record<string, number> = {};
  for (const th of THREADS) {
    const m = new RegExp(`^spoor_thread_cpu_seconds_total\\{thread="${th}"\\} ([0-9.e+-]+)$`, 'm').exec(t);
    out[th] = m ? Number(m[1]) : NaN;
  }
  return out;
}

/** User and system CPU seconds of every thread, by kernel thread id (filled by tasksCpu, keyed by its result). */
const userSys = new WeakMap<Map<number, number>, Map<number, [number, number]>>();

/** CPU seconds of every thread of process `pid` (Linux /proc; empty elsewhere), by kernel thread id. */
function tasksCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  const us = new Map<number, [number, number]>();
  userSys.set(out, us);
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(Number(t), (Number(f[11]) + Number(f[12])) / 100);
        us.set(Number(t), [Number(f[11]) / 100, Number(f[12]) / 100]);
      } catch {
        // the thread ended
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/** Bytes process `pid` passed to write system calls (/proc/PID/io wchar; NaN elsewhere). */
function procIo(pid: number): { wchar: number } {
  try {
    return { wchar: Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN) };
  } catch {
    return { wchar: NaN };
  }
}

/** The per-thread lines of a phase: our three threads, the rest, and the rest thread by thread. */
function cpuLines(th0: Record<string, number>, th1: Record<string, number>, tasks0: Map<number, number>, tasks1: Map<number, number>, n: number, floor: number): string[] {
  const out: string[] = [];
  const perThread = THREADS.map((th) => {
    const us = ((th1[th]! - th0[th]!) * 1e6) / n;
    return `${th} ${us.toFixed(1)} µs (${(us / floor).toFixed(2)}× floor)`;
  });
  let all = 0;
  for (const [tid, v] of tasks1) all += v - (tasks0.get(tid) ?? 0);
  // No /proc (not Linux): no per-thread figures at all.
  const rest = tasks1.size === 0 ? NaN : (all * 1e6) / n - THREADS.reduce((a, th) => a + ((th1[th]! - th0[th]!) * 1e6) / n, 0);
  out.push(`| server CPU per event per thread | ${perThread.join('; ')}; the rest (V8's platform threads: GC and compiler jobs) ${rest.toFixed(1)} µs |`);
  // Our three threads are told apart by their CPU total (the metrics do not name kernel ids): the closest one each.
  const ours = new Set<number>();
  const split: string[] = [];
  for (const th of THREADS) {
    let best = -1;
    for (const [tid, v] of tasks1) if (!ours.has(tid) && (best < 0 || Math.abs(v - th1[th]!) < Math.abs(tasks1.get(best)! - th1[th]!))) best = tid;
    if (best < 0) continue;
    ours.add(best);
    // User and system time of the thread (system: write/fsync/page faults; the writer's is mostly its WAL and checkpoint I/O).
    const a = userSys.get(tasks0)?.get(best) ?? [0, 0];
    const b = userSys.get(tasks1)?.get(best);
    if (b) split.push(`${th} ${(((b[0] - a[0]) * 1e6) / n).toFixed(1)} / ${(((b[1] - a[1]) * 1e6) / n).toFixed(1)}`);
  }
  if (split.length > 0) out.push(`| server CPU per event, user / system (µs) | ${split.join('; ')} |`);
  const others = [...tasks1]
    .map(([tid, v]) => [tid, v - (tasks0.get(tid) ?? 0)] as const)
    .filter(([tid, d]) => d > 0 && !ours.has(tid))
    .sort((a, b) => b[1] - a[1]);
  if (process.env.SPOOR_BENCH_DEBUG) process.stderr.write(`threads (tid: CPU s at the end, Δ in the phase; ours ${[...ours].join(',')}): ${[...tasks1].map(([tid, v]) => `${tid}: ${v.toFixed(2)} Δ${(v - (tasks0.get(tid) ?? 0)).toFixed(2)}`).join(', ')}\n`);
  if (others.length > 0) out.push(`| the rest per thread (kernel thread id: µs/event) | ${others.slice(0, 8).map(([tid, d]) => `${tid}: ${((d * 1e6) / n).toFixed(1)}`).join(', ')} |`);
  return out;
}

/** Largest value; a loop, since Math.max(...xs) overflows the stack past ~100k values (a 10-min run has 400k+ alerts). */
function maxOf(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-serve-'));
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(join(rulesDir, 'bench.yml'), NOTEPAD_RULE_YAML);
  const g = generateEvents({ events: EVENTS, hosts: 200, seed: 5 });
  const lines = [...g.lines];
  const toBody = (part: string[]): string => part.map((l) => `{"create":{"_index":"logs-endpoint"}}\n${l}\n`).join('');
  const bodies: string[] = [];
  for (let i = 0; i < lines.length; i += BATCH) bodies.push(toBody(lines.slice(i, i + BATCH)));
  const bodyBytes = bodies.map((b) => Buffer.from(b));
  const half = bodies.length;

  // Floor: JSON.parse of the same lines (CPU of this process).
  const c0 = process.cpuUsage();
  let keys = 0;
  for (let i = 0; i < EVENTS; i++) keys += Object.keys(JSON.parse(lines[i]!) as object).length;
  const cf = process.cpuUsage(c0);
  const floorUsPerEvent = (cf.user + cf.system) / EVENTS;

  // SPOOR_BENCH_NODE_ARGS: more flags for the server's node (V8 GC settings compared in BENCHMARKS.md).
  const nodeExtra = (process.env.SPOOR_BENCH_NODE_ARGS ?? '').split(' ').filter((x) => x !== '');
  const c = await spawnServe(join(dir, 'data'), ['--rules', rulesDir, '--fsync', FSYNC, ...QUEUE_ARGS, ...EXTRA], ['--max-semi-space-size=64', ...nodeExtra, ...(PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : [])], SERVER_ROOT || undefined);
  c.proc.stderr!.on('data', (d: Buffer) => process.stderr.write(`[server] ${d.toString()}`));
  c.proc.once('exit', (code, sig) => process.stderr.write(`[server] exited ${code ?? sig}\n`));
  const ingest = c.tokens.find((t) => t.scope === 'ingest')!.token;
  const admin = c.tokens.find((t) => t.scope === 'admin')!.token;
  const rss: number[] = [];
  const rssT0 = Date.now();
  const rssAt: number[] = [];
  /** Per sample: queue depth, 429s so far, `GET /api/health` time (ms), requests outstanding in this client. */
  const series: { t: number; rss: number; queue: number; qbytes: number; r429: number; healthMs: number; out: number; acked: number; heapMain: number; heapDetect: number; totMain: number; totDetect: number; ext: number }[] = [];
  let outstanding = 0;
  let ackedEvents = 0;
  const statuses = new Map<number, number>();
  const sampler = setInterval(
    () =>
      void (async () => {
        const h0 = performance.now();
        const hr = await fetch(`${c.url}/api/health`);
        await hr.text();
        const healthMs = performance.now() - h0;
        const t = await (await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).text();
        const m = (name: string): number => Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} ([0-9.e+-]+)$`, 'm').exec(t)?.[1] ?? NaN);
        const v = m('spoor_resident_memory_bytes');
        const at = (Date.now() - rssT0) / 1000;
        rss.push(v);
        rssAt.push(at);
        series.push({
          t: at,
          rss: v,
          queue: m('spoor_queue_depth'),
          qbytes: m('spoor_queue_bytes'),
          r429: m('spoor_rejected_429_total'),
          healthMs,
          out: outstanding,
          acked: ackedEvents,
          heapMain: m('spoor_heap_used_bytes{thread="main"}'),
          heapDetect: m('spoor_heap_used_bytes{thread="detect"}'),
          totMain: m('spoor_heap_total_bytes{thread="main"}'),
          totDetect: m('spoor_heap_total_bytes{thread="detect"}'),
          ext: m('spoor_external_memory_bytes'),
        });
      })(),
    5000,
  );
  // node:http with a keep-alive agent rather than fetch: fetch (undici) cost the client ~10 ms of
  // CPU per 1.2 MB body, which on two shared cores is taken from the server.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(`${c.url}/_bulk`);
  const postOnce = (body: Buffer): Promise<number> =>
    new Promise((resolve, reject) => {
      const rq = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/x-ndjson', 'content-length': body.length } },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      rq.on('error', reject);
      rq.end(body);
    });
  const post = async (body: string | Buffer, events = BATCH): Promise<void> => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    outstanding++;
    let backoff = 50;
    for (;;) {
      const status = await postOnce(bytes);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 200) break;
      // A shipper's retry: Beats, Logstash and Fluent Bit back off after a 429.
      await sleep(status === 429 ? backoff : 20);
      backoff = Math.min(1000, backoff * 2);
    }
    outstanding--;
    ackedEvents += events;
  };

  // 1. Throughput.
  const cpu0 = await metric(c.url, admin, 'process_cpu_seconds_total');
  const th0 = await threadCpu(c.url, admin);
  const tasks0 = tasksCpu(c.proc.pid!);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: SENDERS }, async () => {
    while (next < half) await post(bodyBytes[next++]!);
  }));
  const ackS = (performance.now() - t0) / 1000;
  while ((await metric(c.url, admin, 'spoor_detection_lag_events')) > 0) await sleep(100);
  const allS = (performance.now() - t0) / 1000;
  const cpu1 = await metric(c.url, admin, 'process_cpu_seconds_total');
  const th1 = await threadCpu(c.url, admin);
  const tasks1 = tasksCpu(c.proc.pid!);
  const own = process.cpuUsage(own0);
  const loadThroughput = loadavg()[0]!;
  const n1 = lines.length;
  const ackRate = n1 / ackS;
  const serverUsPerEvent = ((cpu1 - cpu0) * 1e6) / n1;

  // 2. Paced at half the measured rate.
  // Fresh events generated as they are sent (a week later in event time: nothing is late), so a
  // long run needs no memory in this process for its input.
  // --paced-rate: a fixed rate instead (a short throughput phase on a machine whose load just
  // dropped can measure an ack rate detection cannot sustain for minutes).
  // `--paced-rate 2x`: a multiple of the acknowledged rate just measured (overload).
  const pr = option('paced-rate', '0');
  const pacedRate = pr.endsWith('x') ? Number(pr.slice(0, -1)) * ackRate : Number(pr);
  const rate = pacedRate > 0 ? pacedRate : ackRate / 2;
  // --paced-pool N (default 100000): the paced phase sends a pool of N events generated before it
  // starts, again and again, each round's @timestamp moved past the previous round's (the
  // generator costs the client ~15 µs of CPU per event, which on two shared cores caps the rate
  // this machine can show); 0: every event freshly generated as it is sent (earlier rounds).
  const POOL = numOption('paced-pool', 100000);
  const pacedEvents = Math.ceil(rate * PACED_S * 1.2) + BATCH;
  const g2 = generateEvents({ events: POOL > 0 ? Math.min(POOL, pacedEvents) : pacedEvents, hosts: 200, seed: 6, start: '2026-03-09T08:00:00.000000Z' });
  const it2 = g2.lines[Symbol.iterator]();
  /** The next body to send, and what to call once it is acknowledged (its pool slot may then be rewritten). */
  let nextBody: () => { body: string | Buffer; done: () => void } | null;
  const nothing = (): void => {};
  if (POOL > 0) {
    // Each pool body as bytes, with where each event's @timestamp text sits (the generator writes it first) and its time in µs.
    const TS = '{"@timestamp":"';
    /** `work`: the slot's body as last sent (its stamps rewritten in place each round); `busy`: its requests not yet acknowledged. */
    const pool: { bytes: Buffer; at: number[]; us: number[]; work: Buffer | null; busy: number }[] = [];
    let firstUs = Infinity;
    let lastUs = -Infinity;
    const part: string[] = [];
    const flushPart = (): void => {
      if (part.length === 0) return;
      const at: number[] = [];
      const us: number[] = [];
      let off = 0;
      for (const l of part) {
        const head = `{"create":{"_index":"logs-endpoint"}}\n`;
        if (!l.startsWith(TS) || l[TS.length + 27] !== '"') throw new Error('a generated line does not start with its @timestamp');
        const t = l.slice(TS.length, TS.length + 27); // YYYY-MM-DDTHH:MM:SS.ffffffZ
        const u = Date.parse(`${t.slice(0, 19)}Z`) * 1000 + Number(t.slice(20, 26));
        at.push(off + Buffer.byteLength(head) + TS.length);
        us.push(u);
        if (u < firstUs) firstUs = u;
        if (u > lastUs) lastUs = u;
        off += Buffer.byteLength(head) + Buffer.byteLength(l) + 1;
      }
      pool.push({ bytes: Buffer.from(toBody(part)), at, us, work: null, busy: 0 });
      part.length = 0;
    };
    for (let r = it2.next(); !r.done; r = it2.next()) if (part.push(r.value) >= BATCH) flushPart();
    flushPart();
    const roundUs = lastUs - firstUs + 1e6;
    const stamp = new StampWriter();
    let k = 0;
    nextBody = () => {
      const p = pool[k % pool.length]!;
      const shift = Math.floor(k / pool.length) * roundUs;
      k++;
      if (shift === 0) return { body: p.bytes, done: nothing };
      // The slot's own copy, its timestamps rewritten in place (digits only: the separators stay);
      // a fresh copy only while an earlier round's request of the slot is still unanswered.
      let b: Buffer;
      if (p.busy > 0) b = Buffer.from(p.bytes);
      else b = p.work ??= Buffer.from(p.bytes);
      for (let e = 0; e < p.at.length; e++) stamp.write(b, p.at[e]!, p.us[e]! + shift);
      if (b !== p.work) return { body: b, done: nothing };
      p.busy++;
      return { body: b, done: () => void p.busy-- };
    };
  } else {
    nextBody = () => {
      const part: string[] = [];
      for (let r = it2.next(); !r.done; r = it2.next()) if (part.push(r.value) >= BATCH) break;
      return part.length > 0 ? { body: toBody(part), done: nothing } : null;
    };
  }
  const pCpu0 = await metric(c.url, admin, 'process_cpu_seconds_total');
  const pCommits0 = await metric(c.url, admin, 'spoor_log_commits_total');
  const pIo0 = procIo(c.proc.pid!);
  const pTh0 = await threadCpu(c.url, admin);
  const pTasks0 = tasksCpu(c.proc.pid!);
  const pOwn0 = process.cpuUsage();
  let lastAck = 0;
  const pacedStart = Date.now();
  const perBatchMs = (BATCH / rate) * 1000;
  let sent = 0;
  const acked0 = ackedEvents;
  const statuses0 = new Map(statuses);
  let clientWaitMs = 0;
  for (let i = 0; Date.now() - pacedStart < PACED_S * 1000; i++) {
    const next = nextBody();
    if (next === null) break;
    const due = pacedStart + i * perBatchMs;
    if (due > Date.now()) await sleep(due - Date.now());
    // A shipper holds a bounded number of requests: beyond it, its input waits (offered > sent).
    const w0 = Date.now();
    while (outstanding >= MAX_OUTSTANDING) await sleep(2);
    clientWaitMs += Date.now() - w0;
    void post(next.body).then(() => {
      lastAck = Date.now();
      next.done();
    });
    sent++;
  }
  const sendEnd = Date.now();
  const pacedS = (sendEnd - pacedStart) / 1000;
  const ackedPaced = ackedEvents - acked0;
  while (outstanding > 0) await sleep(20);
  while ((await metric(c.url, admin, 'spoor_detection_lag_events')) > 0) await sleep(100);
  const detectEnd = Date.now();
  const pCpu1 = await metric(c.url, admin, 'process_cpu_seconds_total');
  const pCommits1 = await metric(c.url, admin, 'spoor_log_commits_total');
  const pIo1 = procIo(c.proc.pid!);
  const pTh1 = await threadCpu(c.url, admin);
  const pTasks1 = tasksCpu(c.proc.pid!);
  const pOwn = process.cpuUsage(pOwn0);
  await sleep(1500);
  clearInterval(sampler);
  if (PROF) {
    // A clean stop writes the CPU profile.
    await new Promise<void>((resolve) => {
      c.proc.once('exit', () => resolve());
      c.proc.kill('SIGTERM');
    });
  } else await kill9(c);

  const mb = (b: number): string => (b / 2 ** 20).toFixed(0);
  const db = openDb(join(dir, 'data', 'spoor.db'));
  const rows = (
    db.prepare(`SELECT created_ms, json_extract(doc, '$.events[#-1].position') AS pos, json_array_length(doc, '$.events') AS n FROM alerts WHERE created_ms >= ?`).all(pacedStart) as {
      created_ms: number;
      pos: number;
      n: number;
    }[]
  ).flatMap((a) => {
    const at = receivedMsOf(db, a.pos);
    return at === null ? [] : [{ ms: a.created_ms - at, n: a.n }];
  });
  const seqAll = db.prepare(`SELECT created_ms, json_extract(doc, '$.events[#-1].position') AS pos FROM alerts WHERE json_array_length(doc, '$.events') > 1`).all() as { created_ms: number; pos: number }[];
  if (process.env.SPOOR_BENCH_DEBUG) for (const a of seqAll) process.stderr.write(`seq alert created ${a.created_ms - pacedStart} ms after the paced start, last event ${a.pos}, received ${String(receivedMsOf(db, a.pos))}\n`);
  db.close();
  const lat = rows.map((r) => r.ms);
  const latSingle = rows.filter((r) => r.n === 1).map((r) => r.ms);
  const latSeq = rows.filter((r) => r.n > 1).map((r) => r.ms);
  // RSS per minute (the sample nearest each whole minute) and the drift over the second half.
  const perMin: string[] = [];
  for (let m = 0; m <= (rssAt[rssAt.length - 1] ?? 0) / 60; m++) {
    let best = -1;
    for (let i = 0; i < rssAt.length; i++) if (best < 0 || Math.abs(rssAt[i]! - m * 60) < Math.abs(rssAt[best]! - m * 60)) best = i;
    if (best >= 0) perMin.push(mb(rss[best]!));
  }
  // Least-squares slope over the samples after the first minute: single samples fall anywhere on
  // the garbage collector's sawtooth (tens of MiB), a slope over all of them does not.
  const fit = rssAt.map((t, i) => [t, rss[i]!] as const).filter(([t, v]) => t >= 60 && Number.isFinite(v));
  let slopeMiBPerMin = NaN;
  if (fit.length > 2) {
    const mt = fit.reduce((a, [t]) => a + t, 0) / fit.length;
    const mv = fit.reduce((a, [, v]) => a + v, 0) / fit.length;
    const cov = fit.reduce((a, [t, v]) => a + (t - mt) * (v - mv), 0);
    const vt = fit.reduce((a, [t]) => a + (t - mt) ** 2, 0);
    slopeMiBPerMin = ((cov / vt) * 60) / 2 ** 20;
  }
  if (process.env.SPOOR_BENCH_DEBUG) process.stderr.write(`rss samples (s:MiB) ${rssAt.map((t, i) => `${t.toFixed(0)}:${mb(rss[i]!)}`).join(' ')}\n`);
  const halfIdx = Math.floor(rss.length / 2);
  const secondHalf = rss.slice(halfIdx);
  const drift = secondHalf.length > 1 ? secondHalf[secondHalf.length - 1]! - secondHalf[0]! : NaN;
  console.log(`| measure | value |\n|---|---|`);
  console.log(`| events (throughput phase) | ${n1} in ${SENDERS} senders × ${BATCH}-event _bulk requests, fsync ${FSYNC} |`);
  console.log(`| durable ingest, acknowledged | ${ackRate.toFixed(0)} events/s wall (${ackS.toFixed(1)} s) |`);
  console.log(`| ingest + detection complete | ${(n1 / allS).toFixed(0)} events/s wall (${allS.toFixed(1)} s) |`);
  console.log(`| server CPU per event | ${serverUsPerEvent.toFixed(1)} µs (→ ${(1e6 / serverUsPerEvent).toFixed(0)} events per CPU-second) |`);
  console.log(`| floor: JSON.parse per event (bench process) | ${floorUsPerEvent.toFixed(1)} µs; server/floor ratio ${(serverUsPerEvent / floorUsPerEvent).toFixed(1)}× |`);
  for (const l of cpuLines(th0, th1, tasks0, tasks1, n1, floorUsPerEvent)) console.log(l);
  console.log(`| bench client CPU per event (generating, sending) | ${((own.user + own.system) / n1).toFixed(1)} µs |`);
  console.log(`| load average during the throughput phase (1 min) | ${loadThroughput.toFixed(1)} |`);
  const pn = sent * BATCH;
  console.log(`| paced phase | ${pn} events at ${rate.toFixed(0)} events/s for ${pacedS.toFixed(0)} s: acknowledged ${(pn / ((lastAck - pacedStart) / 1000)).toFixed(0)} events/s (last ack ${((lastAck - sendEnd) / 1000).toFixed(1)} s after the last send), detection done ${((detectEnd - sendEnd) / 1000).toFixed(1)} s after it |`);
  console.log(`| paced phase: server CPU per event | ${(((pCpu1 - pCpu0) * 1e6) / pn).toFixed(1)} µs; bench client ${((pOwn.user + pOwn.system) / pn).toFixed(1)} µs (user ${(pOwn.user / pn).toFixed(1)}, system ${(pOwn.system / pn).toFixed(1)}) |`);
  console.log(`| paced phase: group commits of the log | ${pCommits1 - pCommits0}, ${(pn / (pCommits1 - pCommits0)).toFixed(0)} events each on average; the server wrote ${((pIo1.wchar - pIo0.wchar) / pn).toFixed(0)} bytes per event (write system calls: the WAL, checkpoints) |`);
  for (const l of cpuLines(pTh0, pTh1, pTasks0, pTasks1, pn, floorUsPerEvent)) console.log(l.replace('| server CPU', '| paced phase: server CPU').replace('| the rest per', '| paced phase: the rest per'));
  console.log(`| ack → alert latency, all (${lat.length} alerts) | p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms, max ${maxOf(lat)} ms |`);
  console.log(`| … single-event rules (${latSingle.length}) | p50 ${pct(latSingle, 50)} ms, p99 ${pct(latSingle, 99)} ms |`);
  console.log(`| … sequences (${latSeq.length}) | p50 ${pct(latSeq, 50)} ms, p99 ${pct(latSeq, 99)} ms |`);
  console.log(`| server RSS (every 5 s) | first ${mb(rss[0] ?? NaN)} MiB, max ${mb(maxOf(rss))} MiB, last ${mb(rss[rss.length - 1] ?? NaN)} MiB (${rss.length} samples over ${(rssAt[rssAt.length - 1] ?? 0).toFixed(0)} s) |`);
  console.log(`| server RSS per minute (MiB) | ${perMin.join(', ')}; second half drift ${mb(drift)} MiB |`);
  console.log(`| server RSS trend after the first minute (least squares over every sample) | ${slopeMiBPerMin.toFixed(2)} MiB/min |`);
  const sc = (code: number): number => (statuses.get(code) ?? 0) - (statuses0.get(code) ?? 0);
  const others = [...statuses].filter(([k]) => k !== 200 && k !== 429).map(([k, v]) => `${k}: ${v - (statuses0.get(k) ?? 0)}`);
  console.log(`| paced phase: offered / acknowledged within it | ${rate.toFixed(0)} / ${(ackedPaced / pacedS).toFixed(0)} events/s; requests 200: ${sc(200)}, 429: ${sc(429)}${others.length ? `, ${others.join(', ')}` : ''}; client held back ${(clientWaitMs / 1000).toFixed(0)} s (≤ ${MAX_OUTSTANDING} requests outstanding) |`);
  console.log(`| \`GET /api/health\` time (every 5 s) | p50 ${pct(series.map((x) => x.healthMs), 50).toFixed(0)} ms, max ${Math.max(...series.map((x) => x.healthMs)).toFixed(0)} ms |`);
  if (flag('series')) {
    const every = numOption('series-every', 2);
    console.log(`\n| t (s) | RSS (MiB) | heap used main / detect (MiB) | heap committed main / detect (MiB) | external (MiB) | queue depth | queue (MiB) | 429s so far | health (ms) | client outstanding | acked events |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
    for (let i = 0; i < series.length; i += every) {
      const x = series[i]!;
      console.log(`| ${x.t.toFixed(0)} | ${mb(x.rss)} | ${mb(x.heapMain)} / ${mb(x.heapDetect)} | ${mb(x.totMain)} / ${mb(x.totDetect)} | ${mb(x.ext)} | ${x.queue} | ${mb(x.qbytes)} | ${x.r429} | ${x.healthMs.toFixed(0)} | ${x.out} | ${x.acked} |`);
    }
    console.log('');
  }
  console.log(`| load average at end | ${loadavg().map((l) => l.toFixed(1)).join(' ')} (keys parsed: ${keys}) |`);
  rmSync(dir, { recursive: true, force: true });
}

try {
  await main();
} catch (e) {
  stopSpawned(); // a failed run must not leave its server running
  throw e;
}
