/**
 * EngineOptions.retain (engine/context.ts EventKeeper): sequences hold what `keep` returns and emit
 * matches with `restore`d events. Holding stand-ins must give the same matches as holding the
 * events (hunt/detector.ts holds each NDJSON event as its line's text this way), including `until`,
 * which spares a partial only when this very push advanced it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQuery, type EventKeeper, type Match } from '../../src/engine/index.js';
import { parseEql } from '../../src/eql/index.js';
import type { Event } from '../../src/events/field.js';
import { randomEvents as events } from './random-events.js';

const QUERIES = [
  'sequence by h with maxspan=5s [any where kind == "alert"] ![any where event.category in ("process", "file")]',
  'sequence by h with maxspan=8s ![file where n == 1] [process where n < 3] ![network where n == 2] [file where n > 1]',
  'sequence by h with maxspan=60s [process where n == 1] [file where n >= 2] with runs=2 [network where true] until [process where n == 4]',
  // until on the same event kind as a stage: an event both advancing and cancelling
  'sequence by h [process where n < 3] [process where n > 1] until [process where n == 2]',
  'sequence [process where n < 2] by h, u [file where true] by h, u ![network where n == 3] by h, u',
  'sequence by h with maxspan=20s [any where n == 0] [any where n == 0] [any where n == 0]',
];


/** Matches as text: each event in full (restored events must equal the ones pushed), and the keys. */
const text = (ms: Match[]): string[] => ms.map((m) => JSON.stringify({ e: m.events, k: m.keys, x: m.missingStages }));

class Kept {
  constructor(readonly json: string) {}
}

test('sequences holding stand-ins (EngineOptions.retain) give the matches of holding the events', () => {
  let keeps = 0;
  let restores = 0;
  let total = 0;
  const perQuery: number[] = [];
  for (const src of QUERIES) {
    const q = parseEql(src);
    perQuery.push(0);
    for (let seed = 1; seed <= 16; seed++) {
      const evs = events(seed, 300);
      const plain = compileQuery(q);
      const want: Match[] = [];
      for (const ev of evs) {
        plain.push(ev);
        want.push(...plain.drain());
      }
      want.push(...plain.end());

      let pushing: Event | null = null;
      let keptThisPush = 0;
      const keeper: EventKeeper = {
        keep(ev) {
          assert.equal(ev, pushing, 'keep is asked for the event being pushed');
          keptThisPush++;
          keeps++;
          return new Kept(JSON.stringify(ev)) as unknown as Event;
        },
        restore(k) {
          if (!(k instanceof Kept)) return k;
          restores++;
          return JSON.parse(k.json) as Event;
        },
      };
      const held = compileQuery(q, { retain: keeper });
      const got: Match[] = [];
      for (const ev of evs) {
        pushing = ev;
        keptThisPush = 0;
        held.push(ev);
        assert.ok(keptThisPush <= 1, 'one stand-in per event and runner');
        got.push(...held.drain());
      }
      pushing = null;
      got.push(...held.end());
      for (const m of got) for (const e of m.events) assert.ok(!(e instanceof Kept), 'matches carry restored events');
      assert.deepEqual(text(got), text(want), `${src} seed ${seed}`);
      total += want.length;
      perQuery[perQuery.length - 1]! += want.length;
    }
  }
  assert.ok(total > 200, `${total} matches compared`);
  assert.ok(perQuery.every((n) => n >= 20), `matches per query: ${perQuery.join(' ')}`);
  assert.ok(keeps > 1000 && restores > 0, `${keeps} stand-ins, ${restores} restored`);
});
