/**
 * Elasticsearch's `test_extra.toml` (../shared) runs over a small data set of its own that
 * ../shared does not hold. Its nine events are described here from the Elasticsearch EQL QA
 * sources: two transactions (REQUEST → ERROR → STAT, ids 1-3 each, transID 1234 and 1235, the
 * second with ERROR and STAT at the same instant) and three OPTIONAL events (ids 4-6) whose
 * `default_null_value_field` is null in 4 and 6 — which that index maps with `null_value: "NULL"`,
 * so Elasticsearch sees "NULL" there — and absent in 5. Event ids are the `sequence` field, which
 * is also the tiebreaker; the category is `event_type`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { parseEql } from '../../src/eql/index.js';
import { runBatch } from '../../src/engine/index.js';
import { parseTimestamp } from '../../src/events/timestamp.js';
import type { Event } from '../../src/events/field.js';
import { sharedOrSkip } from '../helpers/shared.js';

const tx = (t: number, type: string, transID: number, sequence: number): Event => ({ '@timestamp': String(t), event_type: type, transID, sequence });
const EXTRA: Event[] = [
  tx(1, 'REQUEST', 1234, 1),
  tx(2, 'ERROR', 1234, 2),
  tx(3, 'STAT', 1234, 3),
  tx(10, 'REQUEST', 1235, 1),
  tx(11, 'ERROR', 1235, 2),
  tx(11, 'STAT', 1235, 3),
  { '@timestamp': '100', event_type: 'OPTIONAL', default_null_value_field: 'NULL', sequence: 4 },
  { '@timestamp': '101', event_type: 'OPTIONAL', sequence: 5 },
  { '@timestamp': '102', event_type: 'OPTIONAL', default_null_value_field: 'NULL', sequence: 6 },
];

test('elasticsearch test_extra.toml over the extra data set', (t) => {
  const path = sharedOrSkip(t, 'conformance', 'eql', 'elasticsearch', 'test_extra.toml');
  if (!path) return;
  const specs = (parseToml(readFileSync(path, 'utf8')) as unknown as { queries: { name: string; query: string; expected_event_ids: number[] }[] }).queries;
  const failures: string[] = [];
  for (const s of specs) {
    const q = parseEql(s.query, { dialect: 'elasticsearch' });
    const got = runBatch(q, EXTRA, {
      dialect: 'elasticsearch',
      category: ['event_type'],
      tiebreaker: ['sequence'],
      timestamp: (ev) => parseTimestamp(ev['@timestamp']),
    }).flatMap((m) => m.events.map((e) => Number(e['sequence'])));
    if (JSON.stringify(got) !== JSON.stringify(s.expected_event_ids.map(Number))) failures.push(`${s.name}: expected ${JSON.stringify(s.expected_event_ids)}, got ${JSON.stringify(got)}`);
  }
  t.diagnostic(`elasticsearch/test_extra.toml: ${specs.length - failures.length}/${specs.length} pass`);
  assert.deepEqual(failures, []);
  assert.equal(specs.length, 9);
});
