/**
 * Issue 10, item 1, end to end: a Sigma `|re` or EQL `regex`/`regex~`/`match()` with
 * catastrophic backtracking finishes quickly on a hostile value (before: hours), and what cannot
 * run safely is refused at load, named by `spoor rules check`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSigmaText, loadSigmaPaths } from '../../src/sigma/index.js';
import { parseEqlExpression } from '../../src/eql/index.js';
import { compilePredicate } from '../../src/engine/index.js';
import { checkRows } from '../../src/cli/rules.js';

const EVIL = 'a'.repeat(36) + '!';

function cpuMs(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}

function sigmaRule(value: string, mods = 're'): string {
  return `title: t\nid: t-1\nlogsource:\n  product: windows\ndetection:\n  sel:\n    CommandLine|${mods}: '${value}'\n  condition: sel\n`;
}

test('Sigma |re with catastrophic backtracking runs in linear time', () => {
  const cases: [string, string, boolean[]][] = [
    ['(a+)+$', 're', [false, false, true]],
    ['(a|a)*$', 're', [true, true, true]], // matches the empty string at the end
    ['(a|aa)+$', 're|i', [false, false, true]],
    ['(.*a){20}x', 're', [false, false, false]],
    ['(?i)(A+)+$', 're', [false, false, true]],
  ];
  for (const [re, mods, expected] of cases) {
    const r = loadSigmaText(sigmaRule(re, mods), 'inline.yml');
    assert.deepEqual(r.problems, [], re);
    const q = r.rules[0]!.query;
    assert.equal(q.kind, 'event');
    const pred = compilePredicate(q.kind === 'event' ? q.query.where! : { kind: 'literal', value: false });
    let out: boolean[] = [];
    const ms = cpuMs(() => (out = [pred({ CommandLine: EVIL }), pred({ CommandLine: EVIL.repeat(100) }), pred({ CommandLine: 'aaaa' })]));
    assert.deepEqual(out, expected, re);
    assert.ok(ms < 3000, `${re}: ${ms} ms`);
  }
});

test('EQL regex, regex~ and match() with catastrophic backtracking run in linear time', () => {
  for (const src of ['x regex "(a+)+"', 'x regex~ "(A|a)*b"', 'x regex "(.*a){25}"', 'match(x, "(a+)+$")', 'match(x, "(a|aa)+$", "b")']) {
    const pred = compilePredicate(parseEqlExpression(src, { dialect: 'endgame' }));
    const ms = cpuMs(() => assert.equal(pred({ x: EVIL }), false, src));
    assert.ok(ms < 3000, `${src}: ${ms} ms`);
  }
});

test('unsafe regexes are refused at load with the reason, named by rules check', async () => {
  const r = loadSigmaText(sigmaRule('(a+)\\1'), 'inline.yml');
  assert.equal(r.rules.length, 0);
  assert.match(r.problems[0]!.reason, /refused: backreferences and lookaround .*linear time/);
  assert.throws(() => parseEqlExpression('x regex "(?=a+)b"'), /refused: backreferences and lookaround/);

  const dir = mkdtempSync(join(tmpdir(), 'spoor-redos-'));
  try {
    writeFileSync(join(dir, 'ok.yml'), sigmaRule('(a+)+$').replace('t-1', 'ok'));
    writeFileSync(join(dir, 'bad.yml'), sigmaRule('\\p{L}+').replace('t-1', 'bad'));
    const loaded = await loadSigmaPaths([dir]);
    const rows = new Map(checkRows(loaded.documents ?? [], loaded.rules).map((row) => [row.id, row]));
    assert.equal(rows.get('ok')?.status, 'loaded');
    assert.equal(rows.get('bad')?.status, 'unsupported');
    assert.match(rows.get('bad')!.reason!, /Unicode property escape/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wildcards with `?` between stars run without backtracking (Sigma value and EQL like)', () => {
  const r = loadSigmaText(`title: t\nid: t-1\nlogsource:\n  product: windows\ndetection:\n  sel:\n    CommandLine: '*a?*a?*a?*a?*a?*b'\n  condition: sel\n`, 'inline.yml');
  const q = r.rules[0]!.query;
  const pred = compilePredicate(q.kind === 'event' ? q.query.where! : { kind: 'literal', value: false });
  const eql = compilePredicate(parseEqlExpression('x like~ "*a?*a?*a?*a?*a?*b"'));
  const ms = cpuMs(() => {
    assert.equal(pred({ CommandLine: 'a'.repeat(5000) }), false);
    assert.equal(pred({ CommandLine: 'axaxaxaxaxb' }), true);
    assert.equal(eql({ x: 'A'.repeat(5000) }), false);
  });
  assert.ok(ms < 3000, `${ms} ms`);
});
