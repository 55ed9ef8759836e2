/** Engine unit tests on hand-built IR: expressions, null logic, sequences, joins, samples, pipes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Expr, Pattern, Pipe, Query, Stage } from '../../src/ir/types.js';
import { compileExpr, compilePredicate, compileQuery, EngineError, eventInstant, runBatch } from '../../src/engine/index.js';
import type { Event } from '../../src/events/field.js';

const f = (...path: (string | number)[]): Expr => ({ kind: 'field', path });
const lit = (value: string | number | boolean | null): Expr => ({ kind: 'literal', value });
const eq = (left: Expr, right: Expr, ci = false): Expr => ({ kind: 'compare', op: '==', left, right, caseInsensitive: ci });
const glob = (text: string): Pattern =>
  text.split(/(\*)/).filter((s) => s !== '').map((s) => (s === '*' ? { t: 'star' as const } : { t: 'lit' as const, v: s }));

test('missing fields: == null is true, ordering compares are null, not null stays null', () => {
  const ev = { a: 1 };
  assert.equal(compileExpr(eq(f('b'), lit(null)))(ev), true);
  assert.equal(compileExpr({ kind: 'compare', op: '!=', left: f('b'), right: lit(null), caseInsensitive: false })(ev), false);
  const gt: Expr = { kind: 'compare', op: '>', left: f('b'), right: lit(5), caseInsensitive: false };
  assert.equal(compileExpr(gt)(ev), null);
  assert.equal(compileExpr({ kind: 'not', expr: gt })(ev), null);
  // As a where clause, Elasticsearch translates `not (b > 5)` to must_not(range): a missing b matches.
  assert.equal(compilePredicate({ kind: 'not', expr: gt })(ev), true);
  assert.equal(compilePredicate({ kind: 'not', expr: gt }, { nullLogic: 'three-valued' })(ev), false);
  // null or true = true; null and false = false; null and true = null
  assert.equal(compileExpr({ kind: 'or', exprs: [gt, lit(true)] })(ev), true);
  assert.equal(compileExpr({ kind: 'and', exprs: [gt, lit(false)] })(ev), false);
  assert.equal(compileExpr({ kind: 'and', exprs: [gt, lit(true)] })(ev), null);
});

test('nested, dotted and mixed field paths resolve the same value', () => {
  const p = compilePredicate(eq(f('process', 'pid'), lit(4)));
  assert.equal(p({ process: { pid: 4 } }), true);
  assert.equal(p({ 'process.pid': 4 }), true);
  assert.equal(p({ process: { pid: 5 } }), false);
  const deep = compilePredicate(eq(f('process', 'code_signature', 'trusted'), lit(true)));
  assert.equal(deep({ process: { 'code_signature.trusted': true } }), true);
});

test('wildcards: case folding, numbers match their text, arrays match any element', () => {
  const w = (pattern: string, ci: boolean): ((ev: Event) => boolean) =>
    compilePredicate({ kind: 'wildcard', expr: f('x'), patterns: [glob(pattern)], caseInsensitive: ci });
  assert.equal(w('*\\cmd.exe', true)({ x: 'C:\\Windows\\System32\\CMD.EXE' }), true);
  assert.equal(w('*\\cmd.exe', false)({ x: 'C:\\Windows\\System32\\CMD.EXE' }), false);
  assert.equal(w('c:\\*\\*.exe', true)({ x: 'C:\\a\\b.exe' }), true);
  assert.equal(w('c:\\*\\*.exe', true)({ x: 'C:\\b.exe' }), false);
  assert.equal(w('a*b*c', false)({ x: 'abc' }), true);
  assert.equal(w('a*b*c', false)({ x: 'acb' }), false);
  assert.equal(w('4', false)({ x: 4 }), true);
  assert.equal(w('tru*', false)({ x: true }), true);
  assert.equal(w('*.dll', true)({ x: ['a.exe', 'B.DLL'] }), true);
  const one = compilePredicate({ kind: 'wildcard', expr: f('x'), patterns: [[{ t: 'lit', v: 'a' }, { t: 'one' }, { t: 'lit', v: 'c' }]], caseInsensitive: false });
  assert.equal(one({ x: 'abc' }), true);
  assert.equal(one({ x: 'abbc' }), false);
});

test('in lists, regex, keyword and cidr nodes', () => {
  const inList = compilePredicate({ kind: 'in', expr: f('n'), values: [lit('A.exe'), lit(7)], caseInsensitive: true, negated: false });
  assert.equal(inList({ n: 'a.EXE' }), true);
  assert.equal(inList({ n: 7 }), true);
  assert.equal(inList({ n: 8 }), false);
  const notIn = compileExpr({ kind: 'in', expr: f('n'), values: [lit('x')], caseInsensitive: false, negated: true });
  assert.equal(notIn({}), null);
  const re = compilePredicate({ kind: 'regex', expr: f('c'), patterns: ['^(?:.*-enc.*)$'], flags: 'i' });
  assert.equal(re({ c: 'powershell -ENC abc' }), true);
  const kw = compilePredicate({ kind: 'keyword', patterns: [glob('*mimikatz*')], caseInsensitive: true });
  assert.equal(kw({ a: { b: ['x', 'Invoke-Mimikatz'] } }), true);
  assert.equal(kw({ a: 'clean' }), false);
  const cidr = compilePredicate({ kind: 'cidr', expr: f('ip'), cidrs: ['10.0.0.0/8', 'fe80::/10', '192.168.1.0/24'] });
  assert.equal(cidr({ ip: '10.2.3.4' }), true);
  assert.equal(cidr({ ip: '11.2.3.4' }), false);
  assert.equal(cidr({ ip: 'fe80::1%eth0' }), true);
  assert.equal(cidr({ ip: '::ffff:192.168.1.7' }), true);
  assert.equal(cidr({ ip: 'not an ip' }), false);
});

test('functions: Elasticsearch null propagation and substring/between/number semantics', () => {
  const call = (name: string, ...args: Expr[]): unknown => compileExpr({ kind: 'call', name, args, caseInsensitive: false })({});
  assert.equal(call('substring', lit('start regsvr32.exe'), lit(-4), lit(-1)), '.ex');
  assert.equal(call('between', lit('C:\\Windows\\System32\\cmd.exe'), lit('\\'), lit('\\'), lit(true)), 'Windows\\System32');
  assert.equal(call('between', lit('abc'), lit('x'), lit('c')), '');
  assert.equal(call('number', lit('0xdeadbeef')), 3735928559);
  assert.equal(call('number', lit('ff'), lit(16)), 255);
  assert.equal(call('concat', lit('a'), lit(null)), null);
  assert.equal(call('indexOf', lit('subdomain.example.com'), lit('.'), lit(10)), 17);
  assert.equal(call('cidrMatch', f('missing'), lit('10.0.0.0/8')), null);
  assert.equal(call('add', lit(2), lit(null)), null);
  assert.equal(call('divide', lit(4), lit(3)), 1);
  assert.throws(() => call('noSuchFunction'), /unknown function/);
});

test('arraySearch binds a variable over array elements', () => {
  const e: Expr = {
    kind: 'call',
    name: 'arraySearch',
    args: [f('items'), f('it'), eq(f('it', 'name'), lit('b'))],
    caseInsensitive: false,
  };
  const p = compilePredicate(e);
  assert.equal(p({ items: [{ name: 'a' }, { name: 'b' }] }), true);
  assert.equal(p({ items: [{ name: 'a' }] }), false);
});

// ---- queries over a small timeline --------------------------------------------------------

const at = (sec: number, extra: Record<string, unknown>): Event => ({
  '@timestamp': new Date(Date.UTC(2024, 0, 1, 0, 0, sec)).toISOString(),
  ...extra,
});
const ev = (sec: number, category: string, extra: Record<string, unknown> = {}): Event =>
  at(sec, { event: { category }, ...extra });
const stage = (category: string, where: Expr = lit(true), extra: Partial<Stage> = {}): Stage => ({
  query: { category, where },
  by: [],
  ...extra,
});
const ids = (ms: { events: Event[] }[]): unknown[][] => ms.map((m) => m.events.map((e) => e['id']));

test('eventInstant reads @timestamp then timestamp', () => {
  assert.deepEqual(eventInstant({ '@timestamp': '2024-01-01T00:00:00.000000123Z' }), { ms: Date.UTC(2024, 0, 1), ns: 123 });
  assert.deepEqual(eventInstant({ timestamp: '2024-01-01T00:00:01Z' }), { ms: Date.UTC(2024, 0, 1, 0, 0, 1), ns: 0 });
  assert.equal(eventInstant({}), null);
});

test('sequence by key with maxspan: newest partial wins, span is inclusive, expired partials are dropped', () => {
  const q: Query = {
    kind: 'sequence',
    by: [f('host')],
    maxspanNs: 60e9,
    stages: [stage('file'), stage('process')],
    pipes: [],
  };
  const events = [
    ev(0, 'file', { id: 1, host: 'a' }),
    ev(10, 'file', { id: 2, host: 'a' }), // replaces 1
    ev(20, 'process', { id: 3, host: 'b' }), // other key: nothing
    ev(70, 'process', { id: 4, host: 'a' }), // 60 s after 2: inclusive
    ev(80, 'file', { id: 5, host: 'a' }),
    ev(141, 'process', { id: 6, host: 'a' }), // 61 s: too late
  ];
  assert.deepEqual(ids(runBatch(q, events)), [[2, 4]]);
});

test('sequence until clears partials; runs repeats a stage', () => {
  const q: Query = {
    kind: 'sequence',
    by: [f('pid')],
    stages: [stage('process'), stage('network')],
    until: stage('end'),
    pipes: [],
  };
  const events = [
    ev(0, 'process', { id: 1, pid: 1 }),
    ev(1, 'end', { id: 2, pid: 1 }),
    ev(2, 'network', { id: 3, pid: 1 }),
    ev(3, 'process', { id: 4, pid: 1 }),
    ev(4, 'network', { id: 5, pid: 1 }),
  ];
  assert.deepEqual(ids(runBatch(q, events)), [[4, 5]]);
  const runs: Query = { kind: 'sequence', by: [], stages: [stage('x', lit(true), { runs: 3 })], pipes: [] };
  const xs = [1, 2, 3, 4, 5, 6, 7].map((i) => ev(i, 'x', { id: i }));
  // Each event both starts a partial and extends the others (Elasticsearch): sliding windows.
  assert.deepEqual(ids(runBatch(runs, xs)), [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7]]);
});

test('streaming: results are drained as soon as certain; state stays bounded with maxspan', () => {
  const q: Query = { kind: 'sequence', by: [f('k')], maxspanNs: 1e9, stages: [stage('a'), stage('b')], pipes: [] };
  const run = compileQuery(q);
  let found = 0;
  for (let i = 0; i < 50000; i++) {
    run.push(ev(i, 'a', { k: `key${i}` }));
    found += run.drain().length;
  }
  run.push(ev(50000, 'b', { k: 'key49999' }));
  found += run.drain().length;
  assert.equal(found, 1);
  assert.ok(run.stateSize() < 10000, `state should be swept, got ${run.stateSize()}`);
  assert.deepEqual(run.end(), []);
});

test('horizon: how far ahead pending sequence state reaches (maxspan from each partial start)', () => {
  const q: Query = { kind: 'sequence', by: [f('k')], maxspanNs: 60e9, stages: [stage('a'), stage('b'), stage('c')], pipes: [] };
  const run = compileQuery(q);
  assert.equal(run.horizon(), null, 'nothing pending');
  run.push(ev(10, 'a', { k: 'x' }));
  run.push(ev(30, 'a', { k: 'y' }));
  run.push(ev(40, 'b', { k: 'x' })); // x advances to stage 2, still measured from its start (10 s)
  assert.deepEqual(run.horizon(), eventInstant(ev(90, 'a')), 'y started at 30 s: 30 + 60');
  run.push(ev(45, 'b', { k: 'y' }));
  run.push(ev(50, 'c', { k: 'y' })); // y completes
  run.push(ev(55, 'c', { k: 'x' })); // x completes
  assert.equal(run.drain().length, 2);
  assert.equal(run.horizon(), null);
  const open = compileQuery({ ...q, maxspanNs: undefined });
  open.push(ev(10, 'a', { k: 'x' }));
  assert.equal(open.horizon(), 'open', 'no maxspan: no bound');
  assert.equal(compileQuery({ kind: 'event', query: { category: 'a', where: lit(true) }, pipes: [] }).horizon(), null);
});

test('missing-event stage: a match in the gap discards the candidate', () => {
  const q: Query = {
    kind: 'sequence',
    by: [],
    maxspanNs: 10e9,
    stages: [stage('a'), stage('m', lit(true), { missing: true }), stage('b')],
    pipes: [],
  };
  const events = [ev(0, 'a', { id: 1 }), ev(1, 'm', { id: 2 }), ev(2, 'b', { id: 3 }), ev(3, 'a', { id: 4 }), ev(4, 'b', { id: 5 })];
  const got = runBatch(q, events);
  assert.deepEqual(ids(got), [[4, 5]]);
  assert.deepEqual(got[0]!.missingStages, [1]);
});

test('join matches stages in any order by key; sample takes one event per stage per key', () => {
  const join: Query = { kind: 'join', by: [f('k')], stages: [stage('a'), stage('b')], pipes: [] };
  const events = [ev(0, 'b', { id: 1, k: 1 }), ev(1, 'a', { id: 2, k: 2 }), ev(2, 'a', { id: 3, k: 1 })];
  assert.deepEqual(ids(runBatch(join, events)), [[3, 1]]);
  const sample: Query = { kind: 'sample', by: [f('k')], stages: [stage('a'), stage('b')], pipes: [] };
  assert.deepEqual(ids(runBatch(sample, [...events, ev(3, 'b', { id: 4, k: 2 })])), [[3, 1], [2, 4]]);
});

test('pipes: head, tail, filter, unique, count, sort', () => {
  const events = [1, 2, 3, 4, 5].map((i) => ev(i, 'x', { id: i, g: i % 2 }));
  const q = (pipes: Pipe[]): Query => ({ kind: 'event', query: { category: 'x', where: lit(true) }, pipes });
  assert.deepEqual(ids(runBatch(q([{ kind: 'head', count: 2 }]), events)), [[1], [2]]);
  assert.deepEqual(ids(runBatch(q([{ kind: 'tail', count: 2 }]), events)), [[4], [5]]);
  assert.deepEqual(ids(runBatch(q([{ kind: 'filter', expr: eq(f('g'), lit(0)) }]), events)), [[2], [4]]);
  assert.deepEqual(ids(runBatch(q([{ kind: 'unique', by: [f('g')] }]), events)), [[1], [2]]);
  const counts = runBatch(q([{ kind: 'count', by: [f('g')] }]), events);
  assert.deepEqual(counts.map((m) => [m.keys, m.count]), [[[0], 2], [[1], 3]]);
  assert.deepEqual(ids(runBatch(q([{ kind: 'sort', by: [{ kind: 'neg', expr: f('id') }] }, { kind: 'head', count: 2 }]), events)), [[5], [4]]);
});

test('runBatch orders input by time then tiebreaker', () => {
  const q: Query = { kind: 'event', query: { category: null, where: lit(true) }, pipes: [] };
  const events = [at(2, { id: 'c', seq: 1 }), at(1, { id: 'b', seq: 2 }), at(1, { id: 'a', seq: 1 })];
  assert.deepEqual(ids(runBatch(q, events, { tiebreaker: ['seq'] })), [['a'], ['b'], ['c']]);
});

test('lineage: descendant of follows unique_pid / unique_ppid', () => {
  const proc = (sec: number, id: number, upid: number, uppid: number, name: string): Event =>
    ev(sec, 'process', { id, pid: upid, unique_pid: upid, unique_ppid: uppid, process_name: name, opcode: 1 });
  const q: Query = {
    kind: 'event',
    query: {
      category: 'process',
      where: {
        kind: 'lineage',
        relation: 'descendant',
        query: { category: 'process', where: eq(f('process_name'), lit('cmd.exe')) },
      },
    },
    pipes: [],
  };
  const events = [
    proc(0, 1, 10, 1, 'cmd.exe'),
    proc(1, 2, 11, 10, 'whoami.exe'),
    proc(2, 3, 12, 11, 'net.exe'),
    proc(3, 4, 13, 1, 'notepad.exe'),
  ];
  assert.deepEqual(ids(runBatch(q, events)), [[2], [3]]);
});

test('bad input: invalid rules fail at compile time with EngineError; non-object events are ignored', () => {
  assert.throws(() => compilePredicate({ kind: 'regex', expr: f('x'), patterns: ['('], flags: '' }), EngineError);
  assert.throws(() => compilePredicate({ kind: 'cidr', expr: f('x'), cidrs: ['10.0.0.0/99'] }), /invalid CIDR/);
  const run = compileQuery({ kind: 'event', query: { category: null, where: lit(true) }, pipes: [] });
  run.push(null as unknown as Event);
  run.push({ id: 1 });
  assert.deepEqual(ids(run.end()), [[1]]);
});

test('pipe fields read the first event, or event N when written events[N]', () => {
  const q: Query = {
    kind: 'sequence',
    by: [],
    stages: [stage('a'), stage('b')],
    pipes: [{ kind: 'filter', expr: eq(f('events', 1, 'v'), lit(2)) }],
  };
  const events = [ev(0, 'a', { id: 1, v: 1 }), ev(1, 'b', { id: 2, v: 3 }), ev(2, 'a', { id: 3, v: 1 }), ev(3, 'b', { id: 4, v: 2 })];
  assert.deepEqual(ids(runBatch(q, events)), [[3, 4]]);
  const first: Query = { ...q, pipes: [{ kind: 'unique', by: [f('v')] }] };
  assert.deepEqual(ids(runBatch(first, events)), [[1, 2]]);
});

test('numbers and numeric text compare equal (EVTX numbers vs XML text, keyword fields)', () => {
  assert.equal(compilePredicate(eq(f('EventID'), lit(4688)))({ EventID: '4688' }), true);
  assert.equal(compilePredicate(eq(f('EventID'), lit('4688')))({ EventID: 4688 }), true);
  assert.equal(compilePredicate(eq(f('EventID'), lit('4688')))({ EventID: 4689 }), false);
  const gt: Expr = { kind: 'compare', op: '>', left: f('n'), right: lit(10), caseInsensitive: false };
  assert.equal(compilePredicate(gt)({ n: '11' }), true);
  assert.equal(compileExpr(gt)({ n: 'eleven' }), null);
  const inList = (values: Expr[]) => compilePredicate({ kind: 'in', expr: f('id'), values, caseInsensitive: false, negated: false });
  assert.equal(inList([lit(1), lit(4688)])({ id: '4688' }), true);
  assert.equal(inList([lit('1'), lit('4688')])({ id: 4688 }), true);
  assert.equal(inList([lit('a')])({ id: 4688 }), false);
});

test('division: integers truncate unless a literal is written as a float', () => {
  const div = (right: Expr): unknown => compileExpr({ kind: 'arith', op: '/', left: f('n'), right })({ n: 83 });
  assert.equal(div(lit(2)), 41);
  assert.equal(div({ kind: 'literal', value: 2, float: true }), 41.5);
  assert.equal(compileExpr({ kind: 'arith', op: '/', left: f('n'), right: lit(2) }, { dialect: 'endgame' })({ n: -83 }), -42);
  assert.equal(div(lit(0)), null);
});
