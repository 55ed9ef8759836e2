/**
 * serve/: the detection thread dying is survived (restarted from the last checkpoint), and
 * checkpoints carry the engine state so a restart resumes without replaying the rules' window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { openDb } from '../../src/serve/store/db.js';
import { attackLines, bulkBody, call, serve, waitFor, type Served } from './client.js';

async function send(h: Served, docs: string[]): Promise<void> {
  const r = await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(docs), headers: { 'content-type': 'application/x-ndjson' } });
  assert.equal(r.status, 200);
  assert.equal((r.json() as { errors: boolean }).errors, false);
}

const fsAlerts = (h: Served): number => h.s.context.alerts.list({ rule: [FILE_SHARE_RULE_ID] }).total;

test('the detection thread dies mid-stream: it is restarted, every planted attack is alerted exactly once, the death is counted and logged', async () => {
  const g = generateEvents({ events: 4000, hosts: 4, seed: 21 });
  const lines = [...g.lines];
  const planted = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
  assert.ok(planted.length >= 2);
  const logs: string[] = [];
  const h = await serve({ allowedLatenessMs: 100, checkpointIntervalMs: 200, onLog: (l) => logs.push(l) });
  try {
    // Up to just after the first attack's file write: its sequence partial is live in the thread.
    const { writeIdx } = attackLines(lines, planted[0]!.path);
    await send(h, lines.slice(0, writeIdx + 1));
    const loop = h.s.context.loop;
    await waitFor(() => loop.lag === 0 && loop.stats.fed >= writeIdx + 1, 15_000);
    await new Promise((r) => setTimeout(r, 400)); // a checkpoint or two with engine state
    loop.crashDetectionThread();
    // Ingest goes on while the thread is down and restarting.
    for (let i = writeIdx + 1; i < lines.length; i += 500) await send(h, lines.slice(i, i + 500));
    await waitFor(() => fsAlerts(h) >= planted.length && loop.lag === 0, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    await loop.drain();
    assert.equal(loop.stats.detectRestarts, 1, 'one restart counted');
    assert.ok(logs.some((l) => /detection thread died/.test(l)), `logged: ${logs.join(' | ')}`);
    const all = h.s.context.alerts.list({ limit: 1000 });
    assert.equal(fsAlerts(h), planted.length, 'every planted attack exactly once');
    assert.equal(new Set(all.alerts.map((a) => a.id)).size, all.alerts.length, 'no duplicate alert');
    assert.equal(loop.lag, 0, 'every event through detection');
    assert.equal(h.s.context.stream.count(), lines.length, 'every acknowledged event in the log');
    const metrics = await call(`${h.s.url}/metrics`, { token: h.admin });
    assert.match(metrics.text, /^spoor_detect_restarts_total 1$/m);
  } finally {
    await h.stop();
  }
});

test('a checkpoint carries the engine state: a restart resumes from it (nothing replayed) and completes a sequence split across the restart', async () => {
  const g = generateEvents({ events: 2000, hosts: 2, seed: 5 });
  const lines = [...g.lines];
  const planted = g.planted.find((p) => p.ruleId === FILE_SHARE_RULE_ID)!;
  const { write, start } = attackLines(lines, planted.path);
  const dir = mkdtempSync(join(tmpdir(), 'spoor-serve-snap-'));
  let h: Served | null = null;
  try {
    h = await serve({ allowedLatenessMs: 100, checkpointIntervalMs: 100 }, dir);
    await send(h, [write]);
    await waitFor(() => h!.s.context.loop.stats.fed === 1);
    const tokens = { ingest: h.ingest, admin: h.admin };
    const again = async (opts: Parameters<typeof serve>[0]): Promise<Served> => ({ ...(await serve(opts, dir)), ...tokens });
    await h.stop(true); // clean stop: a last checkpoint with the engine state
    const db = openDb(join(dir, 'spoor.db'));
    const saved = db.prepare('SELECT held, length(snapshot) AS n FROM detect_state').get() as { held: string; n: number } | undefined;
    db.close();
    assert.ok(saved && saved.n > 0, 'engine state saved with the checkpoint');

    h = await again({ allowedLatenessMs: 100, checkpointIntervalMs: 100 });
    await h.s.context.loop.drain();
    assert.equal(h.s.context.loop.stats.snapshotRestores, 1, 'resumed from the engine state');
    assert.equal(h.s.context.loop.stats.replayed, 0, 'the write was not replayed: its partial came back from the snapshot');
    await send(h, [start]);
    await waitFor(() => fsAlerts(h!) === 1, 8000);
    await h.stop(true);

    // A snapshot that does not fit (here: unreadable) falls back to replaying from replay_from.
    const db2 = openDb(join(dir, 'spoor.db'));
    db2.prepare(`UPDATE detect_state SET snapshot = '{"format":"something else"}'`).run();
    db2.prepare('UPDATE checkpoints SET replay_from = 1').run();
    db2.close();
    const logs: string[] = [];
    h = await again({ allowedLatenessMs: 100, checkpointIntervalMs: 100, onLog: (l) => logs.push(l) });
    await h.s.context.loop.drain();
    assert.equal(h.s.context.loop.stats.snapshotRestores, 1, 'not resumed from the engine state this time (the counter is kept across restarts)');
    assert.ok(h.s.context.loop.stats.replayed >= 2, 'replayed from replay_from instead');
    assert.ok(logs.some((l) => /engine state not restored/.test(l)), logs.join(' | '));
    assert.equal(fsAlerts(h), 1, 'the replay finds the alert again: a duplicate, not a second alert');
  } finally {
    await h?.stop(true); // a no-op when already stopped
    rmSync(dir, { recursive: true, force: true });
  }
});
