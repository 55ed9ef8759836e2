/**
 * Every input format against its own parse-only floor, in one run (issue 12 item 2).
 *
 * For each JSON format the demo generator writes (demo/formats.ts: Elastic Defend NDJSON,
 * Elasticsearch hits, Winlogbeat/Agent ECS, evtx_dump JSONL, flat nxlog JSON — the same fleet and
 * planted attacks), a file is generated in the OS temp dir, then measured --repeat times,
 * interleaved, each run in a fresh process: the floor (read + split + JSON.parse of every line,
 * one thread), `spoor hunt` with the built-in pack, and with the built-in pack plus every SigmaHQ
 * Windows rule (../shared/conformance/sigma/rules/windows; skipped with the reason when absent).
 * The file is deleted before the next format. Figures are events per CPU-second (all threads of
 * the process), medians (the Sigma column also gives the share of lines the prefilter left
 * unparsed); hunt rates exclude loading the rules (measured in the same process just
 * before the hunt and subtracted; the load is shown beside). EVTX, the sixth format, is not
 * generated: the file bench/evtx.ts builds from ../shared's attack samples ($TMPDIR/spoor-bench/
 * evtx-bench.evtx, or SPOOR_BENCH_EVTX, or --evtx FILE; skipped when absent) is measured the same
 * way against its own floor, spoor's EVTX reader alone on one thread (bench/evtx-parse-child.ts).
 * With --warm, a fourth measurement per repetition: the built-in pack's hunt run a second time in
 * the same process (the first, untimed, warms the JIT and the heap) — not the target's figure,
 * but how far a long input's per-line cost comes down once the code is optimized (a 100k-line hunt
 * spends a large part of its CPU in V8's unoptimized tiers and compiler, which JSON.parse, native,
 * does not have).
 * Usage: node dist/bench/formats.js [--events 100000] [--hosts 200] [--repeat 3] [--workers 1]
 *        [--formats defend,nxlog,evtx] [--no-sigma] [--warm] [--evtx FILE]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNdjson } from '../src/demo/generate.js';
import { DEMO_FORMATS, type DemoFormat } from '../src/demo/formats.js';
import { numOption, option, flag } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const events = numOption('events', 100000);
const hosts = numOption('hosts', 200);
const repeat = Math.max(1, numOption('repeat', 3));
const workers = option('workers', '1');
const evtxFile = resolve(option('evtx', process.env.SPOOR_BENCH_EVTX ?? join(tmpdir(), 'spoor-bench', 'evtx-bench.evtx')));
const formats = option('formats', [...DEMO_FORMATS, 'evtx'].join(',')).split(',') as (DemoFormat | 'evtx')[];
const sigmaDir = resolve(root, process.env.SPOOR_SHARED ?? '../shared', 'conformance/sigma/rules/windows');
const withSigma = !flag('no-sigma') && existsSync(sigmaDir);
const withWarm = flag('warm');
const skipReason = flag('no-sigma') ? '--no-sigma' : `${sigmaDir} is absent`;

type Row = { events: number; cpuS: number; loadCpuS?: number; alerts?: number; prefiltered?: number; rules?: number; maxRssKb?: number };
const cacheDir = mkdtempSync(join(tmpdir(), 'spoor-bench-formats-cache-'));
const env = { ...process.env, SPOOR_CACHE_DIR: cacheDir };
const child = (argv: string[], script = 'formats-child.js'): Row =>
  JSON.parse(execFileSync(process.execPath, [join(here, script), ...argv], { encoding: 'utf8', env, maxBuffer: 1 << 26 }).trim().split('\n').pop()!) as Row;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const f = (n: number): string => Math.round(n).toLocaleString('en-US');

const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-formats-'));
const out: string[] = [];
try {
  for (const format of formats) {
    const evtx = format === 'evtx';
    if (evtx && !existsSync(evtxFile)) {
      out.push(`| evtx | skipped: ${evtxFile} is absent (node dist/bench/evtx.js builds it) | | | | |`);
      continue;
    }
    const file = evtx ? evtxFile : join(dir, `${format}.ndjson`);
    const gen = evtx ? { events: 0 } : await writeNdjson({ events, hosts, seed: 7, format }, file);
    const mb = statSync(file).size / 1048576;
    const floors: Row[] = [];
    const packs: Row[] = [];
    const sigmas: Row[] = [];
    const warms: Row[] = [];
    for (let i = 0; i < repeat; i++) {
      floors.push(evtx ? child([file, '1'], 'evtx-parse-child.js') : child(['floor', file]));
      packs.push(child(['hunt', file, '', workers]));
      if (withWarm) warms.push(child(['hunt', file, '', workers, 'warm']));
      if (withSigma) sigmas.push(child(['hunt', file, sigmaDir, workers]));
    }
    if (evtx) gen.events = floors[0]!.events;
    else rmSync(file, { force: true });
    const floorRate = median(floors.map((r) => r.events / r.cpuS));
    const rate = (rows: Row[]): number => median(rows.map((r) => r.events / Math.max(1e-6, r.cpuS - (r.loadCpuS ?? 0))));
    const cell = (rows: Row[], parsed = false): string => {
      const r = rate(rows);
      // With Sigma rules too: the share of lines the prefilter left unparsed (sigma-text.ts).
      const skipped = parsed && gen.events > 0 ? `; ${(100 * (rows[0]!.prefiltered ?? 0) / gen.events).toFixed(1)}% not parsed` : '';
      return `${f(r)} (**${((100 * r) / floorRate).toFixed(0)}%**; ${rows[0]!.alerts} alerts; load ${median(rows.map((x) => x.loadCpuS ?? 0)).toFixed(1)} s${skipped})`;
    };
    const pre = packs[0]!.prefiltered ?? 0;
    out.push(
      `| ${format} | ${mb.toFixed(0)} MB, ${f(gen.events)} events (${f(mb * 1048576 / gen.events)} B/event) | ${f(floorRate)} | ${cell(packs)} | ${(100 * pre / gen.events).toFixed(1)}% | ${withSigma ? cell(sigmas, true) : `skipped: ${skipReason}`} |${withWarm ? ` ${cell(warms)} |` : ''}`,
    );
    console.error(`${format}: floor cpu s ${floors.map((r) => r.cpuS.toFixed(2)).join(' ')}; pack ${packs.map((r) => r.cpuS.toFixed(2)).join(' ')}; sigma ${sigmas.map((r) => r.cpuS.toFixed(2)).join(' ')}; warm ${warms.map((r) => r.cpuS.toFixed(2)).join(' ')}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
}
console.log(`${f(events)} generated events per format, ${hosts} hosts, seed 7; hunts with ${workers} worker(s); medians of ${repeat} interleaved runs, each in a fresh process; events per CPU-second (all threads), hunt rates without rule loading\n`);
console.log(`| format | input | floor: read + JSON.parse; EVTX: spoor's reader (events/CPU-s) | hunt, built-in pack (events/CPU-s, of floor) | lines not parsed (prefilter) | hunt, built-in + SigmaHQ Windows (events/CPU-s, of floor) |${withWarm ? ' built-in pack, second hunt in the process (warm JIT) |' : ''}`);
console.log(`|---|---|---|---|---|---|${withWarm ? '---|' : ''}`);
for (const l of out) console.log(l);
