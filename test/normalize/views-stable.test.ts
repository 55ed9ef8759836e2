/**
 * The ECS view of a Windows record (EVTX, flat) is marked at build time with whether it has
 * dotted keys (normalize/index.ts), from its EventData alone: that must be what walking the whole
 * view finds (events/field.ts noDottedKeys), and fields must read the same through the mark.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { getField, markIfNested, noDottedKeys, NO_DOTTED_KEYS, parseFieldPath, type Event } from '../../src/events/field.js';
import { toEcs } from '../../src/normalize/index.js';
import { readEvtxFile } from '../../src/sources/evtx/index.js';
import { listFiles } from '../../src/sources/list-files.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { toFlatShape } from './helpers.js';

const markOf = (ev: Event): boolean | undefined => (ev as { [NO_DOTTED_KEYS]?: boolean })[NO_DOTTED_KEYS];

test('the mark of an EVTX or flat record view is what a walk of the whole view finds', async (t) => {
  const root = sharedOrSkip(t, 'datasets');
  if (!root) return;
  let n = 0;
  for (const dir of ['evtx-attack-samples', 'evtx-edge-cases', 'deepbluecli']) {
    for (const f of listFiles(join(root, dir), '.evtx')) {
      for await (const batch of readEvtxFile(f, () => {})) {
        for (const se of batch) {
          for (const raw of [se.event, toFlatShape(structuredClone(se.event))]) {
            const view = toEcs(raw);
            if (markOf(view) !== noDottedKeys(view)) assert.fail(`${f}: mark ${String(markOf(view))}, walk ${String(noDottedKeys(view))}`);
            n++;
          }
        }
      }
    }
  }
  assert.ok(n > 10000, `${n} views`);
});

test('a record whose EventData has a dotted key: its view is not marked, and the key still reads', () => {
  const raw: Event = {
    Event: {
      System: { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'PC01', TimeCreated: { '#attributes': { SystemTime: '2024-01-02T03:04:05.000000Z' } }, Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } } },
      EventData: { Image: 'C:\\Windows\\System32\\cmd.exe', 'Custom.Field': 'x', Nested: { 'a.b': 1 } },
    },
  };
  const view = toEcs(raw);
  assert.equal(markOf(view), false);
  markIfNested(view);
  assert.equal(markOf(view), false, 'markIfNested keeps the mark given');
  assert.equal(getField(view, parseFieldPath('winlog.event_data.Custom.Field')), 'x');
  assert.equal(getField(view, parseFieldPath('winlog.event_data.Nested.a.b')), 1);
  assert.equal(getField(view, parseFieldPath('process.executable')), 'C:\\Windows\\System32\\cmd.exe');
  const plain = toEcs({ Event: { ...(raw.Event as Event), EventData: { Image: 'C:\\x.exe' } } });
  assert.equal(markOf(plain), true);
});

test('the mark the NDJSON reader gives a parsed line survives normalization only when true of the ECS view', async () => {
  const { markParsedJson } = await import('../../src/events/field.js');
  const { generateEvents } = await import('../../src/demo/generate.js');
  const lines = [...generateEvents({ events: 3000, hosts: 50, seed: 3 }).events].map((e) => JSON.stringify(e));
  // Other flavours too: Winlogbeat (completed in place), flat and EVTX-shaped records, ECS with dotted keys.
  lines.push(
    JSON.stringify({ '@timestamp': '2024-01-02T03:04:05.000Z', event: { category: ['process'], type: ['start'] }, 'process.executable': 'C:\\x\\a.exe', host: { id: 'h' } }),
    JSON.stringify({ '@timestamp': '2024-01-02T03:04:05.000Z', winlog: { channel: 'Security', event_id: 4688, computer_name: 'PC1', event_data: { NewProcessName: 'C:\\a.exe', 'X.Y': 1 } } }),
    JSON.stringify({ '@timestamp': '2024-01-02T03:04:05.000Z', winlog: { channel: 'Microsoft-Windows-Sysmon/Operational', event_id: 1, computer_name: 'PC1', event_data: { Image: 'C:\\a.exe', CommandLine: 'a.exe /x' } } }),
    JSON.stringify({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'PC1', UtcTime: '2024-01-02 03:04:05.000', Image: 'C:\\a.exe' }),
  );
  let marked = 0;
  for (const line of lines) {
    const raw = JSON.parse(line) as Event;
    markParsedJson(raw, line);
    if (markOf(raw) === true) marked++;
    const view = toEcs(raw);
    markIfNested(view);
    assert.equal(markOf(view), noDottedKeys(view), line);
  }
  assert.ok(marked > 2900, `${marked} lines marked by their text`);
});
