/**
 * Constant folding (src/eql/fold.ts) against the shared folding and optimizer suites: every entry
 * with an expected value that folding can decide must fold to exactly that value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import type { Expr } from '../../src/ir/types.js';
import { foldExpr, foldQuery, parseEql, parseEqlExpression } from '../../src/eql/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

const SAMPLES: Record<string, string> = { bool: 'true', int: '42', string: '"text"', float: '2.5', null: 'null' };

/** Clear every case-insensitivity flag: the suites' case-sensitive sections. */
function caseSensitive(e: Expr): Expr {
  return JSON.parse(JSON.stringify(e), (k, v: unknown) => (k === 'caseInsensitive' ? false : v)) as Expr;
}

interface Case {
  section: string;
  expression: string;
  expected: unknown;
}

function collect(doc: Record<string, unknown>): Case[] {
  const out: Case[] = [];
  for (const [section, body] of Object.entries(doc)) {
    const b = body as { fold?: { tests?: Record<string, unknown>[] }; loop?: { param: { type: string[]; name: string }; fold: { tests: Record<string, unknown>[] } }[] };
    for (const t of b.fold?.tests ?? []) {
      if ('expected' in t) out.push({ section, expression: String(t.expression), expected: t.expected });
    }
    for (const loop of b.loop ?? []) {
      for (const type of loop.param.type) {
        for (const t of loop.fold.tests) {
          if (!('expected' in t)) continue;
          out.push({ section, expression: String(t.expression).split(`$${loop.param.name}`).join(SAMPLES[type]!), expected: t.expected });
        }
      }
    }
  }
  return out;
}

test('test_folding.toml: constant expressions fold to the expected literal', (t) => {
  const path = sharedOrSkip(t, 'conformance', 'eql', 'endgame', 'test_folding.toml');
  if (path === null) return;
  const cases = collect(parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>);
  const failures: string[] = [];
  let folded = 0;
  let withCalls = 0;
  for (const c of cases) {
    let e = parseEqlExpression(c.expression, { dialect: 'endgame' });
    if (c.section.includes('case_sensitive')) e = caseSensitive(e);
    const f = foldExpr(e);
    if (f.kind !== 'literal') {
      // Function calls are the engine's business; anything else must fold.
      if (JSON.stringify(f).includes('"kind":"call"')) withCalls++;
      else failures.push(`${c.section}: ${c.expression} did not fold: ${JSON.stringify(f)}`);
      continue;
    }
    const want = c.expected;
    const ok = typeof want === 'number' ? typeof f.value === 'number' && Math.abs(f.value - want) < 1e-9 : f.value === want;
    if (ok) folded++;
    else failures.push(`${c.section}: ${c.expression} folded to ${String(f.value)}, expected ${String(want)}`);
  }
  t.diagnostic(`folded ${folded}/${cases.length} (${withCalls} left to the engine: function calls)`);
  assert.deepEqual(failures, []);
  assert.ok(folded >= cases.length - withCalls);
});

test('test_optimizer.toml: and/or around constants simplify as the suite says', (t) => {
  const path = sharedOrSkip(t, 'conformance', 'eql', 'endgame', 'test_optimizer.toml');
  if (path === null) return;
  const doc = parseToml(readFileSync(path, 'utf8')) as Record<string, { optimizer?: { tests?: { expression: string; optimized: string }[] } }>;
  let n = 0;
  for (const section of Object.values(doc)) {
    for (const c of section.optimizer?.tests ?? []) {
      const got = foldExpr(parseEqlExpression(c.expression, { dialect: 'endgame' }));
      assert.deepEqual(got, foldExpr(parseEqlExpression(c.optimized, { dialect: 'endgame' })), c.expression);
      n++;
    }
  }
  assert.ok(n >= 10, `ran ${n} optimizer cases`);
});

test('test_optimizer.toml: Endgame == with * and wildcard() fold to the same IR', (t) => {
  const path = sharedOrSkip(t, 'conformance', 'eql', 'endgame', 'test_optimizer.toml');
  if (path === null) return;
  const doc = parseToml(readFileSync(path, 'utf8')) as Record<string, { equivalent?: { tests?: { expression: string; alternate: string }[] } }>;
  let n = 0;
  for (const section of Object.values(doc)) {
    for (const c of section.equivalent?.tests ?? []) {
      const a = foldExpr(parseEqlExpression(c.expression, { dialect: 'endgame' }));
      const b = foldExpr(parseEqlExpression(c.alternate, { dialect: 'endgame' }));
      assert.deepEqual(a, b, `${c.expression} vs ${c.alternate}`);
      n++;
    }
  }
  assert.equal(n, 8);
});

test('folding leaves engine-dependent constructs alone', () => {
  const same = (text: string): void => {
    const e = parseEqlExpression(text);
    assert.deepEqual(foldExpr(e), e, text);
  };
  same('-7 / 2'); // truncating or flooring: the engine decides
  same('-7 % 2');
  same('1 / 0');
  same('length("abc")');
  same('"1" == 1');
  same('not not a');
  same('9007199254740993 + 1');
});

test('folding three-valued logic and queries', () => {
  const fold = (s: string): Expr => foldExpr(parseEqlExpression(s));
  assert.deepEqual(fold('null and false'), { kind: 'literal', value: false });
  assert.deepEqual(fold('null or true'), { kind: 'literal', value: true });
  assert.deepEqual(fold('null and true'), { kind: 'literal', value: null });
  assert.deepEqual(fold('not null'), { kind: 'literal', value: null });
  assert.deepEqual(fold('a and (true and b)'), { kind: 'and', exprs: [{ kind: 'field', path: ['a'] }, { kind: 'field', path: ['b'] }] });
  assert.deepEqual(fold('"abc" : "A*"'), { kind: 'literal', value: true });
  assert.deepEqual(fold('"abc" like "A*"'), { kind: 'literal', value: false });
  assert.deepEqual(fold('7 / 2.0'), { kind: 'literal', value: 3.5, float: true });
  assert.deepEqual(fold('7 / 2'), { kind: 'literal', value: 3 });
  const q = foldQuery(parseEql('sequence [a where x == 1 + 1 and true] by k [b where false or y] by k | head 1'));
  assert.deepEqual(q.kind === 'sequence' && q.stages.map((s) => s.query.where), [
    { kind: 'compare', op: '==', left: { kind: 'field', path: ['x'] }, right: { kind: 'literal', value: 2 }, caseInsensitive: false },
    { kind: 'field', path: ['y'] },
  ]);
});
