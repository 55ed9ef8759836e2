/** IR shapes produced by the EQL parser, and its error reporting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import type { Expr, PatternPart, Query } from '../../src/ir/types.js';
import { parseEql, parseEqlExpression } from '../../src/eql/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

const f = (...path: (string | number)[]): Expr => ({ kind: 'field', path });
const lit = (value: string | number | boolean | null | bigint): Expr => ({ kind: 'literal', value });
const where = (q: Query): Expr => {
  assert.equal(q.kind, 'event');
  return (q as Extract<Query, { kind: 'event' }>).query.where;
};

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
  assert.equal(w.exprs.length, 4);
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
  // The second stage, exactly: the exclusions `not ( … or … or … )`, Windows paths keeping their
  // backslashes and `?` as a one-character wildcard.
  const eq = (path: string[], value: string | boolean): Expr => ({ kind: 'compare', op: '==', left: f(...path), right: lit(value), caseInsensitive: false });
  const lt = (v: string): PatternPart => ({ t: 'lit', v });
  const star: PatternPart = { t: 'star' };
  const one: PatternPart = { t: 'one' };
  const wild = (path: string[], patterns: PatternPart[][]): Expr => ({ kind: 'wildcard', expr: f(...path), patterns, caseInsensitive: true });
  const trusted = eq(['process', 'code_signature', 'trusted'], true);
  const signers = [
    'Veeam Software Group GmbH', 'Elasticsearch, Inc.', 'PDQ.com Corporation', 'CrowdStrike, Inc.',
    'Microsoft Windows Hardware Compatibility Publisher', 'ZOHO Corporation Private Limited', 'BeyondTrust Corporation',
    'CyberArk Software Ltd.', 'Sophos Ltd', 'AO Kaspersky Lab', 'Anthropic, PBC', 'Adobe Inc.', 'Netwrix Corporation',
  ];
  assert.deepEqual(exec!.query.where, {
    kind: 'and',
    exprs: [
      eq(['host', 'os', 'type'], 'windows'),
      eq(['event', 'type'], 'start'),
      {
        kind: 'not',
        expr: {
          kind: 'or',
          exprs: [
            { kind: 'and', exprs: [trusted, wild(['process', 'code_signature', 'subject_name'], signers.map((n) => [lt(n)]))] },
            {
              kind: 'and',
              exprs: [
                wild(['process', 'executable'], [
                  [one, lt(':\\Windows\\ccmsetup\\ccmsetup.exe')],
                  [one, lt(':\\Windows\\SoftwareDistribution\\Download\\Install\\'), star, lt('.exe')],
                  [one, lt(':\\Windows\\CAInvokerService.exe')],
                  [one, lt(':\\Users\\'), star, lt('\\AppData\\Local\\Microsoft\\OneDrive\\'), star, lt('\\OneDriveSetup.exe')],
                ]),
                trusted,
              ],
            },
            {
              kind: 'and',
              exprs: [
                wild(['process', 'executable'], [[one, lt(':\\SMS_'), star, lt('\\srvboot.exe')]]),
                trusted,
                wild(['process', 'code_signature', 'subject_name'], [[lt('Microsoft Corporation')]]),
              ],
            },
          ],
        },
      },
    ],
  });
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
  assert.deepEqual(parseEqlExpression('a - -2.5'), { kind: 'arith', op: '-', left: f('a'), right: { kind: 'literal', value: -2.5, float: true } });
});

test('integers beyond 2^53 stay exact as bigint; decimals and exponents are numbers', () => {
  assert.deepEqual(parseEqlExpression('x == 18446744073709551615'), {
    kind: 'compare', op: '==', left: f('x'), right: lit(18446744073709551615n), caseInsensitive: false,
  });
  assert.deepEqual(parseEqlExpression('9007199254740991'), lit(9007199254740991));
  assert.deepEqual(parseEqlExpression('-9223372036854775808'), lit(-9223372036854775808n));
  const float = (value: number): Expr => ({ kind: 'literal', value, float: true });
  assert.deepEqual(parseEqlExpression('1.5e3'), float(1500));
  assert.deepEqual(parseEqlExpression('.25'), float(0.25));
  // `4.0` keeps its float-ness (EQL divides integers with integer division, floats not).
  assert.deepEqual(parseEqlExpression('30 / 4.0'), { kind: 'arith', op: '/', left: lit(30), right: float(4) });
  assert.deepEqual(parseEqlExpression('-4.0'), float(-4));
  assert.deepEqual(parseEqlExpression('30 / 4'), { kind: 'arith', op: '/', left: lit(30), right: lit(4) });
});

test('field paths: dotted, backtick-quoted, indexed and optional', () => {
  assert.deepEqual(parseEqlExpression('a.b[0].c'), f('a', 'b', 0, 'c'));
  assert.deepEqual(parseEqlExpression('`my field`.x'), f('my field', 'x'));
  assert.deepEqual(parseEqlExpression('`a``b`'), f('a`b'));
  assert.deepEqual(parseEqlExpression('@timestamp'), f('@timestamp'));
  assert.deepEqual(parseEqlExpression('?process.name'), { kind: 'field', path: ['process', 'name'], optional: true });
  assert.deepEqual(parseEqlExpression('`where`'), f('where'));
});

test('strings: escapes, unicode escapes, raw triple-quoted', () => {
  assert.deepEqual(parseEqlExpression('"a\\tb\\n\\"q\\"\\\\"'), lit('a\tb\n"q"\\'));
  assert.deepEqual(parseEqlExpression('"\\u{41}\\u{1F600}"'), lit('A\u{1F600}'));
  assert.deepEqual(parseEqlExpression('"""C:\\Windows\\"x"\\*"""'), lit('C:\\Windows\\"x"\\*'));
  assert.deepEqual(parseEqlExpression('""""quoted""""'), lit('"quoted"'));
});

test(': and like map literal patterns to wildcard; regex anchors', () => {
  assert.deepEqual(parseEqlExpression('x : "a*b?c"'), {
    kind: 'wildcard', expr: f('x'), caseInsensitive: true,
    patterns: [[{ t: 'lit', v: 'a' }, { t: 'star' }, { t: 'lit', v: 'b' }, { t: 'one' }, { t: 'lit', v: 'c' }]],
  });
  assert.deepEqual(parseEqlExpression('x like ("A*", "b")'), {
    kind: 'wildcard', expr: f('x'), caseInsensitive: false, patterns: [[{ t: 'lit', v: 'A' }, { t: 'star' }], [{ t: 'lit', v: 'b' }]],
  });
  assert.equal((parseEqlExpression('x like~ "A*"') as { caseInsensitive: boolean }).caseInsensitive, true);
  assert.deepEqual(parseEqlExpression('x regex~ ("a.*", "b|c")'), { kind: 'regex', expr: f('x'), patterns: ['^(?:a.*)$', '^(?:b|c)$'], flags: 'is' });
  assert.deepEqual(parseEqlExpression('x regex "a"'), { kind: 'regex', expr: f('x'), patterns: ['^(?:a)$'], flags: 's' });
  // A number on the right of ':' is a case-insensitive equality, not a pattern.
  assert.deepEqual(parseEqlExpression('x : 4'), { kind: 'compare', op: '==', left: f('x'), right: lit(4), caseInsensitive: true });
});

test('in, in~, not in, not in~', () => {
  assert.deepEqual(parseEqlExpression('x in ("a", y)'), { kind: 'in', expr: f('x'), values: [lit('a'), f('y')], caseInsensitive: false, negated: false });
  assert.deepEqual(parseEqlExpression('x in~ ("a")'), { kind: 'in', expr: f('x'), values: [lit('a')], caseInsensitive: true, negated: false });
  assert.deepEqual(parseEqlExpression('x not in (1, 2)'), { kind: 'in', expr: f('x'), values: [lit(1), lit(2)], caseInsensitive: false, negated: true });
  assert.deepEqual(parseEqlExpression('x not in~ ("a")'), { kind: 'in', expr: f('x'), values: [lit('a')], caseInsensitive: true, negated: true });
  assert.deepEqual(parseEqlExpression('not x in (1)'), { kind: 'not', expr: { kind: 'in', expr: f('x'), values: [lit(1)], caseInsensitive: false, negated: false } });
});

test('functions: lower-case names, ~ variants, cidrMatch with literal blocks becomes cidr', () => {
  assert.deepEqual(parseEqlExpression('startsWith~(x, "a")'), { kind: 'call', name: 'startswith', args: [f('x'), lit('a')], caseInsensitive: true });
  assert.deepEqual(parseEqlExpression('stringContains(x, "a")'), { kind: 'call', name: 'stringcontains', args: [f('x'), lit('a')], caseInsensitive: false });
  assert.deepEqual(parseEqlExpression('cidrMatch(source.ip, "10.0.0.0/8", "fe80::/10")'), { kind: 'cidr', expr: f('source', 'ip'), cidrs: ['10.0.0.0/8', 'fe80::/10'] });
  assert.deepEqual(parseEqlExpression('cidrMatch(source.ip, x)'), { kind: 'call', name: 'cidrmatch', args: [f('source', 'ip'), f('x')], caseInsensitive: false });
  assert.deepEqual(parseEqlExpression('between(a, "x", "y", true)'), { kind: 'call', name: 'between', args: [f('a'), lit('x'), lit('y'), lit(true)], caseInsensitive: false });
});

test('sequence: by, maxspan units, per-stage by, runs, missing events, until', () => {
  const q = parseEql('sequence by host.id with maxspan=500ms [process where a] by x with runs=2 ![file where b] by y [any where c] by z until [process where d] by w | tail 3');
  assert.deepEqual(q, {
    kind: 'sequence',
    by: [f('host', 'id')],
    maxspanNs: 5e8,
    stages: [
      { query: { category: 'process', where: f('a') }, by: [f('x')], runs: 2 },
      { query: { category: 'file', where: f('b') }, by: [f('y')], missing: true },
      { query: { category: null, where: f('c') }, by: [f('z')] },
    ],
    until: { query: { category: 'process', where: f('d') }, by: [f('w')] },
    pipes: [{ kind: 'tail', count: 3 }],
  });
  const span = (s: string): number | undefined => (parseEql(`sequence with maxspan=${s} [a where true] [b where true]`) as { maxspanNs?: number }).maxspanNs;
  assert.equal(span('2s'), 2e9);
  assert.equal(span('3m'), 180e9);
  assert.equal(span('1h'), 3600e9);
  assert.equal(span('1d'), 86400e9);
  assert.equal((parseEql('sequence [a where true] [b where true]') as { maxspanNs?: number }).maxspanNs, undefined);
});

test('sample by with stages; head pipe', () => {
  assert.deepEqual(parseEql('sample by host [a where x] by p [b where y] by q | head 5'), {
    kind: 'sample',
    by: [f('host')],
    stages: [
      { query: { category: 'a', where: f('x') }, by: [f('p')] },
      { query: { category: 'b', where: f('y') }, by: [f('q')] },
    ],
    pipes: [{ kind: 'head', count: 5 }],
  });
});

test('comments are ignored', () => {
  assert.deepEqual(parseEql('process /* block */ where // line\n true'), parseEql('process where true'));
  assert.deepEqual(parseEql('process /* outer /* nested */ still comment */ where true'), parseEql('process where true'));
  assert.throws(() => parseEql('process /* open where true'), /unterminated comment/);
});
