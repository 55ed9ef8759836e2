/**
 * End-to-end hunt benchmark (issue: `spoor hunt` speed and memory).
 *
 * 1. Generates Elastic-Defend-style NDJSON with the demo generator (cached in the OS temp dir):
 *    a small and a large file (default 256 MB and 1 GB), with planted attacks of known count.
 * 2. Measures, in the same run and on the same cores: Node merely reading + JSON.parse-ing the
 *    large file on N worker threads (the floor), then `spoor hunt` over each file in a fresh
 *    process (events/s, peak RSS of the whole process including workers, alerts found).
 * 3. Hunts the large EVTX file that bench/evtx builds from the attack samples (or SPOOR_BENCH_EVTX).
 * The floor and the large hunt run `--repeat` times, interleaved (floor, hunt, floor, hunt…), and
 * the median of each is reported: on a shared machine single runs vary by ±10%.
 * Prints a markdown table. Usage: node dist/bench/hunt.js [--gb 1] [--workers 2] [--repeat 3]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNdjson } from '../src/demo/generate.js';
import { numOption } from './args.js';

const gb = numOption('gb', 1);
const workers = numOption('workers', availableParallelism());
const repeat = Math.max(1, numOption('repeat', 3));
const here = dirname(fileURLToPath(import.meta.url));
const dir = join(tmpdir(), 'spoor-bench');
mkdirSync(dir, { recursive: true });

const BYTES_PER_EVENT_GUESS = 1000;
async function dataset(bytes: number, hosts: number): Promise<{ path: string; planted: number }> {
  const events = Math.round(bytes / BYTES_PER_EVENT_GUESS);
  const path = join(dir, `defend-${events}-${hosts}-seed7.ndjson`);
  const meta = path + '.planted';
  if (!existsSync(path) || !existsSync(meta)) {
    const r = await writeNdjson({ events, hosts, seed: 7 }, path);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(meta, String(r.planted.length));
  }
  const { readFileSync } = await import('node:fs');
  return { path, planted: Number(readFileSync(meta, 'utf8')) };
}

function runJson(script: string, argv: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [join(here, script), ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

const small = await dataset(256 * 1024 * 1024, 2000);
const large = await dataset(gb * 1024 * 1024 * 1024, 5000);
const mb = (p: string): number => statSync(p).size / 1048576;

/** The run with the median time (the middle one of an odd count). */
function median(runs: Record<string, unknown>[]): Record<string, unknown> {
  const sorted = [...runs].sort((a, b) => (a.seconds as number) - (b.seconds as number));
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, maxRssKb: Math.max(...runs.map((r) => r.maxRssKb as number)) };
}
const parses: Record<string, unknown>[] = [];
const hunts: Record<string, unknown>[] = [];
for (let i = 0; i < repeat; i++) {
  parses.push(runJson('parse-only.js', [large.path, String(workers)]));
  hunts.push(runJson('hunt-child.js', [String(workers), large.path]));
}
console.error(`floor runs (s): ${parses.map((r) => (r.seconds as number).toFixed(2)).join(' ')}; hunt runs (s): ${hunts.map((r) => (r.seconds as number).toFixed(2)).join(' ')}`);
const parse = median(parses);
const rows: string[][] = [];
const parseRate = (parse.events as number) / (parse.seconds as number);
rows.push(['read + JSON.parse only (floor)', `${mb(large.path).toFixed(0)} MB`, fmt(parse.events), fmt(parseRate), (mb(large.path) / (parse.seconds as number)).toFixed(0), '—', kbToMb(parse.maxRssKb), '—']);
for (const d of [small, large]) {
  const h = d === large ? median(hunts) : runJson('hunt-child.js', [String(workers), d.path]);
  const rate = (h.events as number) / (h.seconds as number);
  rows.push([
    `spoor hunt (${workers} workers)`,
    `${mb(d.path).toFixed(0)} MB`,
    fmt(h.events),
    fmt(rate),
    (mb(d.path) / (h.seconds as number)).toFixed(0),
    d === large ? `${((rate / parseRate) * 100).toFixed(0)}%` : '—',
    kbToMb(h.maxRssKb),
    `${h.alerts} (planted ${d.planted})`,
  ]);
}
const evtx = process.env.SPOOR_BENCH_EVTX ?? join(dir, 'evtx-bench.evtx');
if (!existsSync(evtx)) console.error(`no ${evtx}: run node dist/bench/evtx.js first to build the large EVTX file`);
else {
  const h = runJson('hunt-child.js', [String(workers), evtx]);
  rows.push([`spoor hunt EVTX (${workers} workers)`, `${mb(evtx).toFixed(0)} MB`, fmt(h.events), fmt((h.events as number) / (h.seconds as number)), (mb(evtx) / (h.seconds as number)).toFixed(0), '—', kbToMb(h.maxRssKb), String(h.alerts)]);
}

console.log(`| run | input | events | events/s | MB/s | of parse-only rate | peak RSS | alerts |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);

function fmt(n: unknown): string {
  return Math.round(Number(n)).toLocaleString('en-US');
}
function kbToMb(kb: unknown): string {
  return `${(Number(kb) / 1024).toFixed(0)} MB`;
}
