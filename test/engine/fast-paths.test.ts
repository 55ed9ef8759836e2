/**
 * The engine's fast paths must give the same answers as the general ones: the lower-casing memo,
 * literal comparisons without per-call closures, category dispatch and string join keys in
 * sequences.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Expr, Pattern, Query, Stage } from '../../src/ir/types.js';
import { compileExpr, compilePredicate, compileQuery, runBatch } from '../../src/engine/index.js';
import { lowerAny, lowerIn, lowerSlot } from '../../src/engine/lower.js';
import type { Event } from '../../src/events/field.js';

const f = (...path: (string | number)[]): Expr => ({ kind: 'field', path });
const lit = (value: string | number | boolean | null): Expr => ({ kind: 'literal', value });
const glob = (text: string): Pattern =>
  text.split(/(\*)/).filter((s) => s !== '').map((s) => (s === '*' ? { t: 'star' as const } : { t: 'lit' as const, v: s }));

test('lower-casing memo: keyed by the string, so a mutated or reused event is never answered stale', () => {
  const slot = lowerSlot(['fast', 'path']);
  assert.equal(lowerSlot(['fast', 'path']), slot, 'one slot per path');
  assert.notEqual(lowerSlot(['fast', 'other']), slot);
  assert.equal(lowerIn(slot, 'ABC'), 'abc');
  assert.equal(lowerIn(slot, 'ABC'), 'abc');
  assert.equal(lowerIn(slot, 'XYZ'), 'xyz');
  assert.equal(lowerAny('ÄbC'), 'äbc');
  assert.equal(lowerAny('ÄbC'), 'äbc');

  const p = compilePredicate({ kind: 'wildcard', expr: f('image'), patterns: [glob('*\\cmd.exe')], caseInsensitive: true });
  const ev: Event = { image: 'C:\\Windows\\CMD.EXE' };
  assert.equal(p(ev), true);
  ev['image'] = 'C:\\Windows\\notepad.exe';
  assert.equal(p(ev), false, 'same object, new value');
  ev['image'] = 'C:\\Windows\\Cmd.Exe';
  assert.equal(p(ev), true);
  // Several rules reading the same path share the slot and still answer independently.
  const q = compilePredicate({ kind: 'in', expr: f('image'), values: [lit('c:\\windows\\notepad.exe')], caseInsensitive: true, negated: false });
  const r = compilePredicate({ kind: 'compare', op: '==', left: f('image'), right: lit('C:\\WINDOWS\\NOTEPAD.EXE'), caseInsensitive: true });
  for (const [image, want] of [
    ['C:\\Windows\\NOTEPAD.exe', [false, true, true]],
    ['C:\\Windows\\cmd.exe', [true, false, false]],
    ['c:\\windows\\notepad.exe', [false, true, true]],
  ] as const) {
    const e = { image };
    assert.deepEqual([p(e), q(e), r(e)], want, image);
  }
  // Case-sensitive tests never see a lower-cased value.
  const cased = compilePredicate({ kind: 'wildcard', expr: f('image'), patterns: [glob('*\\cmd.exe')], caseInsensitive: false });
  assert.equal(cased({ image: 'C:\\CMD.EXE' }), false);
  assert.equal(cased({ image: 'C:\\cmd.exe' }), true);
});

test('keyword search folds case for every string of the event, repeatedly', () => {
  const k = compilePredicate({ kind: 'keyword', patterns: [glob('*mimikatz*')], caseInsensitive: true });
  assert.equal(k({ a: { b: ['x', 'Invoke-MIMIKATZ'] } }), true);
  assert.equal(k({ a: { b: ['x', 'Invoke-MIMIKATZ'] } }), true);
  assert.equal(k({ a: 'nothing' }), false);
});

test('comparisons with boolean literals and field-to-field comparisons keep any-element semantics', () => {
  const t = compileExpr({ kind: 'compare', op: '==', left: f('trusted'), right: lit(true), caseInsensitive: false });
  assert.equal(t({ trusted: true }), true);
  assert.equal(t({ trusted: false }), false);
  assert.equal(t({ trusted: [false, true] }), true);
  assert.equal(t({ trusted: [] }), null);
  assert.equal(t({}), null);
  assert.equal(t({ trusted: 'true' }), null, 'string vs boolean is incompatible');
  const ff = compileExpr({ kind: 'compare', op: '==', left: f('a'), right: f('b'), caseInsensitive: true });
  assert.equal(ff({ a: 'X', b: 'x' }), true);
  assert.equal(ff({ a: ['y', 'X'], b: ['z', 'x'] }), true);
  assert.equal(ff({ a: ['y'], b: ['z'] }), false);
  assert.equal(ff({ a: ['y'], b: [] }), null);
  assert.equal(ff({ a: 'y', b: null }), null);
  const inFields = compileExpr({ kind: 'in', expr: f('a'), values: [f('b'), f('c')], caseInsensitive: false, negated: false });
  assert.equal(inFields({ a: 'q', b: 'r', c: ['s', 'q'] }), true);
  assert.equal(inFields({ a: ['p', 'r'], b: 'r', c: 's' }), true);
  assert.equal(inFields({ a: 'q', b: 'r', c: 's' }), false);
  assert.equal(inFields({ a: 'q', b: null, c: 's' }), null);
  const notIn = compileExpr({ kind: 'in', expr: f('a'), values: [f('b')], caseInsensitive: false, negated: true });
  assert.equal(notIn({ a: 'q', b: 'r' }), true);
  assert.equal(notIn({ a: 'q', b: ['r', 'q'] }), false);
});

const stage = (category: string | null, where: Expr, by: Expr[]): Stage => ({ query: { category, where }, by });
const ts = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

test('sequence: category dispatch (string or array categories), multi-field string keys, null key parts', () => {
  const q: Query = {
    kind: 'sequence',
    by: [f('host')],
    maxspanNs: 60e9,
    stages: [stage('file', eq0(f('pid'), lit(4)), [f('path')]), stage('process', lit(true), [f('exe')])],
    pipes: [],
  };
  const run = compileQuery(q);
  const evs: Event[] = [
    { '@timestamp': ts(0), event: { category: ['file'] }, host: 'h1', pid: 4, path: 'C:\\a.exe' },
    { '@timestamp': ts(1), event: { category: 'network' }, host: 'h1', exe: 'C:\\a.exe' },
    { '@timestamp': ts(2), event: { category: ['process'] }, host: 'h2', exe: 'C:\\a.exe' },
    { '@timestamp': ts(3), event: { category: ['file'] }, host: 'h2', pid: 4 },
    { '@timestamp': ts(4), event: { category: 'process' }, host: 'h2', exe: null },
    { '@timestamp': ts(5), event: { category: ['network', 'process'] }, host: 'h1', exe: 'C:\\a.exe' },
    // The separator cannot be forged by a value holding it.
    { '@timestamp': ts(6), event: { category: 'file' }, host: 'h3\u0001x', pid: 4, path: 'p' },
    { '@timestamp': ts(7), event: { category: 'process' }, host: 'h3', exe: 'x\u0001p' },
  ];
  const got: unknown[][] = [];
  for (const ev of evs) {
    run.push(ev);
    for (const m of run.drain()) got.push(m.events.map((e) => e['@timestamp']));
  }
  for (const m of run.end()) got.push(m.events.map((e) => e['@timestamp']));
  // ts(3)/ts(4): a null key drops the event from the sequence (Elasticsearch), unless the key is `?field`.
  assert.deepEqual(got, [[ts(0), ts(5)]]);
  const opt = (e: Expr): Expr => ({ ...(e as Extract<Expr, { kind: 'field' }>), optional: true });
  const optional: Query = { ...q, stages: [stage('file', eq0(f('pid'), lit(4)), [opt(f('path'))]), stage('process', lit(true), [opt(f('exe'))])] };
  const times = runBatch(optional, evs).map((m) => m.events.map((e) => e['@timestamp']));
  assert.deepEqual(times, [[ts(3), ts(4)], [ts(0), ts(5)]]);
});

test('sequence: Endgame join keys fold case; Elasticsearch keys do not', () => {
  const q: Query = {
    kind: 'sequence',
    by: [f('user')],
    stages: [stage(null, eq0(f('n'), lit(1)), []), stage(null, eq0(f('n'), lit(2)), [])],
    pipes: [],
  };
  const evs: Event[] = [
    { '@timestamp': ts(0), n: 1, user: 'Alice' },
    { '@timestamp': ts(1), n: 2, user: 'ALICE' },
  ];
  const count = (dialect: 'endgame' | 'elasticsearch'): number => {
    const run = compileQuery(q, { dialect });
    let n = 0;
    for (const ev of evs) {
      run.push(ev);
      n += run.drain().length;
    }
    return n + run.end().length;
  };
  assert.equal(count('endgame'), 1);
  assert.equal(count('elasticsearch'), 0);
});

function eq0(left: Expr, right: Expr): Expr {
  return { kind: 'compare', op: '==', left, right, caseInsensitive: false };
}

test('wildcard patterns without a RegExp agree with the RegExp form, `?` included', async () => {
  const { compilePattern, patternToRegexSource } = await import('../../src/engine/pattern.js');
  const parts: Pattern[number][] = [{ t: 'star' }, { t: 'one' }, { t: 'lit', v: 'a' }, { t: 'lit', v: 'b:' }, { t: 'lit', v: '\\x' }];
  const alphabet = ['a', 'b', ':', '\\', 'x', '😀', '\ud800'];
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let checked = 0;
  for (let i = 0; i < 400; i++) {
    const pattern: Pattern = Array.from({ length: rnd(5) }, () => parts[rnd(parts.length)]!);
    const fast = compilePattern(pattern, false);
    // The reference: the same normalised pattern as an anchored RegExp.
    const merged: Pattern = [];
    for (const p of pattern) {
      const prev = merged[merged.length - 1];
      if (p.t === 'lit' && prev?.t === 'lit') merged[merged.length - 1] = { t: 'lit', v: prev.v + p.v };
      else if (!(p.t === 'star' && prev?.t === 'star')) merged.push(p);
    }
    const re = new RegExp(patternToRegexSource(merged), 'u');
    for (let j = 0; j < 30; j++) {
      const s = Array.from({ length: rnd(7) }, () => alphabet[rnd(alphabet.length)]!).join('');
      assert.equal(fast(s), re.test(s), `${JSON.stringify(pattern)} on ${JSON.stringify(s)}`);
      checked++;
    }
  }
  assert.equal(checked, 12000);
  // The shape Elastic rules use everywhere.
  const drive = compilePattern([{ t: 'one' }, { t: 'lit', v: ':\\windows\\' }, { t: 'star' }, { t: 'lit', v: '.exe' }], false);
  assert.equal(drive('c:\\windows\\system32\\cmd.exe'), true);
  assert.equal(drive('\\\\:\\windows\\a.exe'), false);
  assert.equal(drive(':\\windows\\a.exe'), false);
});

test('adaptive and: results never depend on the learned order (nulls, falses, order changes mid-stream)', async () => {
  const { adaptive, isPure, flatten } = await import('../../src/engine/adaptive.js');
  const { truthy } = await import('../../src/engine/expr.js');
  const a = (ev: Event): unknown => ev['a'];
  const b = (ev: Event): unknown => ev['b'];
  const c = (ev: Event): unknown => ev['c'];
  const and = adaptive([a, b, c], false, truthy);
  const or = adaptive([a, b, c], true, truthy);
  const values = [true, false, null, 0, 'x'];
  let n = 0;
  // Skewed stream: c is usually false, so it moves to the front after a reorder period.
  for (let i = 0; i < 5000; i++) {
    const ev: Event = { a: values[i % 5], b: values[(i * 7) % 5], c: i % 10 === 0 ? values[(i * 3) % 5] : false };
    const tri = [ev['a'], ev['b'], ev['c']].map((v) => (v === null ? null : truthy(v)));
    const wantAnd = tri.includes(false) ? false : tri.includes(null) ? null : true;
    const wantOr = tri.includes(true) ? true : tri.includes(null) ? null : false;
    assert.equal(and(ev, []), wantAnd, JSON.stringify(ev));
    assert.equal(or(ev, []), wantOr, JSON.stringify(ev));
    n++;
  }
  assert.equal(n, 5000);
  const call: Expr = { kind: 'call', name: 'length', args: [f('a')], caseInsensitive: false };
  assert.equal(isPure({ kind: 'and', exprs: [f('a'), { kind: 'not', expr: lit(1) }] }), true);
  assert.equal(isPure({ kind: 'and', exprs: [f('a'), call] }), false, 'functions may throw: keep the written order');
  assert.equal(flatten('and', [f('a'), { kind: 'and', exprs: [f('b'), { kind: 'or', exprs: [f('c'), f('d')] }] }]).length, 3);
});

test('generated field accessors: any field name is data, never code; misses fall back to dotted keys', () => {
  const names = ['a"b', "c'd", 'e\\f', 'g\nh', '${x}', '\u2028', ');throw 1;(', 'ü'];
  for (const name of names) {
    const p = compilePredicate({ kind: 'compare', op: '==', left: f('top', name, 'leaf'), right: lit(1), caseInsensitive: false });
    assert.equal(p({ top: { [name]: { leaf: 1 } } }), true, JSON.stringify(name));
    assert.equal(p({ top: { [name]: { leaf: 2 } } }), false, JSON.stringify(name));
    assert.equal(p({ [`top.${name}.leaf`]: 1 }), true, `dotted ${JSON.stringify(name)}`);
  }
  const four = compileExpr(f('a', 'b', 'c', 'd'));
  assert.equal(four({ a: { b: { c: { d: 'deep' } } } }), 'deep');
  assert.equal(four({ a: { 'b.c': { d: 'mixed' } } }), 'mixed');
  assert.equal(four({ a: { b: 'text' } }), null);
  assert.equal(four({}), null);
});
