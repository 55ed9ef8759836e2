/**
 * Sigma at scale (issue: `spoor hunt --sigma`): all of SigmaHQ's Windows rules over every
 * EVTX-ATTACK-SAMPLES file, end to end (read EVTX → normalize → dispatch by EventID → match).
 * Reports load/compile time, events/s of the hunt, alerts, and peak memory, each hunt in a fresh
 * process. Also the same hunt with the built-in pack only, to show what 2,407 rules cost.
 * Usage: node dist/bench/sigma.js [--workers N]
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

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

function run(sigma: boolean): Record<string, number | string> {
  const argv = [join(here, 'sigma-child.js'), String(workers), sigma ? rulesDir : '', samples];
  return JSON.parse(execFileSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop()!) as Record<string, number | string>;
}

const rows = [
  ['built-in pack only', run(false)],
  ['built-in pack + 2,407 SigmaHQ Windows rules', run(true)],
] as const;
console.log(`| rules | rules loaded | rule load s | events | hunt s (incl. load) | events/s (excl. load) | alerts | peak RSS |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const [label, r] of rows) {
  console.log(
    `| ${label} | ${r.rules} | ${Number(r.loadSeconds).toFixed(2)} | ${Number(r.events).toLocaleString('en-US')} | ${Number(r.seconds).toFixed(2)} | ${Math.round(Number(r.events) / Math.max(1e-3, Number(r.seconds) - Number(r.loadSeconds))).toLocaleString('en-US')} | ${r.alerts} | ${(Number(r.maxRssKb) / 1024).toFixed(0)} MB |`,
  );
}
