/**
 * `spoor hunt` over many files of one host: one unit per host (the old plan: the host's whole
 * history merged on one thread) vs time slices of the host (hunt/slices.ts), interleaved runs in
 * fresh processes, medians. CPU is user + system time of all threads; cores busy = CPU / wall.
 * The data: the demo generator's events for one host (plus planted attacks), written as
 * `--files` rotated NDJSON files in os.tmpdir() and deleted afterwards.
 * Usage: node dist/bench/hunt-slices.js [--events 600000] [--files 8] [--runs 3] [--workers 2]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateEvents } from '../src/demo/generate.js';
import { numOption } from './args.js';

const events = numOption('events', 600_000);
const nFiles = numOption('files', 8);
const runs = numOption('runs', 3);
const workers = numOption('workers', cpus().length);
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-slices-'));

interface Fig { events: number; wall: number; cpu: number; units: number; rerun: number; alertIds: string; alerts: number }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const g = generateEvents({ events, hosts: 1, seed: 11 });
  const per = Math.ceil(events / nFiles);
  let i = 0;
  let out: ReturnType<typeof createWriteStream> | null = null;
  for (const line of g.lines) {
    if (i % per === 0) {
      if (out) { out.end(); await once(out, 'close'); }
      out = createWriteStream(join(dir, `host-${String(i / per).padStart(2, '0')}.ndjson`));
    }
    if (!out!.write(line + '\n')) await once(out!, 'drain');
    i++;
  }
  if (out) { out.end(); await once(out, 'close'); }

  const modes = ['whole', 'sliced'] as const;
  const figs: Record<string, Fig[]> = { whole: [], sliced: [] };
  for (let r = 0; r < runs; r++) {
    for (const m of r % 2 === 0 ? modes : [...modes].reverse()) {
      const p = spawnSync(process.execPath, [join(here, 'hunt-slices-child.js'), m, String(workers), dir], { encoding: 'utf8' });
      if (p.status !== 0 && p.status !== 1) throw new Error(`child failed: ${p.stderr}`);
      figs[m]!.push(JSON.parse(p.stdout.trim().split('\n').pop()!) as Fig);
    }
  }
  const same = figs.whole!.every((f) => f.alertIds === figs.sliced![0]!.alertIds) && figs.sliced!.every((f) => f.alertIds === figs.sliced![0]!.alertIds);
  console.log(`${events.toLocaleString('en')} events of one host in ${nFiles} files, ${workers} workers, ${runs} interleaved runs (medians)\n`);
  console.log('| plan | units | wall s | CPU s | cores busy (CPU/wall) | events/wall-s | alerts |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const m of modes) {
    const f = figs[m]!;
    const wall = median(f.map((x) => x.wall));
    const cpu = median(f.map((x) => x.cpu));
    console.log(`| ${m === 'whole' ? 'one unit per host (before)' : 'time slices (after)'} | ${f[0]!.units}${f[0]!.rerun ? ` (${f[0]!.rerun} rerun)` : ''} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} | ${(cpu / wall).toFixed(2)} | ${Math.round(f[0]!.events / wall).toLocaleString('en')} | ${f[0]!.alerts} |`);
  }
  const w = median(figs.whole!.map((x) => x.wall)) / median(figs.sliced!.map((x) => x.wall));
  console.log(`\nwall-time speed-up of slices: ${w.toFixed(2)}×; same alerts in every run: ${same ? 'yes' : 'NO'}`);
  if (!same) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
