/**
 * The detection thread counts events no rule can use for the blind spots by their telemetry key
 * (scan-doc.ts ScannedDoc.tkey) instead of parsing them (detect-worker.ts KeyTally). The counts
 * must equal those of a Detector given every event parsed, as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents } from '../../src/demo/generate.js';
import { Detector, isStateless } from '../../src/hunt/detector.js';
import { parseDocument } from '../../src/serve/ingest-parse.js';
import type { TelemetryCounts } from '../../src/hunt/telemetry.js';
import { NOTEPAD_RULE_YAML, bulkBody, call, serve, waitFor } from './client.js';

const shape = (c: TelemetryCounts | null): unknown => (c ? { hosts: c.hosts, groups: c.groups.map((g) => g.byHost), groupOf: c.groupOf } : null);

test('blind-spot counts by telemetry key equal those of every event parsed', async () => {
  const rules = mkdtempSync(join(tmpdir(), 'spoor-tkey-'));
  writeFileSync(join(rules, 't.yml'), NOTEPAD_RULE_YAML);
  const h = await serve({ rulesDirs: [rules] });
  try {
    const lines = [...generateEvents({ events: 4000, hosts: 12, seed: 13 }).lines];
    // Some events the scan cannot key (parsed as before) mixed in.
    const odd = lines.slice(0, 50).map((l) => l.replace('"event":{', '"event.module":"x","event":{'));
    const all = [...lines, ...odd];
    assert.equal((await call(`${h.s.url}/_bulk`, { method: 'POST', token: h.ingest, body: bulkBody(all) })).status, 200);
    const loop = h.s.context.loop;
    await loop.drain();
    const total = (c: TelemetryCounts | null | undefined): number => Object.values(c?.hosts ?? {}).reduce((a, b) => a + b, 0);
    await waitFor(() => total(loop.telemetry?.instant) === all.length && total(loop.telemetry?.ordered) === all.length, 15_000);

    const loaded = loop.loadedRules;
    const ref = (rs: typeof loaded): TelemetryCounts => {
      const d = new Detector(rs, { contextEvents: 0 });
      for (const l of all) {
        const p = parseDocument(l);
        assert.ok('events' in p);
        for (const ev of p.events) d.push(ev.se, ev.time!, false);
      }
      return d.telemetry.counts();
    };
    assert.deepEqual(shape(loop.telemetry!.instant), shape(ref(loaded.filter(isStateless))));
    assert.deepEqual(shape(loop.telemetry!.ordered), shape(ref(loaded.filter((r) => !isStateless(r)))));
  } finally {
    await h.stop();
    rmSync(rules, { recursive: true, force: true });
  }
});
