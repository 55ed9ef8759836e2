/**
 * serve/: kill -9 and restart. Every acknowledged event stays in the log, every planted attack is
 * alerted exactly once, and a sequence whose first event arrived before the kill and its second
 * after the restart is still found (the checkpoint's replay point covers live state).
 * The long randomized version (≥ 10 kills under 1M events) is test-extra/serve-faults.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { openDb } from '../../src/serve/store/db.js';
import { storedCount } from '../../src/serve/store/log-rows.js';
import { bulkBody, call, kill9, spawnServe, stopSpawned, waitFor } from './client.js';

function alertRows(dir: string): { id: string; rule_id: string; host: string }[] {
  const db = openDb(join(dir, 'spoor.db'));
  try {
    return db.prepare('SELECT id, rule_id, host FROM alerts').all() as { id: string; rule_id: string; host: string }[];
  } finally {
    db.close();
  }
}

test('kill -9 between batches: acknowledged events kept, planted attacks alerted exactly once, split sequence found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-restart-'));
  try {
    const g = generateEvents({ events: 4000, hosts: 4, seed: 11 });
    const lines = [...g.lines];
    // Split each planted attack between its file write and its process start: find the write line.
    const planted = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
    const writeIdx = lines.findIndex((l) => l.includes('"file"') && l.includes(JSON.stringify(planted[0]!.path).slice(1, -1)) && l.includes('"pid":4,'));
    assert.ok(writeIdx > 0, 'found the first planted write');
    let c = await spawnServe(dir, ['--allowed-lateness', '100']);
    const ingest = c.tokens.find((t) => t.scope === 'ingest')!.token;
    let acked = 0;
    const send = async (part: string[]): Promise<void> => {
      const r = await call(`${c.url}/_bulk`, { method: 'POST', token: ingest, body: bulkBody(part), headers: { 'content-type': 'application/x-ndjson' } });
      assert.equal(r.status, 200);
      const items = (r.json() as { items: { create: { status: number } }[] }).items;
      acked += items.filter((i) => i.create.status === 201).length;
    };
    await send(lines.slice(0, writeIdx + 1));
    await new Promise((r) => setTimeout(r, 400)); // the write is released, the partial is live
    await kill9(c);
    c = await spawnServe(dir, ['--allowed-lateness', '100']);
    await send(lines.slice(writeIdx + 1, 2500));
    await kill9(c); // possibly mid-detection
    c = await spawnServe(dir, ['--allowed-lateness', '100']);
    await send(lines.slice(2500));
    await waitFor(() => alertRows(dir).filter((a) => a.rule_id === FILE_SHARE_RULE_ID).length >= planted.length, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    await kill9(c);
    c = await spawnServe(dir, ['--allowed-lateness', '100']); // one more replay: must add nothing
    const url = c.url;
    const lagOf = async (): Promise<number> => ((await call(`${url}/api/health`)).json() as { lag: number }).lag;
    // The replay (detection thread) finishes; on a loaded machine that can take a few seconds.
    for (let end = Date.now() + 15_000; (await lagOf()) > 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await lagOf(), 0);
    await kill9(c);
    const rows = alertRows(dir);
    const fs = rows.filter((a) => a.rule_id === FILE_SHARE_RULE_ID);
    assert.equal(fs.length, planted.length, 'every planted attack exactly once');
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'no duplicate alert');
    assert.deepEqual(fs.map((a) => a.host.toLowerCase()).sort(), planted.map((p) => p.host.toLowerCase()).sort());
    const db = openDb(join(dir, 'spoor.db'));
    const n = storedCount(db);
    db.close();
    assert.equal(acked, lines.length);
    assert.equal(n, acked, 'no acknowledged event missing');
  } finally {
    stopSpawned();
    rmSync(dir, { recursive: true, force: true });
  }
});
