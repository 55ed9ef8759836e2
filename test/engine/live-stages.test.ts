/**
 * QueryRunner.liveStages (engine/index.ts, sequence.ts Matcher.live): an event whose selected
 * stages are none of the live ones may be left out. Leaving such events out must give the same
 * results as pushing every event (hunt/detector.ts relies on it for stages with no partial to
 * take them, e.g. Elastic's telemetry-loss rule's missing-event stage).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQuery, type Match } from '../../src/engine/index.js';
import { parseEql } from '../../src/eql/index.js';
import type { Event } from '../../src/events/field.js';
import { randomEvents as events } from './random-events.js';

const QUERIES = [
  // trailing missing stage (the telemetry-loss shape)
  'sequence by h with maxspan=5s [any where kind == "alert"] ![any where event.category in ("process", "file")]',
  // missing stage between positives, and a leading one
  'sequence by h with maxspan=8s ![file where n == 1] [process where n < 3] ![network where n == 2] [file where n > 1]',
  // three positives, until, runs
  'sequence by h with maxspan=60s [process where n == 1] [file where n >= 2] with runs=2 [network where true] until [process where n == 4]',
  // no maxspan, two keys
  'sequence [process where n < 2] by h, u [file where true] by h, u ![network where n == 3] by h, u',
];


const ids = (ms: Match[]): string[] => ms.map((m) => m.events.map((e) => e['i']).join(','));

test('leaving out events none of whose stages is live gives the same results as pushing them all', () => {
  let skipped = 0;
  let pushed = 0;
  let results = 0;
  const perQuery: number[] = [];
  for (const text of QUERIES) {
    const q = parseEql(text);
    const nStages = q.kind === 'sequence' ? q.stages.length + (q.until ? 1 : 0) : 1;
    for (let seed = 1; seed <= 24; seed++) {
      const evs = events(seed, 300);
      const lean = compileQuery(q);
      assert.ok(lean.liveStages, 'a sequence runner tells its live stages');
      const b: Match[] = [];
      let r = seed;
      for (const ev of evs) {
        // Stages "selected" for the event: a random superset of nothing in particular (any mask is
        // a superset of what the engine would evaluate when the event is pushed with it).
        r = (r * 69069 + 1) >>> 0;
        const mask = (r >>> 8) & ((1 << nStages) - 1) || 1;
        const want = compileStagesMask(mask);
        if ((want & lean.liveStages!()) === 0) {
          // Left out: must be equivalent to pushing it with this mask.
          skipped++;
          continue;
        }
        pushed++;
        lean.push(ev, want);
        b.push(...lean.drain());
      }
      b.push(...lean.end());
      // The same results as pushing with the masks (the reference for masks is pushing every event).
      const ref = compileQuery(q);
      const c: Match[] = [];
      r = seed;
      for (const ev of evs) {
        r = (r * 69069 + 1) >>> 0;
        const mask = (r >>> 8) & ((1 << nStages) - 1) || 1;
        ref.push(ev, compileStagesMask(mask));
        c.push(...ref.drain());
      }
      c.push(...ref.end());
      assert.deepEqual(ids(b), ids(c), `${text} seed ${seed}`);
      results += c.length;
      perQuery[QUERIES.indexOf(text)] = (perQuery[QUERIES.indexOf(text)] ?? 0) + c.length;
    }
  }
  assert.ok(skipped > 1000 && pushed > 1000, `skipped ${skipped}, pushed ${pushed}`);
  assert.ok(perQuery.every((n) => n > 20), `results per query: ${perQuery.join(" ")}`);
});

test('with every stage selected, the results equal pushing every event (live stages never hide a result)', () => {
  let left = 0;
  let found = 0;
  for (const text of QUERIES) {
    const q = parseEql(text);
    for (let seed = 1; seed <= 12; seed++) {
      const evs = events(seed, 300);
      const all = compileQuery(q);
      const lean = compileQuery(q);
      const a: Match[] = [];
      const b: Match[] = [];
      // Each event with the mask of the stages it can match (category): left out when none is live.
      for (const ev of evs) {
        all.push(ev);
        a.push(...all.drain());
        const mask = maskFor(q, ev);
        if ((mask & lean.liveStages!()) === 0) {
          left++;
          continue;
        }
        lean.push(ev, mask);
        b.push(...lean.drain());
      }
      a.push(...all.end());
      b.push(...lean.end());
      assert.deepEqual(ids(b), ids(a), `${text} seed ${seed}`);
      found += a.length;
    }
  }
  assert.ok(left > 1000, `${left} events left out`);
  assert.ok(found > 50, `${found} results`);
});

const compileStagesMask = (m: number): number => m;

/** Stage j's bit when the event's category can match stage j (`any` always), until last. */
function maskFor(q: ReturnType<typeof parseEql>, ev: Event): number {
  if (q.kind !== 'sequence') return -1;
  const cat = (ev['event'] as { category: string }).category;
  let m = 0;
  const stages = q.until ? [...q.stages, q.until] : q.stages;
  stages.forEach((s, j) => {
    const c = s.query.category;
    if (c === null || c === undefined || c === 'any' || c === cat) m |= 1 << j;
  });
  return m;
}

test('join key texts shared between sequences on the same field follow the value, also on a mutated event', () => {
  const q1 = parseEql('sequence by h [process where n == 1] [file where true]');
  const q2 = parseEql('sequence by h [file where n == 1] [process where true]');
  const r1 = compileQuery(q1);
  const r2 = compileQuery(q2);
  const out1: string[] = [];
  const out2: string[] = [];
  const ev: Event = { '@timestamp': '2024-01-01T00:00:00Z', event: { category: 'process' }, h: 'A', n: 1, i: 1 };
  const feed = (e: Event): void => {
    r1.push(e);
    r2.push(e);
    for (const m of r1.drain()) out1.push(`${m.events.map((x) => x['i']).join(',')}:${String(m.keys)}`);
    for (const m of r2.drain()) out2.push(`${m.events.map((x) => x['i']).join(',')}:${String(m.keys)}`);
  };
  feed({ ...ev });
  // The same object, mutated between pushes: its new key must be read, not the last one seen.
  const same: Event = { '@timestamp': '2024-01-01T00:00:01Z', event: { category: 'file' }, h: 'B', n: 1, i: 2 };
  feed(same);
  same['h'] = 'A';
  same['i'] = 3;
  feed(same);
  feed({ '@timestamp': '2024-01-01T00:00:02Z', event: { category: 'process' }, h: 'B', n: 0, i: 4 });
  assert.deepEqual(out1, ['1,3:A']);
  // (The partial holds the object itself, whose `i` is 3 by now; it was keyed B when pushed.)
  assert.deepEqual(out2, ['3,4:B']);
});
