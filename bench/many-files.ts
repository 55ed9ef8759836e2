/**
 * `spoor hunt` over a directory of many small files vs the same events in one file: what each
 * file costs beyond its events (discovery, sniffing, planning, one merged stream per file).
 * The data: the demo generator's events (several hosts, planted attacks), written once as one
 * NDJSON file and once cut into `--files` files of consecutive lines, in os.tmpdir(), deleted
 * afterwards. Fresh processes, interleaved, medians; CPU is user + system of all threads.
 * `--limit N` runs the hunts under `ulimit -n N` (a usual desktop limit is 1,024 open files).
 * Usage: node dist/bench/many-files.js [--events 45000] [--files 3000] [--runs 3] [--workers 0] [--limit 1024]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateEvents } from '../src/demo/generate.js';
import { maybeOption, numOption } from './args.js';

const events = numOption('events', 45_000);
const nFiles = numOption('files', 3000);
const runs = numOption('runs', 3);
const workers = numOption('workers', 0);
const limit = maybeOption('limit');
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-many-'));

interface Fig { events: number; wall: number; cpu: number; units: number; alertIds: string; alerts: number; maxRssKb: number }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function hunt(input: string): Fig {
  const args = [join(here, 'hunt-slices-child.js'), 'sliced', String(workers), input];
  const p = limit === undefined
    ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8' })
    : spawnSync('bash', ['-c', `ulimit -n ${Number(limit)} && exec /usr/bin/time -f %M '${process.execPath}' ${args.map((a) => `'${a}'`).join(' ')}`], { encoding: 'utf8' });
  if (p.status !== 0 && p.status !== 1) throw new Error(`child failed: ${p.stderr}`);
  const fig = JSON.parse(p.stdout.trim().split('\n').pop()!) as Omit<Fig, 'maxRssKb'>;
  return { ...fig, maxRssKb: Number(p.stderr.trim().split('\n').pop()) };
}

try {
  const lines = [...generateEvents({ events, hosts: 20, seed: 5 }).lines];
  const one = join(dir, 'one.ndjson');
  writeFileSync(one, lines.join('\n') + '\n');
  const many = join(dir, 'many');
  mkdirSync(many);
  const per = Math.ceil(lines.length / nFiles);
  for (let i = 0; i * per < lines.length; i++) writeFileSync(join(many, `part-${String(i).padStart(5, '0')}.ndjson`), lines.slice(i * per, (i + 1) * per).join('\n') + '\n');

  const inputs = { one, many } as const;
  const figs: Record<keyof typeof inputs, Fig[]> = { one: [], many: [] };
  for (let r = 0; r < runs; r++) {
    for (const k of (r % 2 === 0 ? ['one', 'many'] : ['many', 'one']) as (keyof typeof inputs)[]) figs[k].push(hunt(inputs[k]));
  }
  const same = [...figs.one, ...figs.many].every((f) => f.alertIds === figs.one[0]!.alertIds && f.events === lines.length);
  console.log(`${lines.length.toLocaleString('en')} events, one file vs ${Math.ceil(lines.length / per).toLocaleString('en')} files of ${per} lines; workers ${workers}${limit ? `; ulimit -n ${limit}` : ''}; ${runs} interleaved runs (medians)\n`);
  console.log('| input | units | wall s | CPU s | events/CPU-s | peak RSS MB | alerts |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const k of ['one', 'many'] as const) {
    const f = figs[k];
    const cpu = median(f.map((x) => x.cpu));
    console.log(`| ${k === 'one' ? 'one file' : 'many files'} | ${f[0]!.units} | ${median(f.map((x) => x.wall)).toFixed(2)} | ${cpu.toFixed(2)} | ${Math.round(f[0]!.events / cpu).toLocaleString('en')} | ${Math.round(median(f.map((x) => x.maxRssKb)) / 1024)} | ${f[0]!.alerts} |`);
  }
  const ratio = median(figs.many.map((x) => x.cpu)) / median(figs.one.map((x) => x.cpu));
  console.log(`\nCPU of many files / one file: ${ratio.toFixed(2)}×; every event read and the same alerts in every run: ${same ? 'yes' : 'NO'}`);
  if (!same) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
