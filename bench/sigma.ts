/**
 * Sigma at scale (issue: `spoor hunt --sigma`): all of SigmaHQ's Windows rules over every
 * EVTX-ATTACK-SAMPLES file, end to end (read EVTX → normalize → dispatch by EventID → match).
 * Reports load/compile time, events/s of the hunt, alerts, and peak memory, each hunt in a fresh
 * process. Also the same hunt with the built-in pack only, to show what 2,407 rules cost.
 * Usage: node dist/bench/sigma.js [--workers N]
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, statSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const shared = resolve(root, process.env.SPOOR_SHARED ?? '../shared');
const rulesDir = join(shared, 'conformance/sigma/rules/windows');
const samples = join(shared, 'datasets/evtx-attack-samples');
if (!existsSync(rulesDir) || !existsSync(samples)) {
  console.error(`bench/sigma needs ${rulesDir} and ${samples}`);
  process.exit(2);
}
const args = process.argv.slice(2);
const wi = args.indexOf('--workers');
const workers = wi >= 0 ? Number(args[wi + 1]) : availableParallelism();

function run(sigma: boolean, input: string): Record<string, number | string> {
  const argv = [join(here, 'sigma-child.js'), String(workers), sigma ? rulesDir : '', input];
  return JSON.parse(execFileSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop()!) as Record<string, number | string>;
}

// The large EVTX file bench/evtx builds from the same samples (100k records): the steady state,
// where starting workers and compiling the rules in each no longer dominate.
const big = process.env.SPOOR_BENCH_EVTX ?? join(tmpdir(), 'spoor-bench', 'evtx-bench.evtx');
const rows: [string, string, Record<string, number | string>][] = [
  ['built-in pack only', 'attack samples (277 files)', run(false, samples)],
  ['built-in pack + 2,407 SigmaHQ Windows rules', 'attack samples (277 files)', run(true, samples)],
];
if (existsSync(big)) {
  rows.push(['built-in pack only', `evtx-bench.evtx (${(statSync(big).size / 1048576).toFixed(0)} MB)`, run(false, big)]);
  rows.push(['built-in pack + 2,407 SigmaHQ Windows rules', `evtx-bench.evtx (${(statSync(big).size / 1048576).toFixed(0)} MB)`, run(true, big)]);
} else console.error(`no ${big}: run node dist/bench/evtx.js first for the large-file rows`);
console.log(`| rules | input | rules loaded | rule load s | events | hunt s (incl. load) | events/s (excl. load) | alerts | peak RSS |`);
console.log(`|---|---|---|---|---|---|---|---|---|`);
for (const [label, input, r] of rows) {
  console.log(
    `| ${label} | ${input} | ${r.rules} | ${Number(r.loadSeconds).toFixed(2)} | ${Number(r.events).toLocaleString('en-US')} | ${Number(r.seconds).toFixed(2)} | ${Math.round(Number(r.events) / Math.max(1e-3, Number(r.seconds) - Number(r.loadSeconds))).toLocaleString('en-US')} | ${r.alerts} | ${(Number(r.maxRssKb) / 1024).toFixed(0)} MB |`,
  );
}
