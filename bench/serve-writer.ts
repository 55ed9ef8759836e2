/**
 * The event log's writer alone, in one process: group commits as `spoor serve`'s writer thread makes
 * them (store/log-rows.ts `logWriter.append` in a `BEGIN IMMEDIATE` transaction, the database opened
 * by store/db.ts with its fsync policy), over generated Defend events, and the CPU each costs as the
 * log grows. Per window of commits: user and system CPU per event, bytes written by system calls per
 * event (/proc/self/io wchar: the WAL and the checkpoints), commits/s (wall).
 *
 *   node dist/bench/serve-writer.js [--commits 3000] [--per-commit 1000] [--hosts 200] [--windows 6]
 *                                   [--fsync commit] [--server-root DIR]
 *
 * --server-root DIR: the store modules of another checkout's build (base vs branch side by side).
 * The database lives in $TMPDIR and is deleted at the end.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateEvents } from '../src/demo/generate.js';
import { numOption, option } from './args.js';

const COMMITS = numOption('commits', 3000);
const PER = numOption('per-commit', 1000);
const HOSTS = numOption('hosts', 200);
const WINDOWS = numOption('windows', 6);
const FSYNC = option('fsync', 'commit') as 'commit' | 'os';
const ROOT = option('server-root', '');

interface LogBatch {
  hosts: string[];
  hostIx: Uint32Array;
  times: Float64Array;
  lens: Uint32Array;
  raws: Uint8Array;
}
interface Store {
  openDb(path: string, fsync: 'commit' | 'os'): { transaction<T>(fn: (...a: never[]) => T): { immediate(...a: unknown[]): T }; close(): void };
  logWriter(db: unknown): { append(b: LogBatch, now: number): number };
}

async function load(): Promise<Store> {
  const base = ROOT ? `${pathToFileURL(resolve(ROOT, 'dist/src/serve/store')).href}/` : new URL('../src/serve/store/', import.meta.url).href;
  const db = (await import(`${base}db.js`)) as Pick<Store, 'openDb'>;
  const rows = (await import(`${base}log-rows.js`)) as Pick<Store, 'logWriter'>;
  return { openDb: db.openDb, logWriter: rows.logWriter };
}

function wchar(): number {
  return Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
}

/** A pool of commits (each PER events) built from generated events, reused round after round. */
function pool(): LogBatch[] {
  const n = Math.min(COMMITS, 20) * PER;
  const g = generateEvents({ events: n, hosts: HOSTS, seed: 5 });
  const lines = [...g.lines];
  const out: LogBatch[] = [];
  for (let c = 0; c * PER < lines.length; c++) {
    const part = lines.slice(c * PER, (c + 1) * PER);
    const hosts: string[] = [];
    const ix = new Map<string, number>();
    const hostIx = new Uint32Array(part.length);
    const times = new Float64Array(part.length);
    const lens = new Uint32Array(part.length);
    const bufs: Buffer[] = [];
    part.forEach((l, i) => {
      const d = JSON.parse(l) as { '@timestamp': string; host: { id: string } };
      let h = ix.get(d.host.id);
      if (h === undefined) {
        h = hosts.length;
        ix.set(d.host.id, h);
        hosts.push(d.host.id);
      }
      hostIx[i] = h;
      times[i] = Date.parse(d['@timestamp']);
      const b = Buffer.from(l);
      lens[i] = b.length;
      bufs.push(b);
    });
    const raws = Buffer.concat(bufs.flatMap((b, i) => (i === 0 ? [b] : [Buffer.from('\n'), b])));
    out.push({ hosts, hostIx, times, lens, raws });
  }
  return out;
}

async function main(): Promise<void> {
  const store = await load();
  const batches = pool();
  const dir = mkdtempSync(join(tmpdir(), 'spoor-bench-writer-'));
  try {
    const db = store.openDb(join(dir, 'spoor.db'), FSYNC);
    const w = store.logWriter(db);
    const commit = db.transaction((b: LogBatch, now: number) => w.append(b, now));
    const per = Math.ceil(COMMITS / WINDOWS);
    console.log(`| commits | user µs/event | system µs/event | CPU µs/event | written bytes/event | commits/s (wall) |\n|---|---:|---:|---:|---:|---:|`);
    let total = 0;
    for (let from = 0; from < COMMITS; from += per) {
      const to = Math.min(COMMITS, from + per);
      const c0 = process.cpuUsage();
      const w0 = wchar();
      const t0 = performance.now();
      for (let i = from; i < to; i++) commit.immediate(batches[i % batches.length]!, Date.now());
      const c = process.cpuUsage(c0);
      const ev = (to - from) * PER;
      total += c.user + c.system;
      console.log(`| ${from}–${to} | ${(c.user / ev).toFixed(2)} | ${(c.system / ev).toFixed(2)} | ${((c.user + c.system) / ev).toFixed(2)} | ${((wchar() - w0) / ev).toFixed(0)} | ${(((to - from) * 1000) / (performance.now() - t0)).toFixed(0)} |`);
    }
    console.log(`| all ${COMMITS} commits of ${PER} events, ${HOSTS} hosts, fsync ${FSYNC}${ROOT ? `, build ${ROOT}` : ''} | | | **${(total / (COMMITS * PER)).toFixed(2)}** | | load ${loadavg()[0]!.toFixed(1)} |`);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
