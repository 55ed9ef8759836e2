/** The Endgame (Python eql) dialect: its own operators, strings, joins, lineage, functions and pipes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Expr, Query } from '../../src/ir/types.js';
import { EqlSyntaxError, parseEql, parseEqlExpression } from '../../src/eql/index.js';

const eg = { dialect: 'endgame' } as const;
const f = (...path: (string | number)[]): Expr => ({ kind: 'field', path });
const lit = (value: string | number | boolean | null | bigint): Expr => ({ kind: 'literal', value });
const expr = (text: string): Expr => parseEqlExpression(text, eg);

test('== and = compare case-insensitively, and so do ordering comparisons', () => {
  assert.deepEqual(expr('a = "X"'), { kind: 'compare', op: '==', left: f('a'), right: lit('X'), caseInsensitive: true });
  assert.deepEqual(expr("a != 'X'"), { kind: 'compare', op: '!=', left: f('a'), right: lit('X'), caseInsensitive: true });
  assert.deepEqual(expr('a < "X"'), { kind: 'compare', op: '<', left: f('a'), right: lit('X'), caseInsensitive: true });
});

test('== with * in a string literal is a case-insensitive wildcard; != negates it', () => {
  const w: Expr = { kind: 'wildcard', expr: f('cmd'), caseInsensitive: true, patterns: [[{ t: 'star' }, { t: 'lit', v: '%?' }, { t: 'star' }]] };
  assert.deepEqual(expr('cmd == "*%?*"'), w);
  assert.deepEqual(expr('"*%?*" == cmd'), w);
  assert.deepEqual(expr('cmd != "*%?*"'), { kind: 'not', expr: w });
  assert.deepEqual(expr('"abc" == "a*"'), { kind: 'wildcard', expr: lit('abc'), caseInsensitive: true, patterns: [[{ t: 'lit', v: 'a' }, { t: 'star' }]] });
});

test(': and like know only * as a wildcard, as Python eql', () => {
  assert.deepEqual(expr('a : "x?y*"'), { kind: 'wildcard', expr: f('a'), caseInsensitive: true, patterns: [[{ t: 'lit', v: 'x?y' }, { t: 'star' }]] });
});

test('in is case-insensitive; trailing commas allowed', () => {
  assert.deepEqual(expr('a in ("x", "y",)'), { kind: 'in', expr: f('a'), values: [lit('x'), lit('y')], caseInsensitive: true, negated: false });
  assert.deepEqual(expr('a not in ("x")'), { kind: 'in', expr: f('a'), values: [lit('x')], caseInsensitive: true, negated: true });
});

test("strings: single quotes and raw ?'...' / ?\"...\"", () => {
  assert.deepEqual(expr("'it\\'s'"), lit("it's"));
  assert.deepEqual(expr("?'C:\\dir\\x'"), lit('C:\\dir\\x'));
  assert.deepEqual(expr('?"\\d+\\s"'), lit('\\d+\\s'));
});

test('string functions compare case-insensitively; unknown names fail', () => {
  assert.deepEqual(expr('startsWith(a, "x")'), { kind: 'call', name: 'startswith', args: [f('a'), lit('x')], caseInsensitive: true });
  assert.deepEqual(expr('length(a)'), { kind: 'call', name: 'length', args: [f('a')], caseInsensitive: false });
  assert.deepEqual(expr('wildcard(a, "x*")'), { kind: 'call', name: 'wildcard', args: [f('a'), lit('x*')], caseInsensitive: true });
  assert.deepEqual(expr('match(a, ?"\\d+")'), { kind: 'call', name: 'match', args: [f('a'), lit('\\d+')], caseInsensitive: true });
  assert.deepEqual(expr('substring(a)'), { kind: 'call', name: 'substring', args: [f('a')], caseInsensitive: false });
  assert.throws(() => expr('wildcard(a, b)'), /the patterns of 'wildcard' must be string literals/);
  assert.throws(() => expr('concat()'), /'concat' takes at least 1 argument/);
  assert.throws(() => expr('frobnicate(a)'), (e: unknown) => e instanceof EqlSyntaxError && /unknown function 'frobnicate'/.test(e.message));
});

test('arraySearch/arrayCount pass the loop variable as a string literal', () => {
  assert.deepEqual(expr('arraySearch(list, s, s.a == "x")'), {
    kind: 'call',
    name: 'arraysearch',
    args: [f('list'), lit('s'), { kind: 'compare', op: '==', left: f('s', 'a'), right: lit('x'), caseInsensitive: true }],
    caseInsensitive: false,
  });
  assert.throws(() => expr('arrayCount(list, s.a, true)'), /must be a variable name/);
});

test('method syntax x:f(args) is f(x, args)', () => {
  assert.deepEqual(expr('"hello":length()'), { kind: 'call', name: 'length', args: [lit('hello')], caseInsensitive: false });
  assert.deepEqual(expr('a:concat("b"):length()'), {
    kind: 'call', name: 'length', caseInsensitive: false,
    args: [{ kind: 'call', name: 'concat', args: [f('a'), lit('b')], caseInsensitive: false }],
  });
});

test('lineage: descendant of, child of, event of', () => {
  const q = parseEql('process where descendant of [process where name == "cmd.exe"] and not child of [file where true]', eg);
  assert.equal(q.kind, 'event');
  const w = (q as Extract<Query, { kind: 'event' }>).query.where;
  assert.deepEqual(w, {
    kind: 'and',
    exprs: [
      { kind: 'lineage', relation: 'descendant', query: { category: 'process', where: { kind: 'compare', op: '==', left: f('name'), right: lit('cmd.exe'), caseInsensitive: true } } },
      { kind: 'not', expr: { kind: 'lineage', relation: 'child', query: { category: 'file', where: lit(true) } } },
    ],
  });
  assert.deepEqual(expr('event of [any where true]'), { kind: 'lineage', relation: 'event', query: { category: null, where: lit(true) } });
});

test('join with by and until', () => {
  assert.deepEqual(parseEql('join by pid [process where true] [file where true] until [process where false]', eg), {
    kind: 'join',
    by: [f('pid')],
    stages: [
      { query: { category: 'process', where: lit(true) }, by: [] },
      { query: { category: 'file', where: lit(true) }, by: [] },
    ],
    until: { query: { category: 'process', where: lit(false) }, by: [] },
    pipes: [],
  });
});

test('sequence: maxspan unit names, fork, by after with', () => {
  const q = parseEql('sequence with maxspan=2 hours by pid [process where true] fork=true [file where true] fork', eg);
  assert.deepEqual(q, {
    kind: 'sequence',
    by: [f('pid')],
    maxspanNs: 7200e9,
    stages: [
      { query: { category: 'process', where: lit(true) }, by: [], fork: true },
      { query: { category: 'file', where: lit(true) }, by: [], fork: true },
    ],
    pipes: [],
  });
  assert.equal((parseEql('sequence with maxspan=30s [a where true] [b where true]', eg) as { maxspanNs?: number }).maxspanNs, 30e9);
});

test('pipes: count, unique, unique_count, filter, sort, head, tail', () => {
  const q = parseEql('process where true | unique a, b | unique_count c d | count | count e | filter x > 1 | sort a b | head | tail 2', eg);
  assert.deepEqual(q.kind === 'event' && q.pipes, [
    { kind: 'unique', by: [f('a'), f('b')] },
    { kind: 'unique_count', by: [f('c'), f('d')] },
    { kind: 'count', by: [] },
    { kind: 'count', by: [f('e')] },
    { kind: 'filter', expr: { kind: 'compare', op: '>', left: f('x'), right: lit(1), caseInsensitive: true } },
    { kind: 'sort', by: [f('a'), f('b')] },
    { kind: 'head', count: 50 },
    { kind: 'tail', count: 2 },
  ]);
});

test('a bare condition means any event', () => {
  assert.deepEqual(parseEql('a in (1) and b', eg), parseEql('any where a in (1) and b', eg));
  assert.deepEqual(parseEql('x like "a*" or y', eg), parseEql('any where x like "a*" or y', eg));
  assert.throws(() => parseEql('process wher a', eg), /expected 'where', got 'wher'/);
  assert.deepEqual(parseEql('a == 1', eg), {
    kind: 'event', query: { category: null, where: { kind: 'compare', op: '==', left: f('a'), right: lit(1), caseInsensitive: true } }, pipes: [],
  });
});
