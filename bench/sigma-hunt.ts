/**
 * `spoor hunt --sigma` over EVTX against the EVTX parse-only floor, in one sitting (issue 12
 * item 1): the large EVTX file bench/evtx builds from ../shared/datasets (evtx-bench.evtx in the
 * OS temp dir, or SPOOR_BENCH_EVTX), hunted with all 2,407 SigmaHQ Windows rules plus the
 * built-in pack, each run in a fresh process, interleaved with the floor (spoor's EVTX reader
 * only, same worker count), --repeat times; medians reported, by wall time and by CPU time
 * (all threads). The hunt's figures are end to end: they include rule load (through the load
 * cache, warmed first) and each worker building the multi-rule matcher.
 * Usage: node dist/bench/sigma-hunt.js [--workers 2] [--repeat 3]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numOption } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const shared = resolve(root, process.env.SPOOR_SHARED ?? '../shared');
const rulesDir = join(shared, 'conformance/sigma/rules/windows');
const big = process.env.SPOOR_BENCH_EVTX ?? join(tmpdir(), 'spoor-bench', 'evtx-bench.evtx');
if (!existsSync(rulesDir) || !existsSync(big)) {
  console.error(`bench/sigma-hunt needs ${rulesDir} and ${big} (node dist/bench/evtx.js builds it)`);
  process.exit(2);
}
const workers = numOption('workers', availableParallelism());
const repeat = Math.max(1, numOption('repeat', 3));
const cacheDir = mkdtempSync(join(tmpdir(), 'spoor-bench-cache-'));
const env = { ...process.env, SPOOR_CACHE_DIR: cacheDir };

type Row = { events: number; seconds: number; cpuS: number; maxRssKb: number; alerts?: number };
const runJson = (script: string, argv: string[]): Row =>
  JSON.parse(execFileSync(process.execPath, [join(here, script), ...argv], { encoding: 'utf8', env, maxBuffer: 1 << 26 }).trim().split('\n').pop()!) as Row;

runJson('sigma-child.js', [String(workers), rulesDir, join(shared, 'datasets/evtx-attack-samples/Execution/exec_sysmon_1_lolbin_pcalua.evtx')]); // fills the load cache
const floors: Row[] = [];
const hunts: Row[] = [];
const packs: Row[] = [];
for (let i = 0; i < repeat; i++) {
  floors.push(runJson('evtx-parse-child.js', [big, String(workers)]));
  hunts.push(runJson('sigma-child.js', [String(workers), rulesDir, big]));
  packs.push(runJson('sigma-child.js', [String(workers), '', big]));
}
rmSync(cacheDir, { recursive: true, force: true });
const med = (rows: Row[], f: (r: Row) => number): number => rows.map(f).sort((a, b) => a - b)[Math.floor((rows.length - 1) / 2)]!;
const fRate = med(floors, (r) => r.events / r.seconds);
const hRate = med(hunts, (r) => r.events / r.seconds);
const fCpu = med(floors, (r) => r.events / r.cpuS);
const hCpu = med(hunts, (r) => r.events / r.cpuS);
const pRate = med(packs, (r) => r.events / r.seconds);
const pCpu = med(packs, (r) => r.events / r.cpuS);
const f = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (statSync(big).size / 1048576).toFixed(0);
console.log(`evtx-bench.evtx (${mb} MB, ${f(hunts[0]!.events)} records), ${workers} workers, median of ${repeat} interleaved runs\n`);
console.log('| run | events/s (wall) | events per CPU-second | vs floor (wall / CPU) | alerts | peak RSS |');
console.log('|---|---|---|---|---|---|');
console.log(`| EVTX parse only (floor) | ${f(fRate)} | ${f(fCpu)} | 100% / 100% | — | ${(Math.max(...floors.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MB |`);
console.log(`| spoor hunt, built-in pack + 2,407 SigmaHQ rules | ${f(hRate)} | ${f(hCpu)} | **${((100 * hRate) / fRate).toFixed(0)}% / ${((100 * hCpu) / fCpu).toFixed(0)}%** | ${hunts[0]!.alerts} | ${(Math.max(...hunts.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MB |`);
console.log(`| spoor hunt, built-in pack only (no Sigma: what the hunt costs without the rules) | ${f(pRate)} | ${f(pCpu)} | ${((100 * pRate) / fRate).toFixed(0)}% / ${((100 * pCpu) / fCpu).toFixed(0)}% | ${packs[0]!.alerts} | ${(Math.max(...packs.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MB |`);
console.error(`floor s: ${floors.map((r) => r.seconds.toFixed(2)).join(' ')}; hunt s: ${hunts.map((r) => r.seconds.toFixed(2)).join(' ')}`);
