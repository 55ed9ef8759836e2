/**
 * QueryRunner.heldKeys (engine/held-keys.ts): a sequence keeps its held keys, and each key
 * part's values, as its state changes (counted at every insert and delete) instead of listing
 * them on each change. After every push the view must equal the keys listed from scratch from
 * the state itself (saveState: the partials waiting at each stage and the pending candidates),
 * over seeded random streams and sequence shapes that drop state every way: maxspan (touched
 * and swept), `until`, missing-event stages (between, leading, trailing: pending candidates),
 * completion, fork, runs, multi-part keys, array keys, folded keys, values holding the key
 * separator, a snapshot restore, end of input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileQuery, KEY_SEP, type EngineOptions, type HeldKeys, type QueryRunner } from '../../src/engine/index.js';
import { parseEql } from '../../src/eql/index.js';
import type { Event } from '../../src/events/field.js';
import type { Query } from '../../src/ir/types.js';
import type { EventReader, EventWriter, StateJson } from '../../src/engine/state.js';
import { randomEvents } from './random-events.js';

interface Case {
  text: string;
  opts?: EngineOptions;
  /** Join case-insensitively (a rule's `join_keys: case-insensitive`). */
  fold?: boolean;
}

const CASES: Case[] = [
  // three positives, until, runs
  { text: 'sequence by h with maxspan=6s [process where n == 1] [file where n >= 2] with runs=2 [network where true] until [process where n == 4]' },
  // trailing missing stage (pending candidates)
  { text: 'sequence by h with maxspan=5s [any where kind == "alert"] ![any where event.category in ("process", "file")]' },
  // leading and between missing stages
  { text: 'sequence by h with maxspan=8s ![file where n == 1] [process where n < 3] ![network where n == 2] [file where n > 1]' },
  // two key parts, no maxspan, a trailing missing stage without a deadline
  { text: 'sequence [process where n < 2] by h, u [file where true] by h, u ![network where n == 3] by h, u' },
  // two key parts, three with the stage's own, maxspan, until
  { text: 'sequence by h with maxspan=4s [process where n != 0] by u [file where n < 4] by u [network where true] by u until [file where n == 0] by u' },
  // folded keys
  { text: 'sequence by h with maxspan=3s [process where true] [file where true]', fold: true },
  // Endgame: fork, null keys join
  { text: 'sequence with maxspan=5s by h [process where n < 3] [file where true] fork=true [network where true]', opts: { dialect: 'endgame' } },
];

/**
 * The random stream, with values that make keys of every kind (arrays, upper case, the
 * separator, nulls) and its own times, 0–2.1 s apart: the shared stream's times come from the
 * low bits of its generator and advance only a few seconds over hundreds of events, too little
 * for partials to expire.
 */
function events(seed: number, count: number): Event[] {
  let x = seed >>> 0;
  const rnd = (k: number): number => {
    // mulberry32
    x = (x + 0x6d2b79f5) >>> 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) % k;
  };
  let ms = Date.UTC(2024, 0, 1);
  return randomEvents(seed, count).map((ev) => {
    ms += rnd(4) * 700;
    const out: Event = { ...ev, '@timestamp': new Date(ms).toISOString() };
    const h = ev['h'] as string;
    const r = rnd(23);
    if (r === 0) out['h'] = [h, 'h9'];
    else if (r === 1) out['h'] = h.toUpperCase();
    else if (r === 2) out['h'] = `${h}${KEY_SEP}x`;
    else if (r === 3) out['h'] = null;
    else if (r === 4) out['u'] = [0, 1];
    return out;
  });
}

const writer: EventWriter = { event: (ev) => ev['i'] as number };

/** The keys held, listed from the state: waiting partials' keys and pending candidates' keys, each time held. */
function keysFromState(runner: QueryRunner): string[] {
  const s = runner.saveState!(writer) as { c: StateJson[] };
  const out: string[] = [];
  for (const cell of s.c) {
    const o = cell as { w?: [string, unknown][][]; p?: { k: string }[] };
    if (o.w === undefined || o.p === undefined) continue;
    for (const stage of o.w) for (const [k] of stage) out.push(k);
    for (const p of o.p) out.push(p.k);
  }
  return out;
}

/** The held view equals the keys listed from the state, with each part's values (the gate's old split). */
function assertSame(held: HeldKeys, listed: string[], where: string): void {
  const distinct = new Set(listed);
  assert.equal(held.size, distinct.size, `${where}: size`);
  assert.deepEqual(new Set(held.keys()), distinct, `${where}: keys`);
  for (const k of distinct) assert.ok(held.has(k), `${where}: has`);
  const split = [...distinct].map((k) => k.split(KEY_SEP));
  const widths = new Set(split.map((p) => p.length));
  for (let width = 1; width <= 4; width++) {
    for (let i = 0; i < width; i++) {
      const got = held.part(i, width);
      if (distinct.size > 0 && (widths.size !== 1 || !widths.has(width))) {
        assert.equal(got, null, `${where}: keys of other widths cannot be split into ${width}`);
        continue;
      }
      assert.ok(got !== null, `${where}: part ${i} of ${width}`);
      const want = new Map<string, number>();
      for (const p of split) want.set(p[i]!, (want.get(p[i]!) ?? 0) + 1);
      assert.deepEqual(new Map(got), want, `${where}: part ${i} of ${width}`);
    }
  }
}

const compile = (c: Case): { q: Query; run: () => QueryRunner } => {
  const q = parseEql(c.text, c.opts?.dialect === 'endgame' ? { dialect: 'endgame' } : undefined);
  if (c.fold && q.kind === 'sequence') q.caseInsensitiveKeys = true;
  return { q, run: () => compileQuery(q, c.opts) };
};

test('the held keys and their parts equal the keys listed from the state after every push', () => {
  let maxHeld = 0;
  let emptied = 0;
  let results = 0;
  const unsplit = new Set<number>();
  for (const c of CASES) {
    const { run } = compile(c);
    for (let seed = 1; seed <= 12; seed++) {
      const evs = events(seed, 400);
      const r = run();
      // Asked from the start: kept from the first push on.
      const held = r.heldKeys()!;
      assert.ok(held !== null, 'a sequence lists its keys');
      let last = held.version;
      let horizon = r.horizon();
      for (const ev of evs) {
        r.push(ev);
        results += r.drain().length;
        const listed = keysFromState(r);
        assertSame(held, listed, `${c.text} seed ${seed} event ${ev['i']}`);
        assert.equal(r.heldKeys(), held, 'the same view for the runner’s life');
        // What is computed from the state holds while the version stays (hunt/query-stream.ts).
        if (held.version === last) assert.deepEqual(r.horizon(), horizon, `${c.text} seed ${seed}: state changed, version did not`);
        last = held.version;
        horizon = r.horizon();
        maxHeld = Math.max(maxHeld, held.size);
        if (held.part(0, 1) === null && held.part(0, 2) === null && held.part(0, 3) === null) unsplit.add(CASES.indexOf(c));
      }
      results += r.end().length;
      assertSame(held, keysFromState(r), `${c.text} seed ${seed} end`);
      if (held.size === 0) emptied++;
    }
  }
  assert.ok(maxHeld >= 8, `at most ${maxHeld} keys held at once`);
  assert.ok(emptied > 0 && results > 100, `${emptied} runs ended empty, ${results} results`);
  assert.ok(unsplit.size >= 3, 'keys holding the separator were held');
});

test('asked for the first time mid-stream, after a snapshot restore, and through maxspan sweeps', () => {
  const writerBack = new Map<number, Event>();
  const reader: EventReader = { event: (ref) => writerBack.get(ref as number)! };
  for (const c of CASES) {
    const { run } = compile(c);
    // Long enough for the periodic maxspan sweep (every 8,192 events).
    const evs = events(99, 20_000);
    for (const ev of evs) writerBack.set(ev['i'] as number, ev);
    const r = run();
    const restored = run();
    const restoredHeld = restored.heldKeys()!; // asked before the state is loaded over it
    let held: HeldKeys | null = null;
    for (const ev of evs) {
      r.push(ev);
      r.drain();
      const i = ev['i'] as number;
      if (i === 777) held = r.heldKeys();
      if (held !== null && (i % 97 === 0 || i > 19_900)) assertSame(held, keysFromState(r), `${c.text} event ${i}`);
      if (i === 10_000) {
        restored.loadState!(JSON.parse(JSON.stringify(r.saveState!(writer))) as StateJson, reader);
        assertSame(restoredHeld, keysFromState(restored), `${c.text} restored`);
      }
      if (i > 10_000) {
        restored.push(ev);
        restored.drain();
        if (i % 97 === 0) assertSame(restoredHeld, keysFromState(restored), `${c.text} restored, event ${i}`);
      }
    }
    r.end();
    restored.end();
    assertSame(held!, keysFromState(r), `${c.text} end`);
    assertSame(restoredHeld, [...held!.keys()], `${c.text} restored end`);
  }
});
