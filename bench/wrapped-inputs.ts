/**
 * The same events in the wrappings a responder receives them in, against the plain file:
 * `spoor hunt` (built-in pack, one thread) over flat nxlog-style NDJSON (the demo generator's
 * `nxlog` format), the same lines behind an RFC 3164 syslog header (an rsyslog file), in UTF-16LE
 * with a BOM (PowerShell's `>`), gzip-compressed, and inside a zip archive (deflate). Fresh
 * processes, interleaved, medians of CPU (user + system, all threads); the files are written to
 * os.tmpdir() and deleted afterwards. Every wrapping must give the plain file's events and alerts.
 * Usage: node dist/bench/wrapped-inputs.js [--events 100000] [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { writeNdjson } from '../src/demo/generate.js';
import { makeZip } from '../test/sources/zip-writer.js';
import { numOption } from './args.js';

const events = numOption('events', 100_000);
const runs = numOption('runs', 3);
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-wrapped-'));

interface Fig { events: number; wall: number; cpu: number; alertIds: string; alerts: number }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function hunt(input: string): Fig {
  const p = spawnSync(process.execPath, [join(here, 'hunt-slices-child.js'), 'sliced', '0', input], { encoding: 'utf8' });
  if (p.status !== 0 && p.status !== 1) throw new Error(`child failed: ${p.stderr}`);
  return JSON.parse(p.stdout.trim().split('\n').pop()!) as Fig;
}

try {
  const plain = join(dir, 'plain.ndjson');
  await writeNdjson({ events, hosts: 50, seed: 9, format: 'nxlog' }, plain);
  const bytes = readFileSync(plain);
  const text = bytes.toString('utf8');
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const header = (i: number): string => `${MONTHS[i % 12]} ${String(1 + (i % 28)).padStart(2, ' ')} 10:00:${String(i % 60).padStart(2, '0')} WIN-HOST-${i % 50} nxlog[1234]: `;
  const inputs: Record<string, string> = {
    'plain NDJSON': plain,
    'syslog header on each line': join(dir, 'syslog.log'),
    'UTF-16LE with BOM': join(dir, 'utf16.ndjson'),
    gzip: join(dir, 'plain.ndjson.gz'),
    'zip (deflate)': join(dir, 'logs.zip'),
  };
  writeFileSync(inputs['syslog header on each line']!, text.split('\n').map((l, i) => (l === '' ? l : header(i) + l)).join('\n'));
  writeFileSync(inputs['UTF-16LE with BOM']!, Buffer.from(`\ufeff${text}`, 'utf16le'));
  writeFileSync(inputs.gzip!, gzipSync(bytes));
  writeFileSync(inputs['zip (deflate)']!, makeZip([{ name: 'Security.ndjson', data: bytes }]));

  const names = Object.keys(inputs);
  const figs = new Map<string, Fig[]>(names.map((n) => [n, []]));
  for (let r = 0; r < runs; r++) for (const n of r % 2 === 0 ? names : [...names].reverse()) figs.get(n)!.push(hunt(inputs[n]!));
  const base = figs.get('plain NDJSON')!;
  const baseCpu = median(base.map((f) => f.cpu));
  console.log(`${base[0]!.events.toLocaleString('en')} flat nxlog-style events (${(bytes.length / 1048576).toFixed(0)} MB), spoor hunt with the built-in pack, one thread, ${runs} interleaved runs (medians)\n`);
  console.log('| input | CPU s | events/CPU-s | CPU vs plain | same events and alerts |');
  console.log('|---|---:|---:|---:|---|');
  let allSame = true;
  for (const n of names) {
    const f = figs.get(n)!;
    const cpu = median(f.map((x) => x.cpu));
    const same = f.every((x) => x.events === base[0]!.events && x.alertIds === base[0]!.alertIds);
    allSame &&= same;
    console.log(`| ${n} | ${cpu.toFixed(2)} | ${Math.round(f[0]!.events / cpu).toLocaleString('en')} | ${(cpu / baseCpu).toFixed(2)}× | ${same ? 'yes' : 'NO'} (${f[0]!.events.toLocaleString('en')} events, ${f[0]!.alerts} alerts) |`);
  }
  if (!allSame) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
