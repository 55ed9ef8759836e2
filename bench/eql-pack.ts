/**
 * Elastic's whole prebuilt EQL pack at speed (issue 11, item 3): every Windows and cross-platform
 * EQL rule of ../shared/reference/elastic-detection-rules/repo (building blocks included,
 * deprecated rules left out; Linux- and macOS-only rules left out by their `OS:` tags) over
 *  - the 1 GB generated Elastic Defend NDJSON of bench/hunt.ts (generated and cached on first use),
 *  - the 100k-record EVTX file of bench/evtx.ts (run `node dist/bench/evtx.js --spoor-only` first).
 * Beside each hunt, in the same run and interleaved, the parse-only floor of the same file:
 * read + JSON.parse (NDJSON) or read + parse the records (EVTX) on one thread. Because the
 * machine is shared, the ratio is taken on CPU time (events per CPU-second, all threads counted),
 * the median of `--repeat` interleaved runs; wall-clock rates are printed too. A hunt's rates are
 * taken after its rules are loaded (as `spoor hunt` reports its events/s); the load's CPU seconds
 * are shown apart, and the whole process's CPU in the log lines.
 * Usage: node dist/bench/eql-pack.js [--workers 2] [--repeat 3] [--only ndjson|evtx] [--events N]
 * (`--events`: size of the generated NDJSON, default ~1 GB = 1,073,742 events, generated in the OS temp
 * dir and deleted at the end unless `--keep` is given or it was there before.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNdjson } from '../src/demo/generate.js';
import { elasticPack } from './elastic-pack.js';
import { flag, numOption, option } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const shared = resolve(root, process.env.SPOOR_SHARED ?? '../shared');
const workers = numOption('workers', availableParallelism());
const repeat = Math.max(1, numOption('repeat', 3));
const only = option('only', '');
const dir = join(tmpdir(), 'spoor-bench');
mkdirSync(dir, { recursive: true });

// The pack: Windows and cross-platform EQL rules.
const rulesJson = join(dir, 'eql-pack-rules.json');
const { chosen, loaded, sources } = elasticPack(shared, 'bench/eql-pack');
writeFileSync(rulesJson, sources);
const defendOnly = chosen.filter((r) => JSON.stringify(r.gate?.flavours) === '["elastic-defend"]').length;
console.error(`pack: ${chosen.length} of ${loaded} EQL rules (Windows / cross-platform, not deprecated); ${defendOnly} apply to Elastic Defend data only`);

/** Files this run generated, deleted at the end unless --keep. */
const generated: string[] = [];
async function defendFile(): Promise<string> {
  const events = numOption('events', Math.round((1024 * 1024 * 1024) / 1000));
  const path = join(dir, `defend-${events}-5000-seed7.ndjson`);
  if (!existsSync(path) || !existsSync(path + '.planted')) {
    generated.push(path, path + '.planted');
    const r = await writeNdjson({ events, hosts: 5000, seed: 7 }, path);
    writeFileSync(path + '.planted', String(r.planted.length));
  }
  return path;
}

function child(argv: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [join(here, 'eql-pack-child.js'), ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}
function median(runs: Record<string, unknown>[], key: string): Record<string, unknown> {
  const s = [...runs].sort((a, b) => (a[key] as number) - (b[key] as number));
  return { ...s[Math.floor((s.length - 1) / 2)]!, maxRssKb: Math.max(...runs.map((r) => r.maxRssKb as number)) };
}
const n = (v: unknown): number => Number(v);
const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');

const inputs: { label: string; path: string }[] = [];
if (only !== 'evtx') inputs.push({ label: 'generated Defend NDJSON', path: await defendFile() });
const evtx = process.env.SPOOR_BENCH_EVTX ?? join(dir, 'evtx-bench.evtx');
if (only !== 'ndjson') {
  if (existsSync(evtx)) inputs.push({ label: 'EVTX (bench/evtx.ts)', path: evtx });
  else console.error(`no ${evtx}: run node dist/bench/evtx.js --spoor-only first`);
}

const rows: string[] = [];
for (const input of inputs) {
  const floors: Record<string, unknown>[] = [];
  const hunts: Record<string, unknown>[] = [];
  const builtins: Record<string, unknown>[] = [];
  for (let i = 0; i < repeat; i++) {
    floors.push(child(['floor', input.path]));
    hunts.push(child(['hunt', String(workers), rulesJson, input.path]));
    builtins.push(child(['hunt', String(workers), '', input.path]));
  }
  const cpus = (rs: Record<string, unknown>[]): string => rs.map((r) => `${n(r.huntCpuSeconds).toFixed(1)} (+${n(r.loadCpuSeconds).toFixed(1)} load)`).join(' ');
  console.error(`${input.label}: floor cpu s ${floors.map((r) => n(r.cpuSeconds).toFixed(1)).join(' ')}; pack cpu s ${cpus(hunts)}; built-in cpu s ${cpus(builtins)}`);
  console.error(`${input.label}: pack hunt work units ${hunts.map((r) => String(r.units)).join(' ')}, overlap events read ${hunts.map((r) => String(r.overlapRead)).join(' ')}; built-in ${builtins.map((r) => String(r.units)).join(' ')} / ${builtins.map((r) => String(r.overlapRead)).join(' ')}`);
  const f = median(floors, 'cpuSeconds');
  const h = median(hunts, 'huntCpuSeconds');
  const b = median(builtins, 'huntCpuSeconds');
  const floorCpuRate = n(f.events) / n(f.cpuSeconds);
  const mb = (statSync(input.path).size / 1048576).toFixed(0);
  // Rates are per event of the input (the floor's count). Before 2026-12-02 13:00 UTC a pack hunt
  // read the file twice (its sequences without maxspan in one unit beside the split units of the
  // others) and counted its events twice; a count that differs from the input's is shown apart.
  const inputEvents = n(f.events);
  const row = (what: string, r: Record<string, unknown>, extra: string): string => {
    const cpu = n(r.huntCpuSeconds ?? r.cpuSeconds);
    const load = r.loadCpuSeconds === undefined ? '—' : n(r.loadCpuSeconds).toFixed(1);
    return `| ${what} | ${input.label}, ${mb} MB | ${fmt(inputEvents)}${n(r.events) !== inputEvents ? ` (${fmt(n(r.events))} read)` : ''} | ${fmt(inputEvents / cpu)} | ${fmt(inputEvents / n(r.huntSeconds ?? r.seconds))} | ${(((inputEvents / cpu) / floorCpuRate) * 100).toFixed(0)}% | ${load} | ${(n(r.maxRssKb) / 1024).toFixed(0)} MB | ${extra} |`;
  };
  rows.push(row('read + parse only, 1 thread (floor)', f, '—'));
  rows.push(row(`spoor hunt, built-in pack (${workers} workers)`, b, String(b.alerts)));
  rows.push(row(`spoor hunt, built-in + ${chosen.length} Elastic EQL rules (${workers} workers)`, h, `${String(h.alerts)}; top: ${JSON.stringify(h.top)}`));
}
console.log(`| run | input | events | events/CPU-s | events/s (wall) | of floor (CPU) | rule load (CPU s) | peak RSS | alerts |`);
console.log(`|---|---|---|---|---|---|---|---|---|`);
for (const r of rows) console.log(r);
if (!flag('keep')) for (const f of generated) rmSync(f, { force: true });
