/**
 * `spoor serve` sustained ingest with the built-in pack (plus one frequent bench rule so latency
 * has enough samples), the server in its own process:
 *
 *   node dist/bench/serve.js [--events 300000] [--senders 4] [--batch 1000] [--paced-seconds 120] [--fsync commit]
 *                            [--allowed-lateness 5000] [--no-writer-thread] [--source-order] [--paced-rate N]
 *
 * 1. Throughput: every event through `_bulk` from concurrent senders as fast as acknowledged
 *    (durable: fsync per group commit). Reports events/s (wall) and the server's CPU seconds per
 *    event, beside a floor measured in the same run: JSON.parse of the same lines in this process.
 * 2. Latency at half load: paced at half the measured rate for --paced-seconds; ack → alert time
 *    per alert = alert stored (created_ms) − commit of its last event (received_ms; the ack is sent
 *    right after that commit). p50/p99 over every alert of the phase.
 * 3. RSS of the server sampled every 5 s over both phases (first, max, last).
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
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { generateEvents } from '../src/demo/generate.js';
import { openDb } from '../src/serve/store/db.js';
import { receivedMsOf } from '../src/serve/store/log-rows.js';
import { spawnServe, kill9 } from '../test/serve/client.js';
import { flag, maybeOption, numOption, option } from './args.js';

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

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-serve-'));
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(join(rulesDir, 'bench.yml'), BENCH_RULE);
  const g = generateEvents({ events: EVENTS, hosts: 200, seed: 5 });
  const lines = [...g.lines];
  const toBody = (part: string[]): string => part.map((l) => `{"create":{"_index":"logs-endpoint"}}\n${l}\n`).join('');
  const bodies: string[] = [];
  for (let i = 0; i < lines.length; i += BATCH) bodies.push(toBody(lines.slice(i, i + BATCH)));
  const half = bodies.length;

  // Floor: JSON.parse of the same lines (CPU of this process).
  const c0 = process.cpuUsage();
  let keys = 0;
  for (let i = 0; i < EVENTS; i++) keys += Object.keys(JSON.parse(lines[i]!) as object).length;
  const cf = process.cpuUsage(c0);
  const floorUsPerEvent = (cf.user + cf.system) / EVENTS;

  const c = await spawnServe(join(dir, 'data'), ['--rules', rulesDir, '--fsync', FSYNC, ...QUEUE_ARGS, ...EXTRA], ['--max-semi-space-size=64', ...(PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : [])], SERVER_ROOT || undefined);
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
  const post = async (body: string, events = BATCH): Promise<void> => {
    outstanding++;
    let backoff = 50;
    for (;;) {
      const r = await fetch(`${c.url}/_bulk`, { method: 'POST', body, headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/x-ndjson' } });
      await r.text();
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 200) break;
      // A shipper's retry: Beats, Logstash and Fluent Bit back off after a 429.
      await sleep(r.status === 429 ? backoff : 20);
      backoff = Math.min(1000, backoff * 2);
    }
    outstanding--;
    ackedEvents += events;
  };

  // 1. Throughput.
  const cpu0 = await metric(c.url, admin, 'process_cpu_seconds_total');
  const th0 = await threadCpu(c.url, admin);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: SENDERS }, async () => {
    while (next < half) await post(bodies[next++]!);
  }));
  const ackS = (performance.now() - t0) / 1000;
  while ((await metric(c.url, admin, 'spoor_detection_lag_events')) > 0) await sleep(100);
  const allS = (performance.now() - t0) / 1000;
  const cpu1 = await metric(c.url, admin, 'process_cpu_seconds_total');
  const th1 = await threadCpu(c.url, admin);
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
  const g2 = generateEvents({ events: Math.ceil(rate * PACED_S * 1.2) + BATCH, hosts: 200, seed: 6, start: '2026-03-09T08:00:00.000000Z' });
  const it2 = g2.lines[Symbol.iterator]();
  const nextBody = (): string | null => {
    const part: string[] = [];
    for (let r = it2.next(); !r.done; r = it2.next()) if (part.push(r.value) >= BATCH) break;
    return part.length > 0 ? toBody(part) : null;
  };
  const pacedStart = Date.now();
  const perBatchMs = (BATCH / rate) * 1000;
  let sent = 0;
  const acked0 = ackedEvents;
  const statuses0 = new Map(statuses);
  let clientWaitMs = 0;
  for (let i = 0; Date.now() - pacedStart < PACED_S * 1000; i++) {
    const body = nextBody();
    if (body === null) break;
    const due = pacedStart + i * perBatchMs;
    if (due > Date.now()) await sleep(due - Date.now());
    // A shipper holds a bounded number of requests: beyond it, its input waits (offered > sent).
    const w0 = Date.now();
    while (outstanding >= MAX_OUTSTANDING) await sleep(2);
    clientWaitMs += Date.now() - w0;
    void post(body);
    sent++;
  }
  const pacedS = (Date.now() - pacedStart) / 1000;
  const ackedPaced = ackedEvents - acked0;
  while (outstanding > 0) await sleep(20);
  while ((await metric(c.url, admin, 'spoor_detection_lag_events')) > 0) await sleep(100);
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
  const perThread = THREADS.map((th) => {
    const us = ((th1[th]! - th0[th]!) * 1e6) / n1;
    return `${th} ${us.toFixed(1)} µs (${(us / floorUsPerEvent).toFixed(2)}× floor)`;
  });
  console.log(`| server CPU per event per thread | ${perThread.join('; ')}; the rest (GC helpers, libuv, SQLite WAL checkpoints) ${(serverUsPerEvent - THREADS.reduce((a, th) => a + ((th1[th]! - th0[th]!) * 1e6) / n1, 0)).toFixed(1)} µs |`);
  console.log(`| bench client CPU per event (generating, sending) | ${((own.user + own.system) / n1).toFixed(1)} µs |`);
  console.log(`| load average during the throughput phase (1 min) | ${loadThroughput.toFixed(1)} |`);
  console.log(`| paced phase | ${(sent * BATCH)} events at ${rate.toFixed(0)} events/s for ${pacedS.toFixed(0)} s |`);
  console.log(`| ack → alert latency, all (${lat.length} alerts) | p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms, max ${Math.max(...lat)} ms |`);
  console.log(`| … single-event rules (${latSingle.length}) | p50 ${pct(latSingle, 50)} ms, p99 ${pct(latSingle, 99)} ms |`);
  console.log(`| … sequences (${latSeq.length}) | p50 ${pct(latSeq, 50)} ms, p99 ${pct(latSeq, 99)} ms |`);
  console.log(`| server RSS (every 5 s) | first ${mb(rss[0] ?? NaN)} MiB, max ${mb(Math.max(...rss))} MiB, last ${mb(rss[rss.length - 1] ?? NaN)} MiB (${rss.length} samples over ${(rssAt[rssAt.length - 1] ?? 0).toFixed(0)} s) |`);
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

await main();
