/** Test helpers for serve/: a temporary data dir, a server on a free loopback port, a tiny HTTP client. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startServe, type ServeHandle, type ServeOptions } from '../../src/serve/index.js';

export interface Served {
  s: ServeHandle;
  dir: string;
  ingest: string;
  admin: string;
  stop(keepDir?: boolean): Promise<void>;
}

export async function serve(opts: ServeOptions = {}, dir = mkdtempSync(join(tmpdir(), 'spoor-serve-'))): Promise<Served> {
  const s = await startServe({ port: 0, dataDir: dir, commitDelayMs: 2, allowedLatenessMs: 200, checkpointIntervalMs: 100, ...opts });
  const tok = (scope: string): string => s.createdTokens.find((t) => t.scope === scope)?.token ?? '';
  return {
    s,
    dir,
    ingest: tok('ingest'),
    admin: tok('admin'),
    stop: async (keepDir = false) => {
      await s.close();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}

export async function call(url: string, init: RequestInit & { token?: string; gzip?: boolean } = {}): Promise<Reply> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('Authorization', `Bearer ${init.token}`);
  let body = init.body;
  if (init.gzip && typeof body === 'string') {
    body = gzipSync(Buffer.from(body));
    headers.set('Content-Encoding', 'gzip');
  }
  const r = await fetch(url, { ...init, headers, body });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) as unknown };
}

/** A bulk body of `create` actions for `lines` (NDJSON documents). */
export function bulkBody(lines: string[], op = 'create'): string {
  return lines.map((l) => `{"${op}":{"_index":"logs-endpoint"}}\n${l}\n`).join('');
}

export async function waitFor<T>(f: () => T | undefined | null | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoRoot } from '../helpers/shared.js';

export interface Child {
  proc: ChildProcess;
  url: string;
  tokens: { scope: string; token: string }[];
}

/** `spoor serve` as a child process (for kill -9 tests); resolves once it printed its JSON line. */
/** Servers spawned by this test process and not yet exited: stopped by `stopSpawned` (a failed assertion must not leave one running). */
const spawned = new Set<ChildProcess>();

/** SIGKILL every spawned server still running (call from a test's `finally`). */
export function stopSpawned(): void {
  for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  spawned.clear();
}

/** `root`: the checkout whose build to run (default this one; benchmarks compare builds). */
export function spawnServe(dir: string, args: string[] = [], nodeArgs: string[] = [], root = repoRoot): Promise<Child> {
  const proc = spawn(process.execPath, [...nodeArgs, join(root, 'dist/src/cli/main.js'), 'serve', '-p', '0', '-d', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(proc);
  proc.once('exit', () => spawned.delete(proc));
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once('line', (line) => {
      const j = JSON.parse(line) as { url: string; tokens: { scope: string; token: string }[] };
      resolve({ proc, url: j.url, tokens: j.tokens });
    });
    proc.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

export function kill9(c: Child): Promise<void> {
  return new Promise((resolve) => {
    c.proc.once('exit', () => resolve());
    c.proc.kill('SIGKILL');
  });
}

/** The file write and the process start of a planted attack (Defend lines), by the planted path. */
export function attackLines(lines: string[], path: string): { write: string; start: string; writeIdx: number; startIdx: number } {
  const esc = JSON.stringify(path).slice(1, -1);
  const writeIdx = lines.findIndex((l) => l.includes(esc) && l.includes('"type":"endpoint"') && l.includes('"category":["file"]'));
  const startIdx = lines.findIndex((l, i) => i > writeIdx && l.includes(esc) && l.includes('"category":["process"]') && l.includes('"start"'));
  if (writeIdx < 0 || startIdx < 0) throw new Error(`attack lines for ${path} not found`);
  return { write: lines[writeIdx]!, start: lines[startIdx]!, writeIdx, startIdx };
}

/**
 * A frequent single-event rule (every notepad start) as a rule file: beside the built-in, stateful
 * pack it gives the serve tests and benches many alerts (latency samples, both detectors counting).
 */
export const NOTEPAD_RULE_YAML = `id: bench-notepad-start
name: Bench – notepad started (frequent, for latency samples)
enabled: true
hunting: false
severity: low
language: eql
view: ecs
query: |
  process where event.type == "start" and process.name == "notepad.exe"
`;
