/**
 * A hunt's sequences hold NDJSON events as their line's text (hunt/detector.ts KeptLine, through
 * EngineOptions.retain) and parse them again only when a sequence completes or is snapshotted.
 * Alerts must be those of holding the parsed events; the reader sets SourceEvent.text only when
 * asked and only for a line that is one plain event; the detector drops the text once processed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '../../src/ir/types.js';
import type { Alert } from '../../src/alert/types.js';
import type { Instant } from '../../src/events/timestamp.js';
import type { SourceEvent } from '../../src/sources/types.js';
import { Detector } from '../../src/hunt/detector.js';
import { parseEql } from '../../src/eql/index.js';
import { loadRulePack } from '../../src/rules/index.js';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { parseStored } from '../../src/serve/ingest-parse.js';
import { readNdjsonBytes } from '../../src/sources/ndjson.js';
import type { DetectorState } from '../../src/engine/snapshot.js';

function eqlRule(id: string, query: string): Rule {
  return { id, name: id, source: 'test', language: 'eql', view: 'ecs', query: parseEql(query), severity: 'high' };
}

/** The built-in pack and sequences of other shapes over the generated events' fields. */
function rules(): Rule[] {
  return [
    ...loadRulePack([], {}).rules,
    eqlRule('seq-proc-file', 'sequence by host.id with maxspan=2m [process where event.type == "start"] [file where true]'),
    eqlRule('seq-until', 'sequence by host.id with maxspan=5m [process where event.type == "start"] [network where true] until [process where event.type == "end"]'),
    eqlRule('seq-entity', 'sequence by process.entity_id [process where event.type == "start"] [network where true]'),
    eqlRule('seq-missing', 'sequence by host.id with maxspan=30s [file where true] ![network where true] [process where true]'),
  ];
}

interface Item {
  line: string;
  time: Instant;
}

function lines(): Item[] {
  const gen = generateEvents({ events: 2500, hosts: 4, seed: 23 });
  return [...gen.lines].map((line, i) => {
    const ev = parseStored(line, i + 1);
    assert.ok(ev && ev.time);
    return { line, time: ev.time };
  });
}

/** A fresh source event for the line, with its text (as the hunt's reader gives it) or without. */
function source(x: Item, pos: number, withText: boolean): SourceEvent {
  const se = parseStored(x.line, pos)!.se;
  if (withText) se.text = x.line;
  return se;
}

const json = (as: Alert[]): string[] => as.map((a) => JSON.stringify(a));

function run(rs: Rule[], xs: Item[], withText: boolean, after?: (se: SourceEvent) => void): Alert[] {
  const d = new Detector(rs, { contextEvents: 3 });
  const out: Alert[] = [];
  xs.forEach((x, i) => {
    const se = source(x, i + 1, withText);
    d.push(se, x.time, false);
    after?.(se);
    out.push(...d.takeAlerts());
  });
  out.push(...d.end());
  assert.deepEqual(d.problems, []);
  return out;
}

test('sequences holding line texts raise the alerts of holding the parsed events', () => {
  const rs = rules();
  const xs = lines();
  const texts: (string | undefined)[] = [];
  const kept = run(rs, xs, true, (se) => texts.push(se.text));
  const held = run(rs, xs, false);
  assert.deepEqual(json(kept), json(held));
  const seqs = new Set(kept.filter((a) => a.events.length > 1).map((a) => a.ruleId));
  for (const id of [FILE_SHARE_RULE_ID, 'seq-proc-file', 'seq-until', 'seq-missing']) assert.ok(seqs.has(id), `${id} raised alerts`);
  assert.ok(texts.every((t) => t === undefined), 'the detector drops the text once the event is processed');
});

test('a sequence alert is built from the kept text, not from the object read then', () => {
  const rs = rules();
  const xs = lines();
  // Changing each parsed event after it was pushed shows which one an alert was built from.
  const mark = (se: SourceEvent): void => {
    se.event['changed_after_push'] = true;
  };
  const changed = (as: Alert[]): number => as.filter((a) => a.events.length > 1 && a.events.some((e) => 'changed_after_push' in e.event)).length;
  assert.equal(changed(run(rs, xs, true, mark)), 0, 'with texts: the events as read');
  assert.ok(changed(run(rs, xs, false, mark)) > 0, 'without: the held objects (the test can tell)');
});

test('a snapshot taken while partials hold line texts restores to the same alerts', () => {
  const rs = rules();
  const xs = lines();
  // Alerts as JSON when taken: context events that follow an alert are added to it later, and
  // no snapshot carries an alert already taken.
  const taken = (d: Detector, end = false): string[] => json(end ? d.end() : d.takeAlerts());
  const whole = new Detector(rs, { contextEvents: 3 });
  const want: string[] = [];
  xs.forEach((x, i) => {
    whole.push(source(x, i + 1, true), x.time, false);
    want.push(...taken(whole));
  });
  want.push(...taken(whole, true));
  for (const cut of [1300]) {
    const d = new Detector(rs, { contextEvents: 3 });
    const out: string[] = [];
    xs.slice(0, cut).forEach((x, i) => {
      d.push(source(x, i + 1, true), x.time, false);
      out.push(...taken(d));
    });
    const snap = JSON.parse(JSON.stringify(d.exportState())) as DetectorState;
    assert.ok(snap.rules.some((r) => r.key === 'seq-entity' && JSON.stringify(r.state).includes('"e":[')), 'partials in flight at the cut');
    const e = new Detector(rs, { contextEvents: 3 });
    const report = e.importState(snap);
    assert.deepEqual(report.dropped, []);
    xs.slice(cut).forEach((x, i) => {
      e.push(source(x, cut + i + 1, true), x.time, false);
      out.push(...taken(e));
    });
    out.push(...taken(e, true));
    assert.deepEqual(out, want, `cut ${cut}`);
  }
});

test('the NDJSON reader sets SourceEvent.text when asked, for lines holding one plain event', async () => {
  const text = [
    '{"@timestamp":"2024-01-01T00:00:00Z","a":1}',
    '{"_index":"logs","_id":"7","_source":{"@timestamp":"2024-01-01T00:00:01Z","a":2}}',
    '[{"@timestamp":"2024-01-01T00:00:02Z","a":3},{"@timestamp":"2024-01-01T00:00:03Z","a":4}]',
    '{"@timestamp":"2024-01-01T00:00:04Z","big":123456789012345678901}',
  ].join('\n');
  const read = async (keepText: boolean): Promise<SourceEvent[]> => {
    const out: SourceEvent[] = [];
    const bytes = (async function* () {
      yield Buffer.from(text + '\n');
    })();
    for await (const b of readNdjsonBytes(bytes, 'x.ndjson', () => {}, undefined, keepText)) out.push(...b);
    return out;
  };
  const kept = await read(true);
  assert.deepEqual(
    kept.map((se) => se.text),
    [text.split('\n')[0], undefined, undefined, undefined, text.split('\n')[3]],
  );
  assert.equal(typeof kept[4]!.event['big'], 'bigint');
  assert.ok((await read(false)).every((se) => se.text === undefined));
});
