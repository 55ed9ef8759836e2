/**
 * `spoor demo --live`: start `spoor serve` on its embedded default (127.0.0.1:9200 unless
 * --port), print the UI address, and replay the demo network's telemetry — planted attacks
 * included — through the `_bulk` endpoint, paced by the events' own timestamps at an accelerated
 * speed, so alerts appear in the browser as they are detected. Runs until Ctrl-C.
 *
 * serve/ is loaded by a computed dynamic import: a build without it (before the serve branch is
 * merged) answers with a clear error instead of failing to compile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateEvents, type GenerateOptions } from '../demo/generate.js';
import { formatCount, type Palette } from '../output/text.js';

interface ServeHandle {
  url: string;
  createdTokens: { scope: string; token: string }[];
  close(): Promise<void>;
}
type StartServe = (o: Record<string, unknown>) => Promise<ServeHandle>;

export interface LiveDemoOptions {
  generate: GenerateOptions;
  port: number;
  /** Event-time seconds replayed per wall-clock second; 0 = pick so the replay takes about a minute. */
  speed: number;
  dataDir?: string;
  batch: number;
  p: Palette;
  say(line?: string): void;
}

async function loadServe(): Promise<StartServe> {
  const path = new URL('../serve/index.js', import.meta.url).href;
  try {
    const mod = (await import(path)) as { startServe?: StartServe };
    if (mod.startServe) return mod.startServe;
  } catch {
    /* reported below */
  }
  throw new Error('--live needs spoor serve, which is not in this build');
}

const TIME = /"@timestamp"\s*:\s*"([^"]+)"/;

export async function runLiveDemo(o: LiveDemoOptions): Promise<number> {
  const startServe = await loadServe();
  // Without --out the data lives in a temporary folder removed at exit.
  const tempRoot = o.dataDir ? null : mkdtempSync(join(tmpdir(), 'spoor-demo-live-'));
  const dataDir = o.dataDir ? resolve(o.dataDir) : join(tempRoot!, 'spoor-data');
  const serve = await startServe({ host: '127.0.0.1', port: o.port, dataDir, bootstrapTokens: true });
  const token = (scope: string): string | undefined => serve.createdTokens.find((t) => t.scope === scope)?.token;
  const admin = token('admin');
  const ingest = token('ingest') ?? admin;
  const { p, say } = o;
  say(`${p.bold('spoor demo --live')} — spoor serve at ${serve.url} (data in ${dataDir}${tempRoot ? ', removed at exit; --out DIR keeps it' : ''})`);
  say(`${p.bold('Open the UI:')} ${serve.url}/${admin ? `#token=${admin}` : ''}`);
  const { lines, planted } = generateEvents(o.generate);
  say(`Replaying ${formatCount(o.generate.events)} events from ${o.generate.hosts} hosts through ${serve.url}/_bulk; planted: ${planted.map((a) => `${a.kind} on ${a.host}`).join(', ')}`);
  let stop = false;
  const onSig = (): void => void (stop = true);
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  const all = [...lines];
  const t0 = Date.parse(TIME.exec(all[0] ?? '')?.[1] ?? '');
  const tN = Date.parse(TIME.exec(all[all.length - 1] ?? '')?.[1] ?? '');
  const span = Number.isFinite(t0) && Number.isFinite(tN) ? Math.max(1, tN - t0) : 60_000;
  const speed = o.speed > 0 ? o.speed : span / 60_000;
  const wall0 = Date.now();
  let sent = 0;
  for (let i = 0; i < all.length && !stop; i += o.batch) {
    const chunk = all.slice(i, i + o.batch);
    const at = Date.parse(TIME.exec(chunk[0]!)?.[1] ?? '');
    if (Number.isFinite(at)) {
      const due = wall0 + (at - t0) / speed;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    const body = chunk.map((l) => `{"create":{}}\n${l}\n`).join('');
    const res = await fetch(`${serve.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...(ingest ? { authorization: `Bearer ${ingest}` } : {}) }, body });
    if (res.status === 429) {
      i -= o.batch; // the server's queue is full: wait and send the same batch again
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (!res.ok) throw new Error(`_bulk answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    sent += chunk.length;
    if ((i / o.batch) % 20 === 0) process.stderr.write(`\r  sent ${formatCount(sent)} / ${formatCount(all.length)} events`);
  }
  process.stderr.write(`\r  sent ${formatCount(sent)} / ${formatCount(all.length)} events\n`);
  if (!stop) say(`Replay done. The service keeps running so you can triage; Ctrl-C to stop.`);
  while (!stop) await new Promise((r) => setTimeout(r, 500));
  await serve.close();
  if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
  return 0;
}
