/**
 * The detection thread holds events only a sequence's joining stages can use unparsed, and the
 * stateful detector's join gate parses one on release only when a partial can use it
 * (detect-worker.ts, deferred). Alerts and blind-spot counts (host names included) must equal
 * those of detectors given every event parsed, as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents } from '../../src/demo/generate.js';
import { Detector, isStateless } from '../../src/hunt/detector.js';
import { parseDocument, type IngestedEvent } from '../../src/serve/ingest-parse.js';
import { compareInstants } from '../../src/events/timestamp.js';
import type { TelemetryCounts } from '../../src/hunt/telemetry.js';
import type { Rule } from '../../src/ir/types.js';
import { NOTEPAD_RULE_YAML, bulkBody, call, serve, waitFor } from './client.js';

const shape = (c: TelemetryCounts | null): unknown => (c ? { hosts: c.hosts, names: c.names ?? {}, groups: c.groups.map((g) => ({ byHost: g.byHost, unparsed: g.unparsed })), groupOf: c.groupOf } : null);

/** Alert ids and blind-spot counts of detectors given every event parsed: the stateless rules in arrival order, the stateful ones in time order. */
function reference(rules: Rule[], lines: string[]): { alerts: string[]; sequences: number; instant: TelemetryCounts; ordered: TelemetryCounts } {
  const evs: IngestedEvent[] = [];
  for (const l of lines) {
    const p = parseDocument(l);
    assert.ok('events' in p);
    evs.push(...p.events);
  }
  const run = (rs: Rule[], order: IngestedEvent[]): { alerts: string[]; counts: TelemetryCounts } => {
    const d = new Detector(rs, { contextEvents: 0 });
    order.forEach((ev, i) => {
      ev.se.position = i + 1;
      d.push(ev.se, ev.time!, false);
    });
    const alerts = [...d.takeAlerts(), ...d.end()].map((a) => a.id);
    return { alerts, counts: d.telemetry.counts() };
  };
  const timeOrder = evs.map((ev, i) => ({ ev, i })).sort((a, b) => compareInstants(a.ev.time!, b.ev.time!) || a.i - b.i);
  const instant = run(rules.filter(isStateless), evs);
  const ordered = run(rules.filter((r) => !isStateless(r)), timeOrder.map((x) => x.ev));
  return { alerts: [...new Set([...instant.alerts, ...ordered.alerts])].sort(), sequences: ordered.alerts.length, instant: instant.counts, ordered: ordered.counts };
}

test('events only joining stages can use wait unparsed: the same alerts and blind-spot counts as every event parsed', async () => {
  const rules = mkdtempSync(join(tmpdir(), 'spoor-defer-'));
  writeFileSync(join(rules, 't.yml'), NOTEPAD_RULE_YAML);
  const h = await serve({ rulesDirs: [rules] });
  try {
    const g = generateEvents({ events: 8000, hosts: 12, seed: 21 });
    const lines = [...g.lines];
    assert.ok(g.planted.length > 0);
    // Documents the ingest scan gives no telemetry key (a dotted top-level key): decided from
    // their text, searched line by line among keyed ones, over the whole text in a request of their own.
    const odd = (l: string): string => l.replace('"event":{', '"event.module":"x","event":{');
    lines.splice(4000, 500, ...lines.slice(4000, 4500).map(odd));
    for (let i = 100; i < 4000; i += 97) lines[i] = odd(lines[i]!);
    // Sent in a few requests (several arrive messages).
    for (let i = 0; i < lines.length; i += 2000) {
      const part = i === 4000 ? [lines.slice(4000, 4500), lines.slice(4500, 6000)] : [lines.slice(i, i + 2000)];
      for (const p of part) assert.equal((await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(p) })).status, 200);
    }
    const loop = h.s.context.loop;
    await loop.drain();
    const total = (c: TelemetryCounts | null | undefined): number => Object.values(c?.hosts ?? {}).reduce((a, b) => a + b, 0);
    await waitFor(() => total(loop.telemetry?.instant) === lines.length && total(loop.telemetry?.ordered) === lines.length, 20_000);
    await waitFor(() => loop.stats.fed === lines.length, 20_000);

    const ref = reference(loop.loadedRules, lines);
    const want = ref.alerts;
    assert.ok(ref.sequences > 0, 'the sequences alert');

    await waitFor(() => h.s.context.alerts.count() >= want.length, 20_000);
    assert.deepEqual([...h.s.context.alerts.ids()].sort(), want);
    assert.deepEqual(shape(loop.telemetry!.instant), shape(ref.instant));
    assert.deepEqual(shape(loop.telemetry!.ordered), shape(ref.ordered));

    // Most process events waited unparsed; the planted sequences had some parsed by the join gate.
    assert.ok(loop.stats.deferred > lines.length / 20, `deferred ${loop.stats.deferred}`);
    assert.ok(loop.stats.deferredParsed > 0 && loop.stats.deferredParsed < loop.stats.deferred / 10, `parsed ${loop.stats.deferredParsed} of ${loop.stats.deferred}`);
  } finally {
    await h.stop();
    rmSync(rules, { recursive: true, force: true });
  }
});

test('events deferred before a rule reload are parsed on release: the same alerts', async () => {
  const rules = mkdtempSync(join(tmpdir(), 'spoor-defer-'));
  writeFileSync(join(rules, 't.yml'), NOTEPAD_RULE_YAML);
  // A long lateness: the last minute of each host stays in the reorder buffer across the reload.
  const h = await serve({ rulesDirs: [rules], allowedLatenessMs: 60_000 });
  try {
    const lines = [...generateEvents({ events: 6000, hosts: 6, seed: 22 }).lines];
    assert.equal((await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(lines) })).status, 200);
    const loop = h.s.context.loop;
    await waitFor(() => loop.stats.deferred > 0 && loop.inFlight === 0 && loop.inboxDepth === 0, 20_000);
    assert.ok(loop.heldEvents > 0, 'events wait for their release');
    await h.s.reloadRules();
    await loop.drain();
    await waitFor(() => loop.stats.fed === lines.length, 20_000);
    const want = reference(loop.loadedRules, lines).alerts;
    await waitFor(() => h.s.context.alerts.count() >= want.length, 20_000);
    assert.deepEqual([...h.s.context.alerts.ids()].sort(), want);
  } finally {
    await h.stop();
    rmSync(rules, { recursive: true, force: true });
  }
});
