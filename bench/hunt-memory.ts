/**
 * Peak memory of `spoor hunt` as the input grows in files and in size (issue 10, item 9: it must
 * stay flat, ≤ 400 MB, for ~1M events in 216 files and for a 1 GB JSON array).
 *
 * Generates with the demo generator (src/demo) into a fresh temp directory, deleted at the end:
 *   - `--files` NDJSON files (default 216) of ~`--file-mb` MB each (default 10), one seed and
 *     host group per file, like one export per host;
 *   - one JSON array (`[ev,\n ev, …]`) of ~`--array-gb` GB (default 1) made of the same events.
 * Then hunts, each in a fresh process (bench/hunt-child.js, peak RSS of the whole process with
 * its worker threads): the floor (one small file: Node + rules + workers), 1 file, all files,
 * and the array. Prints a markdown table: events, seconds, peak RSS and its ratio to the floor.
 * Usage: node dist/bench/hunt-memory.js [--files 216] [--file-mb 10] [--array-gb 1] [--workers N] [--quick]
 *          [--peer OTHER/dist/bench/hunt-child.js]
 *   --quick: 24 files of 4 MB and a 0.1 GB array (a smoke run).
 *   --peer: also hunt each input with another build (e.g. the commit before a change), run by run
 *           interleaved with this one on the same data, in a second column.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeNdjson } from '../src/demo/generate.js';
import { numOption, option, flag } from './args.js';

const quick = flag('quick');
const files = numOption('files', quick ? 24 : 216);
const fileMb = numOption('file-mb', quick ? 4 : 10);
const arrayGb = numOption('array-gb', quick ? 0.1 : 1);
const workers = numOption('workers', availableParallelism());
const here = dirname(fileURLToPath(import.meta.url));
const peer = flag('peer') ? option('peer', '') : undefined;
const BYTES_PER_EVENT_GUESS = 1000;

interface HuntFigures {
  events: number;
  seconds: number;
  alerts: number;
  maxRssKb: number;
}

function hunt(inputs: string[], child = join(here, 'hunt-child.js')): HuntFigures {
  const out = execFileSync(process.execPath, [child, String(workers), ...inputs], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').pop()!) as HuntFigures;
}

/** One JSON array of the lines of `sources`, in order, until it holds `bytes`. */
async function writeArray(sources: string[], path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let first = true;
  const write = async (s: string): Promise<void> => {
    written += s.length;
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('[');
  outer: for (const src of sources) {
    for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Infinity })) {
      if (line === '') continue;
      await write(first ? `\n${line}` : `,\n${line}`);
      first = false;
      if (written >= bytes) break outer;
    }
  }
  await write('\n]\n');
  out.end();
  await once(out, 'finish');
  return written;
}

const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-memory-'));
try {
  const t0 = Date.now();
  const ndjson: string[] = [];
  const filesDir = join(dir, 'files');
  mkdirSync(filesDir);
  const eventsPerFile = Math.round((fileMb * 1e6) / BYTES_PER_EVENT_GUESS);
  for (let i = 0; i < files; i++) {
    const path = join(filesDir, `host-group-${String(i).padStart(3, '0')}.ndjson`);
    await writeNdjson({ events: eventsPerFile, hosts: 4, seed: 1000 + i }, path);
    ndjson.push(path);
  }
  const arrayPath = join(dir, 'all.json');
  await writeArray(ndjson, arrayPath, arrayGb * 1e9);
  const small = join(dir, 'small.ndjson');
  await writeNdjson({ events: 2000, hosts: 2, seed: 1 }, small);
  const totalBytes = ndjson.reduce((a, f) => a + statSync(f).size, 0);
  console.error(`generated ${files} files (${(totalBytes / 1e6).toFixed(0)} MB) and a ${(statSync(arrayPath).size / 1e6).toFixed(0)} MB JSON array in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  const runs: [string, string[], number][] = [
    ['floor: 1 small file (2,000 events)', [small], statSync(small).size],
    [`1 NDJSON file`, [ndjson[0]!], statSync(ndjson[0]!).size],
    [`${files} NDJSON files (a directory)`, [filesDir], totalBytes],
    ['1 JSON array', [arrayPath], statSync(arrayPath).size],
  ];
  console.log(`${workers} worker threads; peak RSS of the whole process (main + workers)\n`);
  const peerCols = peer ? ' peer peak RSS | peer × floor | peer seconds |' : '';
  console.log(`| run | input | events | seconds | peak RSS | × floor |${peerCols}`);
  console.log(`|---|---:|---:|---:|---:|---:|${peer ? '---:|---:|---:|' : ''}`);
  let floor = 0;
  let peerFloor = 0;
  for (const [name, inputs, bytes] of runs) {
    const r = hunt(inputs);
    const mb = r.maxRssKb / 1024;
    if (floor === 0) floor = mb;
    let extra = '';
    if (peer) {
      const q = hunt(inputs, peer);
      const pmb = q.maxRssKb / 1024;
      if (peerFloor === 0) peerFloor = pmb;
      extra = ` ${pmb.toFixed(0)} MB | ${(pmb / peerFloor).toFixed(2)} | ${q.seconds.toFixed(1)} |`;
      if (q.events !== r.events || q.alerts !== r.alerts) extra += ` (peer: ${q.events} events, ${q.alerts} alerts; this build ${r.alerts} alerts)`;
    }
    console.log(`| ${name} | ${(bytes / 1e6).toFixed(0)} MB | ${r.events.toLocaleString('en-US')} | ${r.seconds.toFixed(1)} | ${mb.toFixed(0)} MB | ${(mb / floor).toFixed(2)} |${extra}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
