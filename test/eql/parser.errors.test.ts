/** Syntax and semantic errors: position, caret, what was expected, dialect-specific messages. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EqlSyntaxError, parseEql, type EqlDialect } from '../../src/eql/index.js';

function parseError(text: string, dialect: EqlDialect = 'elasticsearch'): EqlSyntaxError {
  try {
    parseEql(text, { dialect });
  } catch (e) {
    assert.ok(e instanceof EqlSyntaxError, `expected EqlSyntaxError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected an error for: ${text}`);
}

test("misspelt 'where': position, expected list and caret", () => {
  const e = parseError('process wher x == 1');
  assert.equal(e.line, 1);
  assert.equal(e.column, 9);
  assert.deepEqual(e.expected, ["'where'"]);
  assert.match(e.message, /expected 'where', got 'wher'/);
  assert.equal(e.format(), ["EQL error at line 1, column 9: expected 'where', got 'wher'", '1 | process wher x == 1', '            ^'].join('\n'));
});

test('positions are 1-based line and column on multi-line queries', () => {
  const e = parseError('sequence\n  [process where true]\n  [file where a ==]');
  assert.equal(e.line, 3);
  assert.equal(e.column, 19);
  assert.match(e.message, /expected an expression, got ']'/);
  const lines = e.format().split('\n');
  assert.equal(lines[1], '3 |   [file where a ==]');
  assert.equal(lines[2]!.indexOf('^'), lines[1]!.indexOf(']'));
});

test('unexpected end of query', () => {
  const e = parseError('process where (a == 1');
  assert.match(e.message, /expected .*'\)', got end of query/);
  assert.equal(e.column, 22);
});

test('trailing garbage after a complete query', () => {
  const e = parseError('process where a == 1 b');
  assert.match(e.message, /got 'b'/);
  assert.ok(e.expected?.includes("'|'"));
});

const esErrors: [string, RegExp][] = [
  ["process where a == 'x'", /single-quoted strings are not supported in Elasticsearch EQL/],
  ['process where a == ?"x"', /raw strings are not supported in Elasticsearch EQL: use triple quotes/],
  ['process where a = 1', /'=' is not a comparison in Elasticsearch EQL: use '=='/],
  ['process where unknownFn(a)', /unknown function 'unknownFn': known functions are add, between/],
  ['process where length(a, b)', /'length' takes 1 argument, got 2/],
  ['process where add(1)', /'add' takes 2 arguments, got 1/],
  ['process where between(a, "x", "y", true, false)', /'between' takes 3 to 4 arguments, got 5/],
  ['process where substring(a)', /'substring' takes 2 to 3 arguments, got 1/],
  ['process where length~(a)', /no case-insensitive 'length~' form/],
  ['process where arrayContains(a, 1)', /'arrayContains' is only available in the Endgame dialect/],
  ['process where startsWith(1, "a")', /argument 1 of 'startsWith' must be a string, got a number/],
  ['process where a | count', /pipe 'count' is only available in the Endgame dialect/],
  ['process where a | frob 1', /unknown pipe 'frob': expected one of head, tail/],
  ['process where a | haed 1', /unknown pipe 'haed'; did you mean 'head'\?/],
  ['process where startWith(a, "b")', /unknown function 'startWith'; did you mean 'startsWith'\?/],
  ['process where descendant of [process where true]', /'descendant of \[...\]' is only available in the Endgame dialect/],
  ['join [a where true] [b where true]', /'join' is only available in the Endgame dialect/],
  ['sequence with maxspan=10 [a where true] [b where true]', /maxspan needs a time unit/],
  ['sequence with maxspan=10y [a where true] [b where true]', /unknown time unit 'y'/],
  ['sequence with maxspan=1m by x [a where true] [b where true]', /'sequence by …' before 'with maxspan/],
  ['sequence [a where true]', /at least two \[queries\]/],
  ['sequence ![a where true] ![b where true]', /at least one \[query\] that is not a missing event/],
  ['sequence [a where true] by x [b where true]', /same number of 'by' keys/],
  ['sequence [a where true] by x [b where true] by y until [c where true]', /the 'until' query has 0/],
  ['process where a : b', /expected a constant after ':'/],
  ['process where a like 1', /'like' needs string patterns/],
  ['process where a regex "("', /invalid regular expression/],
  ['process where "\\q"', /invalid escape sequence \\q/],
  ['process where "abc', /unterminated string/],
  ['process where cidrMatch(ip, "10.0.0.0/33")', /invalid CIDR block '10.0.0.0\/33'/],
  ['process where where == 1', /'where' is a reserved word/],
  ['process where a | head', /expected a number of events/],
  ['process where a ~ 1', /got '~'/],
  ['process where a.b~ == 1', /'~' can only follow a function name/],
  ['process where a~ == 1', /'~' can only follow a function name/],
  ['process where a.', /a field name after \./],
  ['sequence [a where true] with runs=101 [b where true]', /runs must be at most 100/],
  ['sequence [a where true] [b where true] until [c where true] with runs=2', /'with runs=N' only applies to the queries of a sequence/],
  ['sample [a where true] with runs=2 [b where true]', /'with runs=N' only applies to the queries of a sequence/],
  ['sample [a where true] ![b where true]', /missing event !\[...\] is only allowed among a sequence's queries/],
  ['sequence [a where true] with runs=0 [b where true]', /expected a positive whole number of runs, got '0'/],
  ['a == 1', /expected 'where', got '==': a query starts with an event category, as in 'any where a == …'/],
  ['process where "x":length() == 1', /method calls such as x:length\(\) are only available in the Endgame dialect/],
];

for (const [query, message] of esErrors) {
  test(`elasticsearch rejects: ${query}`, () => {
    const e = parseError(query);
    assert.match(e.message, message);
    assert.ok(e.line >= 1 && e.column >= 1);
    assert.match(e.format(), /\n\s*\^$/);
  });
}

const endgameErrors: [string, RegExp][] = [
  ['process where ?a == 1', /optional fields \(\?field\) are only available in Elasticsearch EQL/],
  ['sequence [a where true] ![b where true]', /missing events !\[...\] are only available in Elasticsearch EQL/],
  ['process where number(true)', /argument 1 of 'number' must be a string, got a boolean/],
  ['process where match("eql", 1)', /argument 2 of 'match' must be a string/],
  ['process where a | sort', /expected a field or expression/],
  ['process where a | head 0', /head needs a count greater than zero/],
  ['sequence [a where true] by x with runs=2 [b where true] by y', /'with runs=N' is only available in Elasticsearch EQL/],
  ['sample [a where true] [b where true]', /'sample' is only available in Elasticsearch EQL/],
  ['join [a where true] fork [b where true]', /'fork' only applies to the queries of a sequence/],
];

for (const [query, message] of endgameErrors) {
  test(`endgame rejects: ${query}`, () => {
    assert.match(parseError(query, 'endgame').message, message);
  });
}

test('the error position of a semantic error points at the offending token', () => {
  const e = parseError('process where a == 1 and\n  unknownFn(b)');
  assert.equal(e.line, 2);
  assert.equal(e.column, 3);
});

test('the lexer and parser stay linear on large inputs', () => {
  const n = 20000;
  const big = `process where a in (${Array.from({ length: n }, (_, i) => `"v${i}"`).join(', ')})`;
  const t0 = performance.now();
  const q = parseEql(big);
  const ms = performance.now() - t0;
  assert.equal(q.kind === 'event' && q.query.where.kind === 'in' && q.query.where.values.length, n);
  assert.ok(ms < 2000, `took ${ms} ms`);
});

test('absurd nesting is a syntax error, not a stack overflow; reasonable nesting parses', () => {
  for (const text of [
    `process where ${'('.repeat(20000)}a${')'.repeat(20000)}`,
    `process where ${'not '.repeat(20000)}a`,
    `process where ${'-'.repeat(20000)}a`,
    `process where ${'length('.repeat(20000)}a${')'.repeat(20000)}`,
  ]) {
    assert.match(parseError(text).message, /nested too deeply/);
  }
  const ok = parseEql(`process where ${'('.repeat(100)}a == 1${')'.repeat(100)}`);
  assert.equal(ok.kind, 'event');
});

test('format() shows a window of a very long line, caret still under the error', () => {
  const text = `process where a in (${Array.from({ length: 500 }, (_, i) => `"v${i}"`).join(', ')}, ) and b`;
  const e = parseError(text);
  const [, src, caret] = e.format().split('\n');
  assert.ok(src!.length < 200, `line shown: ${src!.length} chars`);
  assert.ok(src!.startsWith(`${e.line} | …`));
  assert.equal(src![caret!.indexOf('^')], ')');
  assert.equal(text[e.column - 1], ')');
});
