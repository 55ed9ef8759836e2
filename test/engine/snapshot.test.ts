/**
 * Detection state snapshots (engine/snapshot.ts, Detector.exportState/importState): a stream cut
 * anywhere, its state exported, JSON round-tripped and imported into a fresh Detector, gives the
 * same alerts (ids, events, sources, 64-bit values) as an uninterrupted run; a changed rule set
 * keeps the state of unchanged rules only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '../../src/ir/types.js';
import type { Alert } from '../../src/alert/types.js';
import type { Instant } from '../../src/events/timestamp.js';
import type { SourceEvent } from '../../src/sources/types.js';
import type { Event } from '../../src/events/field.js';
import { Detector } from '../../src/hunt/detector.js';
import { parseEql } from '../../src/eql/index.js';
import { loadRulePack } from '../../src/rules/index.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { parseStored } from '../../src/serve/ingest-parse.js';
import { SnapshotError, type DetectorState } from '../../src/engine/snapshot.js';
import { compileQuery, type EngineOptions, type Match } from '../../src/engine/index.js';
import { encodeValue, decodeValue, type EventReader, type EventWriter, type StateJson } from '../../src/engine/state.js';
import { CORR_SIGMA, ORDERED_SIGMA } from '../cluster/corr-fixtures.js';
import { failedNetworkLogonRule, okLogonRule } from '../helpers/sigma-logon-rules.js';

interface Item {
  se: SourceEvent;
  time: Instant;
  line: string;
}

/** NDJSON lines → stream items (parsed exactly: integers beyond 2^53 stay bigints), position = seq. */
function items(lines: Iterable<string>): Item[] {
  const out: Item[] = [];
  let seq = 0;
  for (const line of lines) {
    const ev = parseStored(line, ++seq);
    assert.ok(ev && ev.time, `line ${seq} parses with a time`);
    out.push({ se: ev.se, time: ev.time, line });
  }
  return out;
}

/** Fresh copies, same positions (a detector's views are cached on the parsed document). */
function fresh(xs: Item[]): Item[] {
  return xs.map((x) => {
    const ev = parseStored(x.line, x.se.position!);
    assert.ok(ev && ev.time);
    return { se: ev.se, time: ev.time, line: x.line };
  });
}

/**
 * An alert as JSON text when taken (serve and cluster store or publish it then; an alert object
 * still collecting following context events changes after that, which no snapshot carries),
 * with its id and rule read back for the assertions.
 */
interface Taken {
  id: string;
  ruleId: string;
  json: string;
}
const taken = (as: Alert[]): Taken[] => as.map((a) => ({ id: a.id, ruleId: a.ruleId, json: toJson(a) }));
function toJson(a: Alert): string {
  try {
    return JSON.stringify(a);
  } catch {
    // Context events keep the raw document's bigints.
    return JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  }
}
const text = (as: Taken[]): string[] => as.map((a) => a.json);

function uninterrupted(rules: Rule[], xs: Item[], contextEvents = 4): Taken[] {
  const d = new Detector(rules, { contextEvents });
  const out: Taken[] = [];
  for (const x of xs) {
    d.push(x.se, x.time, false);
    out.push(...taken(d.takeAlerts()));
  }
  out.push(...taken(d.end()));
  assert.deepEqual(d.problems, []);
  return out;
}

/** Run to `cut`, export, JSON round-trip, import into a fresh detector (fresh event objects), run the rest. */
function interrupted(rules: Rule[], xs: Item[], cut: number, contextEvents = 4, after?: Rule[]): { alerts: Taken[]; snap: DetectorState; report: ReturnType<Detector['importState']> } {
  const d = new Detector(rules, { contextEvents });
  const out: Taken[] = [];
  for (const x of xs.slice(0, cut)) {
    d.push(x.se, x.time, false);
    out.push(...taken(d.takeAlerts()));
  }
  const snap = d.exportState();
  const wire = JSON.stringify(snap);
  const d2 = new Detector(after ?? rules, { contextEvents });
  const report = d2.importState(JSON.parse(wire));
  for (const x of fresh(xs.slice(cut))) {
    d2.push(x.se, x.time, false);
    out.push(...taken(d2.takeAlerts()));
  }
  out.push(...taken(d2.end()));
  assert.deepEqual(d2.problems, []);
  return { alerts: out, snap: JSON.parse(wire) as DetectorState, report };
}

function eqlRule(id: string, query: string): Rule {
  return { id, name: id, source: 'test', language: 'eql', view: 'ecs', query: parseEql(query), severity: 'high' };
}

// ---------------------------------------------------------------------------------------------
// Synthetic ECS process/network stream for the EQL sequence features.

const BIG = [9223372036854775807n, 18446744073709551557n, 9007199254740993n];
const HOSTS = ['h1', 'h2', 'h3', 'h4'];
const NAMES = ['a.exe', 'b.exe', 'c.exe', 'x.exe', 'stop.exe', 'other.exe', 'other.exe'];

/** Deterministic pseudo-random stream; ids and record ids beyond 2^53 as JSON integer literals. */
function processLines(n: number, seed = 1): string[] {
  let s = seed >>> 0;
  const rnd = (k: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % k;
  };
  const out: string[] = [];
  let t = Date.parse('2026-03-02T08:00:00Z');
  for (let i = 0; i < n; i++) {
    t += 1000 + rnd(20_000);
    const host = HOSTS[rnd(HOSTS.length)]!;
    const big = BIG[rnd(BIG.length)]!;
    const rec = 18446744073709000000n + BigInt(i);
    const cat = rnd(5) === 0 ? 'network' : 'process';
    const name = NAMES[rnd(NAMES.length)]!;
    out.push(
      `{"@timestamp":"${new Date(t).toISOString()}","host":{"name":"${host}"},"event":{"category":["${cat}"],"type":["start"],"kind":"event"},` +
        `"process":{"name":"${name}","pid":${100 + rnd(50)},"entity_id":"${host}-${i}"},"custom":{"big":${big}},"winlog":{"record_id":${rec}}}`,
    );
  }
  return out;
}

const SEQ_RULES: Rule[] = [
  eqlRule('seq-until', 'sequence by host.name with maxspan=10m [process where process.name == "a.exe"] [process where process.name == "b.exe"] until [process where process.name == "stop.exe"]'),
  eqlRule('seq-missing-trailing', 'sequence by host.name with maxspan=2m [process where process.name == "a.exe"] ![process where process.name == "x.exe"]'),
  eqlRule('seq-missing-middle', 'sequence by host.name with maxspan=5m [process where process.name == "a.exe"] ![process where process.name == "x.exe"] [process where process.name == "c.exe"]'),
  eqlRule('seq-runs', 'sequence by host.name with maxspan=3m [process where process.name == "c.exe"] with runs=3'),
  eqlRule('seq-big-key', 'sequence by custom.big with maxspan=1m [network where true] [process where process.name == "b.exe"]'),
  eqlRule('seq-no-maxspan', 'sequence by host.name [process where process.name == "stop.exe"] [process where process.name == "x.exe"] [process where process.name == "stop.exe"]'),
  eqlRule('head-pipe', 'process where process.name == "c.exe" and host.name == "h2" | head 7'),
  eqlRule('sample', 'sample by host.name [process where process.name == "a.exe"] [network where true]'),
];

test('EQL sequences (until, missing-event stages, runs=N, 64-bit keys, no maxspan), pipes and samples: a snapshot at any point changes no alert', () => {
  const xs = items(processLines(2000));
  const want = uninterrupted(SEQ_RULES, xs);
  const perRule = new Map<string, number>();
  for (const a of want) perRule.set(a.ruleId, (perRule.get(a.ruleId) ?? 0) + 1);
  for (const r of SEQ_RULES) assert.ok((perRule.get(r.id) ?? 0) > 0, `${r.id} alerts in the stream (${JSON.stringify([...perRule])})`);
  let heldState = 0;
  for (const cut of [1, 17, 400, 1111, 1500, 1999]) {
    const got = interrupted(SEQ_RULES, xs, cut);
    assert.deepEqual(got.report.restored.sort(), SEQ_RULES.map((r) => r.id).sort());
    assert.equal(got.report.sameRules, true);
    if (got.snap.events.length > 0) heldState++;
    assert.deepEqual(got.alerts.map((a) => a.id), want.map((a) => a.id), `cut ${cut}: same alert ids in the same order`);
    assert.deepEqual(text(got.alerts), text(want), `cut ${cut}: same alerts`);
  }
  assert.ok(heldState >= 4, 'most cuts held events in state');
  // 64-bit values stay exact in the alerts' events (record ids beyond 2^53 end in ...000000+i).
  const big = want.find((a) => a.ruleId === 'seq-big-key')!;
  assert.match(big.json, /18446744073709\d{6}/);
  assert.match(big.json, /9223372036854775807|18446744073709551557|9007199254740993/);
});

test('the snapshot keeps 64-bit values exact and each held event once', () => {
  const xs = items(processLines(600, 3));
  const d = new Detector(SEQ_RULES, { contextEvents: 2 });
  for (const x of xs) d.push(x.se, x.time, false);
  const snap = JSON.parse(JSON.stringify(d.exportState())) as DetectorState;
  assert.ok(snap.events.length > 0);
  const raws = snap.events.map((e) => decodeValue(e.raw) as { custom: { big: unknown }; winlog: { record_id: unknown } });
  for (const r of raws) {
    assert.equal(typeof r.winlog.record_id, 'bigint');
    assert.ok(BIG.includes(r.custom.big as bigint));
  }
  const positions = snap.events.map((e) => e.position);
  assert.equal(new Set(positions).size, positions.length, 'one table row per event');
  for (const e of snap.events) assert.equal(e.file, 'stream');
});

// ---------------------------------------------------------------------------------------------
// The built-in pack (file share → execution sequence and the rest) over generated Defend events.

test('built-in pack over generated Defend events: cuts inside planted file-share attacks change no alert', () => {
  const pack = loadRulePack([], {});
  assert.ok(pack.rules.some((r) => r.id === FILE_SHARE_RULE_ID));
  const gen = generateEvents({ events: 6000, hosts: 6, seed: 11 });
  const xs = items(gen.lines);
  const want = uninterrupted(pack.rules, xs);
  const fs = want.filter((a) => a.ruleId === FILE_SHARE_RULE_ID);
  assert.ok(fs.length >= 1 && fs.length === gen.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID).length, `planted file-share attacks found (${fs.length})`);
  // Cut just after each planted attack's first event (the file written over SMB): its sequence is in flight.
  const cuts = new Set<number>([2500]);
  for (const p of gen.planted) {
    const at = Date.parse(p.time);
    const i = xs.findIndex((x) => x.time.ms > at);
    if (i > 0 && cuts.size < 5) cuts.add(i);
  }
  let inFlight = 0;
  for (const cut of cuts) {
    const got = interrupted(pack.rules, xs, cut);
    const fsState = got.snap.rules.find((r) => r.key === FILE_SHARE_RULE_ID);
    if (fsState && JSON.stringify(fsState.state).includes('"e":[')) inFlight++;
    assert.deepEqual(got.alerts.map((a) => a.id), want.map((a) => a.id), `cut ${cut}`);
    assert.deepEqual(text(got.alerts), text(want), `cut ${cut}: same alerts (writer, context, sources)`);
  }
  assert.ok(inFlight >= 1, 'some cut held a file-share sequence partial');
});

// ---------------------------------------------------------------------------------------------
// Sigma correlations (event_count, value_count, temporal_ordered, temporal, a `lt` window).

const MORE_SIGMA = `${failedNetworkLogonRule()}---
${okLogonRule()}---
title: Both kinds from one source
id: c0ffee00-0000-4000-8000-000000000010
level: medium
correlation:
    type: temporal
    rules: [failed_network_logon, ok_logon]
    group-by: [IpAddress]
    timespan: 2m
---
title: A few failures only
id: c0ffee00-0000-4000-8000-000000000011
level: low
correlation:
    type: event_count
    rules: [failed_network_logon]
    group-by: [TargetUserName]
    timespan: 3m
    condition:
        lt: 3
`;

function sigmaRules(): Rule[] {
  const out: Rule[] = [];
  const seen = new Set<string>();
  for (const doc of [CORR_SIGMA, ORDERED_SIGMA, MORE_SIGMA]) {
    const r = loadSigmaText(doc, 'test.yml');
    assert.deepEqual(r.problems, []);
    for (const rule of r.rules) if (rule.query.kind === 'correlation' && !seen.has(rule.id)) (seen.add(rule.id), out.push(rule));
  }
  return out;
}

function logonLines(n: number, seed: number): string[] {
  let s = seed >>> 0;
  const rnd = (k: number): number => {
    s = (Math.imul(s, 22695477) + 1) >>> 0;
    return (s >>> 8) % k;
  };
  const out: string[] = [];
  let t = Date.parse('2026-03-02T08:00:00Z');
  for (let i = 0; i < n; i++) {
    t += 500 + rnd(9000);
    const host = `ws${rnd(5)}`;
    const ip = `10.0.0.${rnd(6)}`;
    const user = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'administrator'][rnd(7)]!;
    const id = rnd(4) === 0 ? 4624 : 4625;
    out.push(
      JSON.stringify({
        '@timestamp': new Date(t).toISOString(),
        host: { name: host },
        event: { code: String(id), provider: 'Microsoft-Windows-Security-Auditing', created: new Date(t).toISOString() },
        winlog: {
          channel: 'Security',
          event_id: String(id),
          record_id: String(1000 + i),
          computer_name: host,
          provider_name: 'Microsoft-Windows-Security-Auditing',
          event_data: { IpAddress: ip, TargetUserName: user, LogonType: '3', TargetDomainName: 'CORP' },
        },
      }),
    );
  }
  return out;
}

test('Sigma correlations (event_count, value_count, temporal, temporal_ordered, lt): a snapshot at any point changes no alert', () => {
  const rules = sigmaRules();
  assert.equal(rules.length, 5);
  const xs = items(logonLines(1500, 5));
  const want = uninterrupted(rules, xs, 0);
  for (const r of rules) assert.ok(want.some((a) => a.ruleId === r.id), `${r.name} alerts in the stream`);
  for (const cut of [3, 250, 777, 1234, 1499]) {
    const got = interrupted(rules, xs, cut, 0);
    assert.ok(got.snap.events.length > 0, `cut ${cut}: windows held events`);
    assert.deepEqual(got.alerts.map((a) => a.id), want.map((a) => a.id), `cut ${cut}`);
    assert.deepEqual(text(got.alerts), text(want), `cut ${cut}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Rule-set change, and snapshots that cannot be read.

test('a changed rule set restores only unchanged rules (by id and content) and reports the rest', () => {
  const xs = items(processLines(2000, 9));
  const keep = SEQ_RULES.find((r) => r.id === 'seq-until')!;
  const changed = SEQ_RULES.find((r) => r.id === 'seq-runs')!;
  const removed = SEQ_RULES.find((r) => r.id === 'seq-missing-middle')!;
  const before = [keep, changed, removed];
  const changedNow = eqlRule('seq-runs', 'sequence by host.name with maxspan=3m [process where process.name == "c.exe"] with runs=2');
  const added = eqlRule('seq-new', 'sequence by host.name with maxspan=1m [process where process.name == "b.exe"] [process where process.name == "a.exe"]');
  const after = [keep, changedNow, added];
  const cut = 1000;
  const got = interrupted(before, xs, cut, 0, after);
  assert.equal(got.report.sameRules, false);
  assert.deepEqual(got.report.restored, ['seq-until']);
  assert.deepEqual(got.report.dropped.map((d) => [d.key, d.reason]).sort(), [
    ['seq-missing-middle', 'rule not in the current rule set (or now stateless)'],
    ['seq-runs', 'rule changed since the snapshot'],
  ]);
  assert.deepEqual(got.report.fresh, ['seq-new']);
  // The unchanged rule's alerts are those of an uninterrupted run.
  const whole = uninterrupted([keep], xs, 0);
  assert.ok(whole.length > 0);
  assert.deepEqual(text(got.alerts.filter((a) => a.ruleId === 'seq-until')), text(whole));
  // The changed and the new rule start empty at the cut: as a detector started there.
  const tail = uninterrupted([changedNow, added], xs.slice(cut), 0);
  const afterCut = got.alerts.filter((a) => (a.ruleId === 'seq-runs' || a.ruleId === 'seq-new') && (JSON.parse(a.json) as Alert).events[0]!.position! > cut);
  assert.ok(tail.length > 0);
  assert.deepEqual(text(afterCut), text(tail));
});

test('a snapshot of another format or a newer version is refused whole; a rule state that does not fit is dropped, not half-loaded', () => {
  const d = new Detector(SEQ_RULES, { contextEvents: 0 });
  const xs = items(processLines(300, 4));
  for (const x of xs) d.push(x.se, x.time, false);
  const snap = JSON.parse(JSON.stringify(d.exportState())) as DetectorState;
  assert.throws(() => new Detector(SEQ_RULES, { contextEvents: 0 }).importState({ ...snap, version: 99 }), SnapshotError);
  assert.throws(() => new Detector(SEQ_RULES, { contextEvents: 0 }).importState({ ...snap, format: 'x' }), SnapshotError);
  assert.throws(() => new Detector(SEQ_RULES, { contextEvents: 0 }).importState('nope'), SnapshotError);
  const broken = { ...snap, rules: snap.rules.map((r) => (r.key === 'seq-until' ? { ...r, state: { c: [{ w: 'bad' }] } } : r)) };
  const d2 = new Detector(SEQ_RULES, { contextEvents: 0 });
  const rep = d2.importState(broken);
  assert.deepEqual(rep.dropped.map((x) => x.key), ['seq-until']);
  assert.match(rep.dropped[0]!.reason, /does not fit/);
  // The dropped rule runs from empty state; nothing throws.
  for (const x of fresh(xs)) d2.push(x.se, x.time, false);
  d2.end();
  assert.deepEqual(d2.problems, []);
});

// ---------------------------------------------------------------------------------------------
// Engine level: lineage (Endgame) and the pipes that hold results until the end.

function engineRoundTrip(query: string, dialect: 'elasticsearch' | 'endgame', evs: Event[], cut: number): { got: string; want: string } {
  const opts: EngineOptions = { dialect, category: ['event_type'] };
  const show = (ms: Match[]): string => JSON.stringify(ms.map((m) => ({ ...m, events: m.events.map((e) => (e as { id?: unknown }).id ?? e) })));
  const whole = compileQuery(parseEql(query, { dialect }), opts);
  const want: Match[] = [];
  for (const ev of evs) (whole.push(ev), want.push(...whole.drain()));
  want.push(...whole.end());
  const a = compileQuery(parseEql(query, { dialect }), opts);
  const got: Match[] = [];
  for (const ev of evs.slice(0, cut)) (a.push(ev), got.push(...a.drain()));
  const table: Event[] = [];
  const idx = new Map<Event, number>();
  const w: EventWriter = {
    event(ev) {
      let i = idx.get(ev);
      if (i === undefined) (idx.set(ev, (i = table.length)), table.push(ev));
      return i;
    },
  };
  const state = a.saveState!(w);
  const wire = JSON.parse(JSON.stringify({ state, events: table.map(encodeValue) })) as { state: StateJson; events: StateJson[] };
  const back = wire.events.map((e) => decodeValue(e) as Event);
  const r: EventReader = { event: (ref) => back[ref as number]! };
  const b = compileQuery(parseEql(query, { dialect }), opts);
  b.loadState!(wire.state, r);
  for (const ev of evs.slice(cut).map((e) => decodeValue(encodeValue(e)) as Event)) (b.push(ev), got.push(...b.drain()));
  got.push(...b.end());
  return { got: show(got), want: show(want) };
}

test('engine state round trip: lineage (descendant of, child of), head/tail/unique/count/sort/unique_count pipes', () => {
  const evs: Event[] = [];
  let t = Date.parse('2026-03-02T08:00:00Z');
  const names = ['cmd.exe', 'whoami.exe', 'net.exe', 'notepad.exe', 'powershell.exe'];
  for (let i = 0; i < 200; i++) {
    t += 1000;
    const upid = 100 + i;
    const uppid = i < 3 ? 1 : 100 + Math.floor(i / 2);
    evs.push({ id: i, event_type: 'process', '@timestamp': new Date(t).toISOString(), opcode: i % 9 === 5 ? 2 : 1, pid: upid, unique_pid: upid, unique_ppid: uppid, process_name: names[i % names.length], big: 9007199254740993n + BigInt(i % 3) });
  }
  const queries: [string, 'elasticsearch' | 'endgame'][] = [
    ['process where descendant of [process where process_name == "cmd.exe"]', 'endgame'],
    ['process where child of [process where process_name == "powershell.exe"]', 'endgame'],
    ['process where true | unique process_name | head 4', 'endgame'],
    ['process where true | tail 3', 'endgame'],
    ['process where true | count process_name', 'endgame'],
    ['process where true | sort big, id | head 5', 'endgame'],
    ['sequence by big [process where opcode == 1] [process where opcode == 1] | unique_count process_name', 'endgame'],
    ['join by process_name [process where opcode == 1] [process where opcode == 2]', 'endgame'],
  ];
  for (const [q, dialect] of queries) {
    for (const cut of [1, 50, 133, 199]) {
      const { got, want } = engineRoundTrip(q, dialect, evs, cut);
      assert.ok(want !== '[]', `${q}: matches`);
      assert.equal(got, want, `${q} cut ${cut}`);
    }
  }
});

test('host context rings imported into a detector with a smaller ring keep the newest events, in order', () => {
  const xs = items(processLines(1200, 6));
  const cut = 600;
  const big = new Detector(SEQ_RULES, { contextEvents: 8 });
  for (const x of xs.slice(0, cut)) (big.push(x.se, x.time, false), big.takeAlerts());
  const wire = JSON.stringify(big.exportState());
  const small = new Detector(SEQ_RULES, { contextEvents: 3 });
  small.importState(JSON.parse(wire));
  const got: Taken[] = [];
  for (const x of fresh(xs.slice(cut))) (small.push(x.se, x.time, false), got.push(...taken(small.takeAlerts())));
  // An uninterrupted detector with the smaller ring, alerts after the cut.
  const whole = new Detector(SEQ_RULES, { contextEvents: 3 });
  const want: Taken[] = [];
  xs.forEach((x, i) => {
    whole.push(x.se, x.time, false);
    const as = taken(whole.takeAlerts());
    if (i >= cut) want.push(...as);
  });
  assert.ok(want.length > 0);
  assert.deepEqual(text(got), text(want));
});
