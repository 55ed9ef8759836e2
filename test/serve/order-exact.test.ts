/**
 * serve/: why a sequence's completion cannot be released before the watermark passes it, exactly.
 *
 * Each case sends a sequence's stages, then — in a later request, still within the allowed
 * lateness — an event older than the last stage that changes the outcome when events are taken in
 * time order: a newer first-stage candidate (EQL keeps the newest partial), an earlier last-stage
 * event, an `until` event, a missing-event stage. An engine that raised the sequence as soon as
 * its last stage arrived would have raised a different alert, or one that must not exist; serve
 * holds the host's events behind the watermark, so each gives the in-order result
 * (docs/serve.md "Order and lateness", "Why sequences wait for the lateness").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bulkBody, call, serve, waitFor, type Served } from './client.js';

const T0 = Date.UTC(2026, 2, 2, 8);
const LATENESS_MS = 60_000;

/** A Defend-style process start of host `h` at `s` seconds, with a process name and entity id. */
function ev(s: number, name: string, entity: string, host = 'exact-host-1'): string {
  return JSON.stringify({
    '@timestamp': new Date(T0 + s * 1000).toISOString(),
    host: { id: host, name: host, os: { family: 'windows' } },
    event: { kind: 'event', category: ['process'], type: ['start'], action: 'start', dataset: 'endpoint.events.process', module: 'endpoint' },
    process: { name: name, entity_id: entity, pid: 1000 + s, executable: `C:\\Windows\\${name}` },
    agent: { type: 'endpoint' },
  });
}

function rule(id: string, query: string): string {
  return `id: ${id}\nname: ${id}\nenabled: true\nhunting: false\nseverity: low\nlanguage: eql\nview: ecs\nquery: |\n  ${query}\n`;
}

const RULES: Record<string, string> = {
  'exact-pair': 'sequence by host.id with maxspan=5m [process where process.name == "a.exe"] [process where process.name == "b.exe"]',
  'exact-until': 'sequence by host.id with maxspan=5m [process where process.name == "a.exe"] [process where process.name == "b.exe"] until [process where process.name == "u.exe"]',
  'exact-missing': 'sequence by host.id with maxspan=5m [process where process.name == "a.exe"] ![process where process.name == "m.exe"] [process where process.name == "b.exe"]',
};

async function withRules(f: (h: Served) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-order-exact-'));
  for (const [id, q] of Object.entries(RULES)) writeFileSync(join(dir, `${id}.yml`), rule(id, q));
  const h = await serve({ allowedLatenessMs: LATENESS_MS, rulesDirs: [dir] });
  try {
    await f(h);
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function send(h: Served, docs: string[]): Promise<void> {
  const r = await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(docs), headers: { 'content-type': 'application/x-ndjson' } });
  assert.equal(r.status, 200);
}

/** The entity ids of each alert of `ruleId`, in sequence order. */
function alerts(h: Served, ruleId: string): string[][] {
  return h.s.context.alerts.list({ rule: [ruleId] }).alerts.map((a) => {
    const full = h.s.context.alerts.get(a.id)!;
    return full.alert.events.map((e) => String((e.event as { process?: { entity_id?: string } }).process?.entity_id));
  });
}

/**
 * Send the stages, then the older event that changes the outcome (a later request, within the
 * lateness: not late), then an event two latenesses ahead that moves the host's watermark past
 * them all; everything released, the result is final.
 */
async function run(h: Served, first: string[], older: string[]): Promise<void> {
  await send(h, first);
  await waitFor(() => h.s.context.loop.readSeq >= first.length);
  if (older.length > 0) await send(h, older);
  await send(h, [ev((2 * LATENESS_MS) / 1000 + 30, 'x.exe', 'x')]);
  await h.s.context.loop.drain();
  assert.equal(h.s.context.loop.stats.late, 0, 'nothing was late: every event came within the lateness');
}

test('in order, the pair alerts with its two events (control)', async () => {
  await withRules(async (h) => {
    await run(h, [ev(0, 'a.exe', 'A'), ev(10, 'b.exe', 'B')], []);
    assert.deepEqual(alerts(h, 'exact-pair'), [['A', 'B']]);
    assert.deepEqual(alerts(h, 'exact-until'), [['A', 'B']]);
    assert.deepEqual(alerts(h, 'exact-missing'), [['A', 'B']]);
  });
});

test('a newer first-stage candidate arriving after the last stage: EQL completes with the newest partial', async () => {
  await withRules(async (h) => {
    await run(h, [ev(0, 'a.exe', 'A'), ev(10, 'b.exe', 'B')], [ev(5, 'a.exe', 'A2')]);
    // Released at B's arrival, the alert would have been [A, B]: a different alert id, and wrong.
    assert.deepEqual(alerts(h, 'exact-pair'), [['A2', 'B']]);
  });
});

test('an earlier last-stage event arriving after the last stage: it completes the sequence, the later one finds none', async () => {
  await withRules(async (h) => {
    await run(h, [ev(0, 'a.exe', 'A'), ev(10, 'b.exe', 'B')], [ev(5, 'b.exe', 'B0')]);
    assert.deepEqual(alerts(h, 'exact-pair'), [['A', 'B0']]);
  });
});

test('an until event between the stages arriving after the last stage: no alert', async () => {
  await withRules(async (h) => {
    await run(h, [ev(0, 'a.exe', 'A'), ev(10, 'b.exe', 'B')], [ev(5, 'u.exe', 'U')]);
    assert.deepEqual(alerts(h, 'exact-until'), []);
    assert.deepEqual(alerts(h, 'exact-pair'), [['A', 'B']], 'the same events without until still alert');
  });
});

test('a missing-event stage matched between the stages, arriving after the last stage: no alert', async () => {
  await withRules(async (h) => {
    await run(h, [ev(0, 'a.exe', 'A'), ev(10, 'b.exe', 'B')], [ev(5, 'm.exe', 'M')]);
    assert.deepEqual(alerts(h, 'exact-missing'), []);
    assert.deepEqual(alerts(h, 'exact-pair'), [['A', 'B']]);
  });
});
