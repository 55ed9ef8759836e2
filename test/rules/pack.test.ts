import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Expr, Query } from '../../src/ir/types.js';
import { loadRulePackWith, builtinRulesDir, type EqlParser } from '../../src/rules/pack.js';
import { emptyExceptions } from '../../src/rules/exceptions.js';
import { repoRoot } from '../helpers/shared.js';

/** Stands in for the EQL parser: a two-stage file → process sequence; `BROKEN` raises a positioned error. */
const stubParser: EqlParser = (text) => {
  const bad = text.indexOf('BROKEN');
  if (bad >= 0) {
    const before = text.slice(0, bad).split('\n');
    throw Object.assign(new Error(`expected 'where', got 'BROKEN'`), { line: before.length, column: before.at(-1)!.length + 1 });
  }
  const t: Expr = { kind: 'literal', value: true };
  if (!text.trimStart().startsWith('sequence')) return { kind: 'event', query: { category: 'process', where: t }, pipes: [] };
  return {
    kind: 'sequence',
    by: [],
    maxspanNs: 60e9,
    stages: [
      { query: { category: 'file', where: t }, by: [] },
      { query: { category: 'process', where: t }, by: [] },
    ],
    pipes: [],
  };
};

function stage2Where(q: Query): Expr {
  assert.equal(q.kind, 'sequence');
  if (q.kind !== 'sequence') throw new Error('unreachable');
  return q.stages[1]!.query.where;
}

test('built-in pack dir is the repo rules/ directory', () => {
  assert.equal(builtinRulesDir(), join(repoRoot, 'rules'));
});

test('built-in pack loads without problems; hunting rules only on request', () => {
  const normal = loadRulePackWith(stubParser, []);
  assert.deepEqual(normal.problems, []);
  const ids = normal.rules.map((r) => r.id);
  assert.ok(ids.includes('file-share-remote-exec'));
  assert.ok(ids.includes('file-share-remote-exec-mz-header'));
  assert.ok(ids.includes('file-share-remote-exec-security-audit'));
  assert.ok(ids.includes('file-share-service-install'));
  assert.ok(!ids.includes('file-share-written-not-executed'));
  const hunting = loadRulePackWith(stubParser, [], { hunting: true });
  assert.ok(hunting.rules.some((r) => r.id === 'file-share-written-not-executed'));
  const rule = normal.rules.find((r) => r.id === 'file-share-remote-exec')!;
  assert.equal(rule.severity, 'medium');
  assert.equal(rule.riskScore, 47);
  assert.deepEqual(rule.mitre, ['T1021.002', 'T1570', 'TA0008']);
  assert.deepEqual(rule.gate, { categories: ['file', 'process'] });
  assert.equal(rule.view, 'ecs');
});

test('exclusion lists become `and not (...)` on the named stage, in Elastic shape', () => {
  const { rules } = loadRulePackWith(stubParser, []);
  const rule = rules.find((r) => r.id === 'file-share-remote-exec')!;
  assert.equal(rule.query.kind === 'sequence' && rule.query.stages[0]!.query.where.kind, 'literal', 'stage 1 untouched');
  const w = stage2Where(rule.query);
  assert.equal(w.kind, 'and');
  if (w.kind !== 'and') return;
  const not = w.exprs.at(-1)!;
  assert.equal(not.kind, 'not');
  if (not.kind !== 'not' || not.expr.kind !== 'or') return assert.fail('expected not(or(...))');
  const [signers, paths, srvboot] = not.expr.exprs;
  const presence = (dotted: string) => ({
    kind: 'compare', op: '!=', caseInsensitive: false,
    left: { kind: 'field', path: dotted.split('.') }, right: { kind: 'literal', value: null },
  });
  // (present(trusted) and present(subject) and trusted == true and subject_name : (13 signers))
  assert.ok(signers!.kind === 'and');
  if (signers!.kind !== 'and') return;
  assert.deepEqual(signers!.exprs.slice(0, 3), [
    presence('process.code_signature.trusted'),
    presence('process.code_signature.subject_name'),
    { kind: 'compare', op: '==', caseInsensitive: false, left: { kind: 'field', path: ['process', 'code_signature', 'trusted'] }, right: { kind: 'literal', value: true } },
  ]);
  const signerMatch = signers!.exprs[3]!;
  assert.ok(signerMatch.kind === 'wildcard' && signerMatch.caseInsensitive && signerMatch.patterns.length === 13);
  // (present(executable) and present(trusted) and process.executable : (4 paths) and trusted == true); `?` is one character
  assert.ok(paths!.kind === 'and' && paths!.exprs[2]!.kind === 'wildcard');
  if (paths!.kind === 'and' && paths!.exprs[2]!.kind === 'wildcard') {
    assert.deepEqual(paths!.exprs[2]!.patterns[0], [{ t: 'one' }, { t: 'lit', v: ':\\Windows\\ccmsetup\\ccmsetup.exe' }]);
    assert.deepEqual(paths!.exprs[2]!.expr, { kind: 'field', path: ['process', 'executable'] });
  }
  // srvboot: three presence tests, then path and trusted and signer "Microsoft Corporation"
  assert.ok(srvboot!.kind === 'and' && srvboot!.exprs.length === 6);
  assert.deepEqual(rule.meta?.exclusions, [{ stage: 2, lists: ['trusted-signers', 'trusted-paths'] }]);
});

function tempRules(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-rules-'));
  for (const [name, text] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
  return dir;
}

test('a rule whose query fails to parse is a problem with file line:column', (t) => {
  const dir = tempRules({
    'bad.yml': 'id: bad-rule\nname: Bad\nseverity: high\nquery: |\n  sequence\n    [file BROKEN x]\n',
    'good.yml': 'id: good\nquery: |\n  sequence [file where true] [process where true]\n',
  });
  t.after(() => rmSync(dir, { recursive: true }));
  const { rules, problems } = loadRulePackWith(stubParser, [dir], { builtin: false });
  assert.deepEqual(rules.map((r) => r.id), ['good']);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.id, 'bad-rule');
  assert.equal(problems[0]!.source, join(dir, 'bad.yml'));
  // BROKEN is on query line 2, column 7 → file line 6, column 7 + 2 (block indent)
  assert.match(problems[0]!.reason, /^6:11: EQL: expected 'where'/);
});

test('a .eql file is one rule named after the file; its errors keep their own positions', (t) => {
  const dir = tempRules({ 'lateral.eql': 'sequence [file where true] [process where true]', 'oops.eql': 'process\n  BROKEN' });
  t.after(() => rmSync(dir, { recursive: true }));
  const { rules, problems } = loadRulePackWith(stubParser, [dir], { builtin: false });
  assert.deepEqual(rules.map((r) => [r.id, r.language, r.severity]), [['lateral', 'eql', 'medium']]);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.reason, /^2:3: EQL:/);
});

test('YAML errors, missing fields, unknown lists and Sigma files are reported, not dropped', (t) => {
  const dir = tempRules({
    'yamlerr.yml': 'id: x\nquery: [unclosed\n',
    'noid.yml': 'name: no id\nquery: process where true\n',
    'nolist.yml': 'id: nolist\nexclusions:\n  - stage: 2\n    lists: [no-such-list]\nquery: |\n  sequence [file where true] [process where true]\n',
    'nostage.yml': 'id: nostage\nexclusions:\n  - stage: 3\n    lists: [trusted-signers]\nquery: |\n  sequence [file where true] [process where true]\n',
    'sub/sigma.yml': 'title: x\nlogsource: {product: windows}\ndetection: {sel: {EventID: 1}, condition: sel}\n',
    'lists/ignored.yml': 'signers: [x]\n',
  });
  t.after(() => rmSync(dir, { recursive: true }));
  const { rules, problems } = loadRulePackWith(stubParser, [dir], { builtin: false });
  const bySource = (name: string) => problems.filter((p) => p.source === join(dir, name));
  assert.match(bySource('yamlerr.yml')[0]!.reason, /^\d+:\d+: YAML:/);
  assert.match(bySource('noid.yml')[0]!.reason, /^1:1: missing or empty 'id'/);
  assert.match(bySource('nolist.yml')[0]!.reason, /exclusion list 'no-such-list' not applied.*runs without it/);
  assert.match(bySource('nostage.yml')[0]!.reason, /no stage 3/);
  assert.equal(bySource('sub/sigma.yml')[0]!.severity, 'unsupported');
  // the rule with a missing list still runs (fewer exclusions = more alerts, never fewer)
  assert.deepEqual(rules.map((r) => r.id), ['nolist']);
  assert.equal(problems.length, 5);
});

test('custom lists beside a custom rule take precedence over built-in lists of the same name', (t) => {
  const dir = tempRules({
    'r.yml': 'id: r\nexclusions:\n  - stage: 2\n    lists: [trusted-signers]\nquery: |\n  sequence [file where true] [process where true]\n',
    'lists/trusted-signers.yml': 'signers: [Contoso Ltd]\n',
  });
  t.after(() => rmSync(dir, { recursive: true }));
  const { rules } = loadRulePackWith(stubParser, [dir], { builtin: false });
  const w = stage2Where(rules[0]!.query);
  const json = JSON.stringify(w);
  assert.ok(json.includes('Contoso Ltd'));
  assert.ok(!json.includes('Veeam'));
});

test('a key that is a list or a map: the rule is an error with its position; in a list file, the list is not applied and the rule says so', (t) => {
  const dir = tempRules({
    'keyed.yml': 'id: keyed\n? [a, b]\n: 1\nquery: process where true\n',
    'r.yml': 'id: r\nexclusions:\n  - stage: 2\n    lists: [odd]\nquery: |\n  sequence [file where true] [process where true]\n',
    'lists/odd.yml': 'signers: [Contoso Ltd]\n{x: 1}: y\n',
  });
  t.after(() => rmSync(dir, { recursive: true }));
  const { rules, problems } = loadRulePackWith(stubParser, [dir], { builtin: false });
  assert.deepEqual(rules.map((r) => r.id), ['r']);
  assert.match(problems.find((p) => p.id === undefined && p.source.endsWith('keyed.yml'))!.reason, /^2:3: YAML: a mapping key must be a single value, not a list or a map \(\["a","b"\]\)$/);
  assert.match(problems.find((p) => p.id === 'r')!.reason, /exclusion list 'odd' not applied: .*odd\.yml:2:1: YAML: a mapping key must be a single value.*; the rule runs without it/);
});

test('excludeRules removes rules and reports unknown ids; duplicates are reported', (t) => {
  const dir = tempRules({ 'dup.yml': 'id: file-share-remote-exec\nquery: process where true\n' });
  t.after(() => rmSync(dir, { recursive: true }));
  const { rules, problems } = loadRulePackWith(stubParser, [dir], { excludeRules: ['file-share-service-install', 'nope'] });
  assert.ok(!rules.some((r) => r.id === 'file-share-service-install'));
  assert.ok(problems.some((p) => p.id === 'nope' && /no rule with id/.test(p.reason)));
  assert.ok(problems.some((p) => p.source === join(dir, 'dup.yml') && /duplicate rule id/.test(p.reason)));
  assert.equal(rules.filter((r) => r.id === 'file-share-remote-exec').length, 1);
});

test('exceptions passed to the loader are applied to every rule', () => {
  const ex = emptyExceptions();
  ex.global.paths.push('C:\\Tools\\*');
  const { rules } = loadRulePackWith(stubParser, [], { exceptions: ex });
  const rule = rules.find((r) => r.id === 'file-share-remote-exec')!;
  assert.ok(JSON.stringify(rule.query).includes('C:\\\\Tools\\\\'));
});

test('problems of the exceptions file are reported with the rule problems', () => {
  const ex = emptyExceptions();
  ex.source = 'tuning.yml';
  ex.problems.push("tuning.yml: unknown key 'pathz' (expected trusted_signers, paths, hosts, accounts, rules); ignored");
  const { problems } = loadRulePackWith(stubParser, [], { exceptions: ex });
  assert.deepEqual(problems.map((p) => [p.source, p.severity]), [['tuning.yml', 'error']]);
  assert.match(problems[0]!.reason, /^exceptions: .*pathz/);
});

test('real EQL parser errors are mapped to the rule file line:column', async (t) => {
  const { loadRulePack } = await import('../../src/rules/index.js');
  const dir = tempRules({
    'typo.yml': 'id: typo\nseverity: low\nquery: |\n  sequence with maxspan=1m\n    [file wher process.pid == 4] by host.id\n    [process where true] by host.id\n',
    'inline.yml': 'id: inline\nquery: "process where process.pid === 4"\n',
    'ok.eql': 'process where process.name : "psexesvc.exe"\n',
  });
  t.after(() => rmSync(dir, { recursive: true }));
  const { rules, problems } = loadRulePack([dir], { builtin: false });
  assert.deepEqual(rules.map((r) => r.id), ['ok']);
  assert.deepEqual(rules[0]!.gate, { categories: ['process'] });
  const typo = problems.find((p) => p.id === 'typo')!;
  // `wher` is on query line 2, column 9 → file line 5, column 9 + 2 (block indent)
  assert.match(typo.reason, /^5:11: EQL: expected 'where', got 'wher'/);
  const inline = problems.find((p) => p.id === 'inline')!;
  assert.match(inline.reason, /^2:\d+: EQL: /);
});

test('risk_score: a number from 0 to 100, else the rule is reported with the line (it was read as absent)', (t) => {
  const dir = tempRules({
    'ok.yml': 'id: ok\nrisk_score: 47\nquery: process where true\n',
    'text.yml': 'id: text\nseverity: high\nrisk_score: "47"\nquery: process where true\n',
    'big.yml': 'id: big\nrisk_score: 470\nquery: process where true\n',
  });
  t.after(() => rmSync(dir, { recursive: true }));
  const { rules, problems } = loadRulePackWith(stubParser, [dir], { builtin: false });
  assert.deepEqual(rules.map((r) => [r.id, r.riskScore]), [['ok', 47]]);
  assert.match(problems.find((p) => p.id === 'text')!.reason, /^3:\d+: risk_score must be a number from 0 to 100 \(got "47"\)$/);
  assert.match(problems.find((p) => p.id === 'big')!.reason, /^2:\d+: risk_score must be a number from 0 to 100 \(got 470\)$/);
});

test('join_keys: case-insensitive marks a sequence; other values and non-sequences are reported', (t) => {
  const dir = tempRules({
    'ci.yml': 'id: ci\njoin_keys: case-insensitive\nquery: |\n  sequence [file where true] [process where true]\n',
    'cs.yml': 'id: cs\nquery: |\n  sequence [file where true] [process where true]\n',
    'odd.yml': 'id: odd\njoin_keys: sometimes\nquery: |\n  sequence [file where true] [process where true]\n',
    'single.yml': 'id: single\njoin_keys: case-insensitive\nquery: process where true\n',
  });
  t.after(() => rmSync(dir, { recursive: true }));
  const { rules, problems } = loadRulePackWith(stubParser, [dir], { builtin: false });
  const q = (id: string) => rules.find((r) => r.id === id)!.query as Extract<Query, { kind: 'sequence' }>;
  assert.equal(q('ci').caseInsensitiveKeys, true);
  assert.equal(q('cs').caseInsensitiveKeys, undefined);
  assert.deepEqual(rules.map((r) => r.id).sort(), ['ci', 'cs']);
  assert.match(problems.find((p) => p.id === 'odd')!.reason, /join_keys must be case-sensitive or case-insensitive/);
  assert.match(problems.find((p) => p.id === 'single')!.reason, /sequence queries only/);
});
