/**
 * Every benchmark in one run (`npm run bench`), one after the other in fresh processes, so the
 * figures in BENCHMARKS.md come from one sitting on one machine: the EQL engine, the EVTX reader
 * (beside evtxexport and python-evtx), `spoor hunt` end to end (beside read + JSON.parse only),
 * Sigma at scale, and `spoor serve` (server in its own process). Prints the machine, then each benchmark's markdown table.
 * Usage: npm run build && npm run bench [-- --quick]
 *   --quick: smaller inputs (a smoke run; the BENCHMARKS.md figures use the defaults)
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const steps: { title: string; script: string; args: string[]; node?: string[] }[] = [
  { title: 'EQL engine', script: 'eql.js', args: quick ? ['--events', '200000', '--runs', '1', '--memory-events', '1000000'] : ['--runs', '3'], node: ['--expose-gc'] },
  { title: 'EVTX reader', script: 'evtx.js', args: quick ? ['--python-records', '300'] : [] },
  { title: 'spoor hunt end to end', script: 'hunt.js', args: quick ? ['--gb', '0.25'] : [] },
  { title: 'Sigma at scale', script: 'sigma.js', args: [] },
  { title: 'hunt memory as files and size grow', script: 'hunt-memory.js', args: quick ? ['--quick'] : [] },
  { title: 'Rule regexes: safe matcher vs plain RegExp', script: 'regex.js', args: quick ? ['--runs', '3'] : ['--runs', '11'] },
  { title: 'Sigma matching for thousands of rules (pre-parsed events)', script: 'sigma-match.js', args: quick ? ['--repeat', '1', '--events', '200000', '--sample', '200'] : ['--repeat', '3', '--sample', '1000'] },
  { title: 'Sigma hunt over EVTX vs the parse-only floor', script: 'sigma-hunt.js', args: quick ? ['--repeat', '1'] : ['--repeat', '3'] },
  { title: 'spoor query end to end (threads, one thread, Python eql when SPOOR_PYTHON_EQL is set)', script: 'query.js', args: quick ? ['--events', '20000', '--runs', '1'] : ['--runs', '3'] },
  { title: 'hunt: one host in many files, one unit vs time slices', script: 'hunt-slices.js', args: quick ? ['--events', '30000', '--runs', '1'] : ['--events', '150000', '--runs', '3'] },
  { title: 'spoor serve: durable ingest with detection, ack → alert latency, RSS', script: 'serve.js', args: quick ? ['--events', '50000', '--paced-seconds', '20'] : ['--events', '200000', '--paced-seconds', '120'] },
  { title: 'Every input format vs its parse-only floor', script: 'formats.js', args: quick ? ['--events', '20000', '--repeat', '1', '--no-sigma'] : ['--events', '100000', '--repeat', '3', '--workers', '0'] },
];

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`# spoor benchmarks — ${new Date().toISOString()}`);
console.log(`Node ${process.version}, ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
let failed = 0;
for (const s of steps) {
  console.log(`## ${s.title}\n\n\`node ${[...(s.node ?? []), `dist/bench/${s.script}`, ...s.args].join(' ')}\`\n`);
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [...(s.node ?? []), join(here, s.script), ...s.args], { stdio: 'inherit' });
  console.log(`\n(${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(0)} s, exit ${r.status})\n`);
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
