/** Ingest health bookkeeping (serve/routes/ingest-stats.ts): sources, hosts, rates, late events, bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IngestStats, shipperOf } from '../../src/serve/routes/ingest-stats.js';

test('shipper is the User-Agent product token', () => {
  assert.equal(shipperOf('Winlogbeat/8.17.0 (linux; amd64; abc; 2024)'), 'Winlogbeat/8.17.0');
  assert.equal(shipperOf('Fluent-Bit'), 'Fluent-Bit');
  assert.equal(shipperOf(undefined), 'unknown');
  assert.equal(shipperOf('   '), 'unknown');
});

test('per source and host: counts, rate over the last 10 s, names asked once, late events, busiest first', () => {
  const s = new IngestStats();
  const t0 = 1_700_000_000_000;
  let asked = 0;
  const name = (): string => (asked++, 'ws-0001');
  for (let i = 0; i < 20; i++) {
    s.source('Winlogbeat/8.17.0', 'winlogbeat-8', '10.0.0.5', 100, i === 3 ? 1 : 0, t0 + i * 1000);
    s.host('uuid-1', 100, t0 - 5000 + i * 1000, name, t0 + i * 1000);
  }
  s.source('curl/8.5.0', '-', '127.0.0.1', 5, 0, t0 + 19_000);
  s.late('uuid-1');
  s.late('unknown-host');
  const now = t0 + 19_500;
  const [beat, curl] = s.sourceHealth(now);
  assert.equal(beat!.events, 2000);
  assert.equal(beat!.requests, 20);
  assert.equal(beat!.parseErrors, 1);
  // The last 10.5 s hold 11 requests of 100 events.
  assert.ok(Math.abs(beat!.eventsPerSecond - 1100 / 10.5) < 0.2, String(beat!.eventsPerSecond));
  assert.equal(curl!.key, 'curl/8.5.0 · - · 127.0.0.1');
  assert.equal(curl!.lastSeenAgeSeconds, 0.5);
  const [h] = s.hostHealth(now);
  assert.equal(h!.host, 'uuid-1');
  assert.equal(h!.name, 'ws-0001');
  assert.equal(asked, 1);
  assert.equal(h!.lateEvents, 1);
  assert.equal(h!.newestEventTime, new Date(t0 + 14_000).toISOString());
  assert.equal(s.nameOf('uuid-1'), 'ws-0001');
  assert.equal(s.nameOf('other'), 'other');
  // Long after: the rate falls to 0, the totals stay.
  assert.equal(s.sourceHealth(t0 + 60_000)[0]!.eventsPerSecond, 0);
  assert.equal(s.sourceHealth(t0 + 60_000)[0]!.events, 2000);
});

test('memory is bounded: the least recently seen source is dropped beyond 10,000', () => {
  const s = new IngestStats();
  for (let i = 0; i < 10_001; i++) s.source('x', 'i', `10.0.${i >> 8}.${i & 255}`, 1, 0, 1000 + i);
  const all = s.sourceHealth(20_000);
  assert.equal(all.length, 10_000);
  assert.equal(s.dropped, 1);
  assert.ok(!all.some((r) => r.remote === '10.0.0.0'), 'the oldest went');
});
