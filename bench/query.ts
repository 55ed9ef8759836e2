/**
 * `spoor query` end to end beside the Python `eql` engine (endgameinc/eql), on the same generated
 * Elastic Defend NDJSON and the file-share sequence query, interleaved runs in fresh processes,
 * medians of wall and CPU time (user + system of every thread, from /usr/bin/time when present).
 *
 *   spoor (default)   `spoor query` as a user runs it: one thread, hunt's line prefilter
 *   spoor (threads)   `spoor query --workers 2`: time slices on worker threads (hunt/query-run.ts)
 *   python eql        eql's PythonEngine in Elasticsearch-syntax mode, reading the same file
 *                     (`event.type` tests written as `arrayContains`, since event.type is an array)
 *
 * Python eql is not a dependency: give its source directory (the folder holding the `eql`
 * package; needs `lark`, Debian `python3-lark`) with `--python-eql DIR` or SPOOR_PYTHON_EQL.
 * Without it, that column is skipped and the reason printed. See BENCHMARKS.md.
 * With it, the bench also times each engine on an empty file (fixed cost) and checks that every
 * engine returns the same sequences (host, file path, time) and every planted attack; exit 1 if not.
 * Usage: node dist/bench/query.js [--events 100000] [--runs 3] [--python-eql DIR] [--python PYTHON3]
 *        [--before OTHER/dist/src/cli/main.js]
 * The data goes to os.tmpdir() and is deleted afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNdjson } from '../src/demo/generate.js';
import { maybeOption, numOption } from './args.js';

const argv = process.argv.slice(2);
const events = numOption('events', 100_000);
const runs = numOption('runs', 3);
const pythonEql = maybeOption('python-eql') ?? process.env.SPOOR_PYTHON_EQL;
// Debian's python3-lark is installed for the system interpreter, which a pyenv/venv `python3` may
// shadow on PATH: take the first `python3` on PATH that can import lark.
const python = maybeOption('python') ?? process.env.SPOOR_PYTHON ?? pythonWithLark();

function pythonWithLark(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const exe = join(dir, 'python3');
    if (dir !== '' && existsSync(exe) && spawnSync(exe, ['-c', 'import lark'], { stdio: 'ignore' }).status === 0) return exe;
  }
  return 'python3';
}
const here = dirname(fileURLToPath(import.meta.url));
const spoor = join(here, '..', 'src', 'cli', 'main.js');

const EXT = '("exe", "scr", "pif", "com", "dll")';
export const SPOOR_QUERY = `sequence by host.id with maxspan=1m
  [file where event.type in ("creation", "change") and process.pid == 4 and file.extension in ${EXT}] by file.path
  [process where event.type == "start"] by process.executable`;
export const PYTHON_QUERY = `sequence by host.id with maxspan=1m
  [file where arrayContains(event.type, "creation", "change") and process.pid == 4 and file.extension in ${EXT}] by file.path
  [process where arrayContains(event.type, "start")] by process.executable`;

/**
 * Our driver for Python eql's public API (not eql code): parse in Elasticsearch syntax, stream
 * the NDJSON lines as events (category from event.category, time from @timestamp), count results
 * and print each result's key (host name, first event's file path lower-cased, its @timestamp).
 */
const DRIVER = `
import sys, json
from datetime import datetime
sys.path.insert(0, sys.argv[1])
import eql
from eql.parser import elasticsearch_syntax, ignore_missing_functions
path, text = sys.argv[2], sys.argv[3]
with elasticsearch_syntax, ignore_missing_functions:
    query = eql.parse_query(text)
engine = eql.PythonEngine()
count = [0]
keys = []
def hit(result):
    count[0] += 1
    first = result.events[0].data
    keys.append('|'.join([first['host']['name'], first['file']['path'].lower(), first['@timestamp']]))
engine.add_output_hook(hit)
engine.add_query(query)
def ts(s):
    # @timestamp (ISO-8601, microseconds, Z) as FILETIME-like 100 ns units: eql's default time unit
    d = datetime.strptime(s[:26].rstrip('Z'), '%Y-%m-%dT%H:%M:%S.%f')
    return int((d - datetime(1601, 1, 1)).total_seconds() * 10**7)
def stream():
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            cat = doc.get('event', {}).get('category')
            cat = cat[0] if isinstance(cat, list) and cat else (cat or 'any')
            yield eql.Event(cat, ts(doc['@timestamp']), doc)
engine.stream_events(stream())
print(json.dumps({'results': count[0], 'keys': sorted(keys)}))
`;

/** A run's figures; `keys` identifies each result (host, first event's file path, its time) to compare engines. */
interface Fig { wall: number; cpu: number | null; results: number; keys: string[] }
interface Found { results: number; keys: string[] }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const hasTime = existsSync('/usr/bin/time');

function timed(cmd: string, args: string[], dir: string, results: (stdout: string, stderr: string) => Found): Fig {
  const tf = join(dir, 'time.txt');
  const t0 = process.hrtime.bigint();
  const p = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', tf, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (p.status !== 0 && p.status !== 1) throw new Error(`${cmd} failed (${p.status}): ${p.stderr.slice(-2000)}`);
  let cpu: number | null = null;
  if (hasTime) {
    const [u, s] = readFileSync(tf, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    cpu = u! + s!;
  }
  return { wall, cpu, ...results(p.stdout, p.stderr) };
}

const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-query-'));
try {
  const data = join(dir, 'defend.ndjson');
  const w = await writeNdjson({ events, hosts: 20, seed: 7 }, data);
  const mb = w.bytes / 2 ** 20;
  // spoor's NDJSON output: one sequence per line, `events` in sequence order.
  const countLines = (out: string): Found => {
    const lines = out.trim() === '' ? [] : out.trim().split('\n');
    const keys = lines.map((l) => {
      const first = (JSON.parse(l) as { events: { host: { name: string }; file: { path: string }; '@timestamp': string }[] }).events[0]!;
      return [first.host.name, first.file.path.toLowerCase(), first['@timestamp']].join('|');
    });
    return { results: lines.length, keys: keys.sort() };
  };
  const contenders: { name: string; run: () => Fig }[] = [
    { name: 'spoor query --workers 2 (threads)', run: () => timed(process.execPath, [spoor, 'query', '--workers', '2', SPOOR_QUERY, data, '-f', 'ndjson', '-q'], dir, countLines) },
    { name: 'spoor query (default: 1 thread, prefilter)', run: () => timed(process.execPath, [spoor, 'query', SPOOR_QUERY, data, '-f', 'ndjson', '-q'], dir, countLines) },
  ];
  // Another build of spoor, e.g. the main branch before this change (`--before ../spoor-main/dist/src/cli/main.js`: a second clone beside this one).
  const before = maybeOption('before');
  if (before) contenders.push({ name: `spoor query, build at ${before}`, run: () => timed(process.execPath, [before, 'query', SPOOR_QUERY, data, '-f', 'ndjson', '-q'], dir, countLines) });
  const fixed: { name: string; run: () => Fig }[] = [];
  let pythonNote = '';
  if (!pythonEql) pythonNote = 'python eql: skipped (no --python-eql DIR or SPOOR_PYTHON_EQL; see BENCHMARKS.md for how to obtain it)';
  else if (!existsSync(join(pythonEql, 'eql', '__init__.py'))) pythonNote = `python eql: skipped (${pythonEql}/eql/__init__.py not found)`;
  else {
    const driver = join(dir, 'eql_driver.py');
    writeFileSync(driver, DRIVER);
    const pyFound = (o: string): Found => JSON.parse(o.trim().split('\n').pop()!) as Found;
    contenders.push({ name: 'python eql (Elasticsearch syntax)', run: () => timed(python, [driver, pythonEql, data, PYTHON_QUERY], dir, pyFound) });
    // Fixed cost of each process (start, load, compile the query) on an empty file, to tell it from per-event cost.
    const empty = join(dir, 'empty.ndjson');
    writeFileSync(empty, '');
    fixed.push(
      { name: 'spoor query (default: 1 thread, prefilter)', run: () => timed(process.execPath, [spoor, 'query', SPOOR_QUERY, empty, '-f', 'ndjson', '-q'], dir, countLines) },
      { name: 'python eql (Elasticsearch syntax)', run: () => timed(python, [driver, pythonEql, empty, PYTHON_QUERY], dir, pyFound) },
    );
  }
  const figs = new Map<string, Fig[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) figs.get(c.name)!.push(c.run());
  }
  console.log(`${events.toLocaleString('en')} events (${mb.toFixed(0)} MB of Elastic Defend NDJSON, 20 hosts), file-share sequence query, ${runs} interleaved runs, medians; ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| engine | results | wall s | CPU s (all threads) | events / wall-s | events / CPU-s |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const med: Record<string, { wall: number; cpu: number | null }> = {};
  for (const c of contenders) {
    const f = figs.get(c.name)!;
    const wall = median(f.map((x) => x.wall));
    const cpu = f[0]!.cpu === null ? null : median(f.map((x) => x.cpu!));
    med[c.name] = { wall, cpu };
    console.log(`| ${c.name} | ${f[0]!.results} | ${wall.toFixed(2)} | ${cpu === null ? '–' : cpu.toFixed(2)} | ${Math.round(events / wall).toLocaleString('en')} | ${cpu ? Math.round(events / cpu).toLocaleString('en') : '–'} |`);
  }
  const base = med['spoor query (default: 1 thread, prefilter)']!;
  const par = med['spoor query --workers 2 (threads)']!;
  const b = before ? med[`spoor query, build at ${before}`] : undefined;
  if (b) console.log(`\ndefault vs the other build: wall ${(b.wall / base.wall).toFixed(2)}×${b.cpu && base.cpu ? `, CPU ${(b.cpu / base.cpu).toFixed(2)}×` : ''}`);
  console.log(`threads vs 1 thread: wall ${(base.wall / par.wall).toFixed(2)}×${base.cpu && par.cpu ? `, CPU ${(base.cpu / par.cpu).toFixed(2)}×` : ''}`);
  const py = med['python eql (Elasticsearch syntax)'];
  if (py) {
    console.log(`spoor query --workers 2 vs python eql: wall ${(py.wall / par.wall).toFixed(2)}×${py.cpu && par.cpu ? `, CPU ${(py.cpu / par.cpu).toFixed(2)}×` : ''}`);
    console.log(`spoor query (1 thread) vs python eql: wall ${(py.wall / base.wall).toFixed(2)}×${py.cpu && base.cpu ? `, CPU ${(py.cpu / base.cpu).toFixed(2)}×` : ''}`);
    if (hasTime) {
      const cost: number[][] = fixed.map(() => []);
      for (let r = 0; r < runs; r++) fixed.forEach((c, i) => cost[i]!.push(c.run().cpu!));
      const [sFix, pFix] = cost.map(median) as [number, number];
      console.log(`fixed cost (empty file, CPU s): spoor ${sFix.toFixed(2)}, python eql ${pFix.toFixed(2)}; per-event CPU beyond it: ` +
        `spoor ${(((base.cpu! - sFix) / events) * 1e6).toFixed(1)} µs, python eql ${(((py.cpu! - pFix) / events) * 1e6).toFixed(1)} µs ` +
        `→ ${((py.cpu! - pFix) / (base.cpu! - sFix)).toFixed(2)}× without start-up`);
    }
  } else console.log(pythonNote);

  // Same answers: every engine's result keys equal the default spoor run's, in every run, and every
  // planted file-share attack of the generator (host, dropped path) is among them.
  const ref = figs.get('spoor query (default: 1 thread, prefilter)')![0]!.keys;
  const same = (k: string[]): boolean => k.length === ref.length && k.every((x, i) => x === ref[i]);
  const differ = contenders.filter((c) => !figs.get(c.name)!.every((f) => same(f.keys))).map((c) => c.name);
  const planted = w.planted.map((a) => `${a.host}|${a.path.toLowerCase()}|`);
  const missed = planted.filter((p) => !ref.some((k) => k.startsWith(p)));
  console.log(`\nsame results (host, file path, time of each sequence) in every engine and run: ${differ.length === 0 ? 'yes' : `NO (${differ.join('; ')})`}` +
    `; planted attacks found: ${planted.length - missed.length} of ${planted.length}${missed.length ? ` (missed ${missed.join(', ')})` : ''}` +
    ` (the other ${ref.length - (planted.length - missed.length)} results are the generator's benign look-alikes this bare query does not exclude)`);
  if (differ.length || missed.length) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
