/** IR shapes produced by the EQL parser, and its error reporting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import type { Expr, Query } from '../../src/ir/types.js';
import { EqlSyntaxError, parseEql, parseEqlExpression } from '../../src/eql/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

const f = (...path: (string | number)[]): Expr => ({ kind: 'field', path });
const lit = (value: string | number | boolean | null | bigint): Expr => ({ kind: 'literal', value });
const where = (q: Query): Expr => {
  assert.equal(q.kind, 'event');
  return (q as Extract<Query, { kind: 'event' }>).query.where;
};

/** Parse and expect an EqlSyntaxError; returns it. */
function parseError(text: string, dialect: 'elasticsearch' | 'endgame' = 'elasticsearch'): EqlSyntaxError {
  try {
    parseEql(text, { dialect });
  } catch (e) {
    assert.ok(e instanceof EqlSyntaxError, `expected EqlSyntaxError, got ${String(e)}`);
    return e;
  }
  assert.fail(`expected a syntax error for: ${text}`);
}

test("Elastic's file-share lateral movement rule parses to a two-stage sequence", (t) => {
  const path = sharedOrSkip(t, 'reference', 'elastic-detection-rules', 'lateral_movement_execution_via_file_shares_sequence.toml');
  if (path === null) return;
  const rule = parseToml(readFileSync(path, 'utf8')) as { rule: { query: string } };
  const q = parseEql(rule.rule.query);
  assert.equal(q.kind, 'sequence');
  if (q.kind !== 'sequence') return;
  assert.equal(q.maxspanNs, 60e9);
  assert.deepEqual(q.by, []);
  assert.equal(q.stages.length, 2);
  assert.equal(q.until, undefined);
  assert.deepEqual(q.pipes, []);
  const [write, exec] = q.stages;
  assert.equal(write!.query.category, 'file');
  assert.equal(exec!.query.category, 'process');
  assert.deepEqual(write!.by, [f('host', 'id'), f('file', 'path')]);
  assert.deepEqual(exec!.by, [f('host', 'id'), f('process', 'executable')]);
  const w = write!.query.where;
  assert.equal(w.kind, 'and');
  if (w.kind !== 'and') return;
  assert.deepEqual(w.exprs[0], { kind: 'compare', op: '==', left: f('host', 'os', 'type'), right: lit('windows'), caseInsensitive: false });
  assert.deepEqual(w.exprs[1], {
    kind: 'in', expr: f('event', 'type'), values: [lit('creation'), lit('change')], caseInsensitive: false, negated: false,
  });
  assert.deepEqual(w.exprs[2], { kind: 'compare', op: '==', left: f('process', 'pid'), right: lit(4), caseInsensitive: false });
  assert.deepEqual(w.exprs[3], {
    kind: 'or',
    exprs: [
      {
        kind: 'wildcard', expr: f('file', 'extension'), caseInsensitive: true,
        patterns: [[{ t: 'lit', v: 'exe' }], [{ t: 'lit', v: 'scr' }], [{ t: 'lit', v: 'pif' }], [{ t: 'lit', v: 'com' }]],
      },
      { kind: 'wildcard', expr: f('file', 'Ext', 'header_bytes'), caseInsensitive: true, patterns: [[{ t: 'lit', v: '4d5a' }, { t: 'star' }]] },
    ],
  });
  // The exclusions: `not ( … or … or … )`, with Windows paths keeping their backslashes.
  const e = exec!.query.where;
  assert.equal(e.kind, 'and');
  if (e.kind !== 'and') return;
  const excl = e.exprs[2]!;
  assert.equal(excl.kind, 'not');
  if (excl.kind !== 'not' || excl.expr.kind !== 'or') return assert.fail('expected not(or)');
  assert.equal(excl.expr.exprs.length, 3);
  const paths = JSON.stringify(excl.expr.exprs[1]);
  assert.ok(paths.includes(JSON.stringify([{ t: 'one' }, { t: 'lit', v: ':\\Windows\\ccmsetup\\ccmsetup.exe' }])), paths);
});

test('event queries: categories, any, quoted category', () => {
  assert.deepEqual(parseEql('process where true'), { kind: 'event', query: { category: 'process', where: lit(true) }, pipes: [] });
  assert.deepEqual(parseEql('any where false'), { kind: 'event', query: { category: null, where: lit(false) }, pipes: [] });
  assert.equal((parseEql('"network" where true') as Extract<Query, { kind: 'event' }>).query.category, 'network');
});

test('comparisons, boolean operators and precedence', () => {
  assert.deepEqual(where(parseEql('process where a == 1 or b != 2 and not c < 3')), {
    kind: 'or',
    exprs: [
      { kind: 'compare', op: '==', left: f('a'), right: lit(1), caseInsensitive: false },
      {
        kind: 'and',
        exprs: [
          { kind: 'compare', op: '!=', left: f('b'), right: lit(2), caseInsensitive: false },
          { kind: 'not', expr: { kind: 'compare', op: '<', left: f('c'), right: lit(3), caseInsensitive: false } },
        ],
      },
    ],
  });
});

test('arithmetic precedence and unary minus folding into literals', () => {
  assert.deepEqual(parseEqlExpression('1 + 2 * -x % 3'), {
    kind: 'arith', op: '+', left: lit(1),
    right: { kind: 'arith', op: '%', left: { kind: 'arith', op: '*', left: lit(2), right: { kind: 'neg', expr: f('x') } }, right: lit(3) },
  });
  assert.deepEqual(parseEqlExpression('-5'), lit(-5));
  assert.deepEqual(parseEqlExpression('a - -2.5'), { kind: 'arith', op: '-', left: f('a'), right: lit(-2.5) });
});

test('integers beyond 2^53 stay exact as bigint; decimals and exponents are numbers', () => {
  assert.deepEqual(parseEqlExpression('x == 18446744073709551615'), {
    kind: 'compare', op: '==', left: f('x'), right: lit(18446744073709551615n), caseInsensitive: false,
  });
  assert.deepEqual(parseEqlExpression('9007199254740991'), lit(9007199254740991));
  assert.deepEqual(parseEqlExpression('-9223372036854775808'), lit(-9223372036854775808n));
  assert.deepEqual(parseEqlExpression('1.5e3'), lit(1500));
  assert.deepEqual(parseEqlExpression('.25'), lit(0.25));
});
