/**
 * Correlation groups and hosts whose clocks (or shippers) lag each other. serve and the cluster
 * order events per host (per group in cluster stage 2), not across hosts: a host with a backlog
 * can send events older than the timespan behind what other hosts already sent. A correlation
 * group fed only by that host must keep its window between its own events (engine/correlation.ts,
 * the periodic sweep): with a low watermark from the caller (Detector.setWatermark) the sweep
 * drops only groups no stream can still add to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '../../src/alert/types.js';
import type { Instant } from '../../src/events/timestamp.js';
import { Detector } from '../../src/hunt/detector.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import { ReorderBuffer, WATERMARK_LIVE_MS } from '../../src/serve/reorder.js';
import { failedNetworkLogonRule } from '../helpers/sigma-logon-rules.js';

const CORR_ID = 'c0ffee00-0000-4000-8000-0000000000aa';
const SIGMA = `${failedNetworkLogonRule('c0ffee00-0000-4000-8000-0000000000a9', 'level: low\n')}---
title: Brute force from one source
id: ${CORR_ID}
level: high
correlation:
    type: event_count
    rules: [failed_network_logon]
    group-by: [IpAddress]
    timespan: 5m
    condition:
        gte: 5
`;

interface Ev {
  host: string;
  ms: number;
  ip: string;
}

const T0 = Date.UTC(2026, 0, 1);
/** Lead events between two lag events: more than the correlation sweep interval (4,096 pushes). */
const SLICE = 4500;

/**
 * Host "lag" (a shipper backlog 2 h behind) sees 5 failed logons from 10.9.9.9, one a minute: a
 * brute force that must alert. Host "lead", up to date, sees 4500 failed logons from distinct
 * sources (none reaches the threshold; 10 a second) between each two of them: more than the
 * sweep interval.
 */
function plant(): { lag: Ev[]; lead: Ev[] } {
  const lag: Ev[] = [];
  const lead: Ev[] = [];
  for (let i = 0; i < 5; i++) lag.push({ host: 'lag', ms: T0 + i * 60_000, ip: '10.9.9.9' });
  const leadStart = T0 + 2 * 3600_000;
  for (let i = 0; i < SLICE * 4; i++) lead.push({ host: 'lead', ms: leadStart + i * 100, ip: `10.1.${(i >> 8) & 255}.${i & 255}` });
  return { lag, lead };
}

function source(e: Ev, pos: number): { se: { event: Record<string, unknown>; file: string; position: number }; time: Instant } {
  const iso = new Date(e.ms).toISOString();
  return {
    se: {
      event: { EventID: 4625, Channel: 'Security', LogonType: 3, IpAddress: e.ip, Computer: e.host, TargetUserName: 'admin', TimeCreated: iso },
      file: 'skew.ndjson',
      position: pos,
    },
    time: { ms: e.ms, ns: 0 },
  };
}

/** Feed in the given order; `watermark` (when given) is told to the detector after each event. */
function run(order: Ev[], watermark?: (i: number) => Instant | null): Alert[] {
  const rules = loadSigmaText(SIGMA, 'skew.yml');
  assert.deepEqual(rules.problems, []);
  const d = new Detector(rules.rules, { contextEvents: 0 });
  const out: Alert[] = [];
  order.forEach((e, i) => {
    const { se, time } = source(e, i + 1);
    d.push(se, time, false);
    if (watermark) d.setWatermark(watermark(i));
    out.push(...d.takeAlerts());
  });
  out.push(...d.end());
  return out.filter((a) => a.ruleId === CORR_ID);
}

/** Per-host order: each lag event, then a slice of lead events (as serve releases them). */
function interleaved(): Ev[] {
  const { lag, lead } = plant();
  const out: Ev[] = [];
  lag.forEach((e, k) => {
    out.push(e);
    out.push(...lead.slice(k * SLICE, (k + 1) * SLICE));
  });
  return out;
}

test('global time order: the lagging host\'s brute force alerts', () => {
  const { lag, lead } = plant();
  const alerts = run([...lag, ...lead]);
  assert.equal(alerts.length, 1);
});

test('per-host order without a watermark (hunt default): the sweep drops the lagging group', () => {
  // Documents the default, which assumes globally ordered input (hunt): not for serve/cluster.
  assert.equal(run(interleaved()).length, 0);
});

test('per-host order with the low watermark over hosts: the lagging group is kept and alerts', () => {
  const order = interleaved();
  // The minimum over hosts of the newest time each released so far (what the reorder buffer knows).
  const newest = new Map<string, number>();
  const alerts = run(order, (i) => {
    newest.set(order[i]!.host, order[i]!.ms);
    if (newest.size < 2) return null;
    return { ms: Math.min(...newest.values()), ns: 0 };
  });
  assert.equal(alerts.length, 1);
  const text = JSON.stringify(alerts[0]!.events);
  assert.match(text, /10\.9\.9\.9/);
  assert.doesNotMatch(text, /10\.1\./);
  assert.equal(alerts[0]!.events.length, 5);
});

test('the watermark still bounds memory: groups behind it are swept', () => {
  const order = interleaved();
  const rules = loadSigmaText(SIGMA, 'skew.yml');
  const d = new Detector(rules.rules, { contextEvents: 0 });
  order.forEach((e, i) => {
    const { se, time } = source(e, i + 1);
    d.push(se, time, false);
    d.setWatermark({ ms: e.ms, ns: 0 }); // as if every stream were at this event's time
  });
  // 18,000 single-match groups over 30 minutes: only those within 5 minutes of the watermark at
  // the last sweep (3,000) and those pushed since (< 4,096) remain.
  assert.ok(d.stateSize() < 3000 + 4096, `state ${d.stateSize()}`);
});

test('serve/cluster path: the reorder buffer\'s low watermark keeps the lagging group', () => {
  const order = interleaved();
  const rules = loadSigmaText(SIGMA, 'skew.yml');
  const d = new Detector(rules.rules, { contextEvents: 0 });
  const alerts: Alert[] = [];
  const reorder = new ReorderBuffer<{ seq: number; host: string; time: Instant; e: Ev }>(0, (it) => {
    const { se, time } = source(it.e, it.seq);
    d.push(se, time, false);
    alerts.push(...d.takeAlerts());
  });
  const wall = Date.UTC(2026, 5, 1);
  order.forEach((e, i) => {
    reorder.add({ seq: i + 1, host: e.host, time: { ms: e.ms, ns: 0 }, e }, wall + i);
    d.setWatermark(reorder.lowWatermark(wall + i, WATERMARK_LIVE_MS));
  });
  reorder.flushIdle(wall + order.length, true);
  alerts.push(...d.end());
  assert.equal(alerts.filter((a) => a.ruleId === CORR_ID).length, 1);
});

test('lowWatermark: minimum over live hosts; a host silent for the live time no longer holds it back', () => {
  const released: string[] = [];
  const r = new ReorderBuffer<{ seq: number; host: string; time: Instant }>(1000, (it) => released.push(it.host));
  assert.equal(r.lowWatermark(0, 60_000), null);
  r.add({ seq: 1, host: 'a', time: { ms: 5_000, ns: 0 } }, 0); // held (lateness 1 s): its oldest held time counts
  assert.deepEqual(r.lowWatermark(0, 60_000), { ms: 5_000, ns: 0 });
  r.add({ seq: 2, host: 'b', time: { ms: 100_000, ns: 0 } }, 10);
  r.add({ seq: 3, host: 'b', time: { ms: 200_000, ns: 0 } }, 20); // releases b@100 s
  r.add({ seq: 4, host: 'a', time: { ms: 9_000, ns: 0 } }, 30); // releases a@5 s
  assert.deepEqual(released, ['b', 'a']);
  assert.deepEqual(r.lowWatermark(40, 60_000), { ms: 5_000, ns: 0 });
  // a silent for more than the live time: b's released time alone.
  r.add({ seq: 5, host: 'b', time: { ms: 300_000, ns: 0 } }, 60_040);
  assert.deepEqual(r.lowWatermark(60_040, 60_000), { ms: 200_000, ns: 0 });
});

test('the watermark is part of the saved state: a restored detector keeps the lagging group', () => {
  const order = interleaved();
  const rules = loadSigmaText(SIGMA, 'skew.yml').rules;
  let d = new Detector(rules, { contextEvents: 0 });
  const alerts: Alert[] = [];
  const newest = new Map<string, number>();
  const cut = 2 * (SLICE + 1) + 1; // just after the lagging host's third event
  order.forEach((e, i) => {
    if (i === cut) {
      const state = JSON.parse(JSON.stringify(d.exportState())) as unknown;
      d = new Detector(rules, { contextEvents: 0 });
      const report = d.importState(state);
      assert.ok(report);
    }
    const { se, time } = source(e, i + 1);
    d.push(se, time, false);
    // Only before the cut: afterwards the restored watermark alone must hold the group.
    if (i < cut) {
      newest.set(e.host, e.ms);
      d.setWatermark(newest.size < 2 ? null : { ms: Math.min(...newest.values()), ns: 0 });
    }
    alerts.push(...d.takeAlerts());
  });
  alerts.push(...d.end());
  assert.equal(alerts.filter((a) => a.ruleId === CORR_ID).length, 1);
});
