/**
 * Whole-SigmaHQ conversion checks (slow: loads 2,407 rules; run by `npm run test:slow`, which
 * .ci/run runs after `npm test`): every Windows rule converts to every target or reports why, and
 * every regression rule that converts to EQL matches its own data exactly as the Sigma rule does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigmaDir, loadSigmaText } from '../../src/sigma/index.js';
import { parseEql } from '../../src/eql/index.js';
import { toEcs, toNative } from '../../src/normalize/index.js';
import { convertRules, TARGET_NAMES } from '../../src/convert/index.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { events, mixedLevels, run, view } from './helpers.js';

/**
 * Defender XDR records no Windows event logs beyond its own tables: rules over PowerShell, System,
 * most Security events and Sysmon events it lacks are reported (about a third of SigmaHQ).
 */
const MIN_SHARE: Partial<Record<string, number>> = { defender: 0.6 };

test('every SigmaHQ Windows rule converts to every target or reports why', async (t) => {
  const dir = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows');
  if (!dir) return;
  const { rules } = await loadSigmaDir(dir);
  assert.equal(rules.length, 2407);
  for (const target of TARGET_NAMES) {
    const r = convertRules(rules, target, { date: '2026-12-02' });
    assert.equal(r.queries.length + r.problems.length, rules.length, target);
    for (const p of r.problems) {
      assert.equal(p.severity, 'unsupported');
      assert.ok(p.id && p.reason.length > 10, `${target}: ${JSON.stringify(p)}`);
    }
    if (target === 'sigma') {
      // The sigma target takes spoor's EQL rules; Sigma rules are reported as such.
      assert.equal(r.queries.length, 0);
      continue;
    }
    const share = r.queries.length / rules.length;
    console.log(`${target}: ${r.queries.length} converted, ${r.problems.length} reported (${(share * 100).toFixed(1)}%)`);
    assert.ok(share > (MIN_SHARE[target] ?? 0.9), `${target}: only ${r.queries.length} of ${rules.length} converted`);
    if (target === 'defender') for (const q of r.queries) assert.match(q.text, /^(union\n  \()?Device[A-Za-z]*Events\n?/, q.ruleId);
    if (target === 'eql') for (const q of r.queries) assert.doesNotThrow(() => parseEql(q.text), q.ruleId);
    // Neither language gives AND precedence over OR: every mixed level is grouped.
    if (target === 'lucene' || target === 'splunk') for (const q of r.queries) assert.deepEqual(mixedLevels(q.text), [], `${target} ${q.ruleId}: ${q.text}`);
  }
});

interface RegressionEntry {
  rule_path: string;
  tests: { json: string }[];
}

test('SigmaHQ regression data: every rule that converts to EQL matches exactly as the Sigma rule', async (t) => {
  const base = sharedOrSkip(t, 'conformance', 'sigma');
  if (!base) return;
  const index = JSON.parse(readFileSync(join(base, 'regression_index.json'), 'utf8')) as RegressionEntry[];
  let converted = 0;
  let unsupported = 0;
  let compared = 0;
  const mismatches: string[] = [];
  for (const entry of index) {
    const loaded = loadSigmaText(readFileSync(join(base, entry.rule_path), 'utf8'), entry.rule_path);
    const rule = loaded.rules[0];
    if (!rule) continue;
    const { queries, problems } = convertRules([rule], 'eql');
    if (problems.length > 0) {
      unsupported++;
      assert.equal(problems[0]!.severity, 'unsupported');
      continue;
    }
    converted++;
    const eql = parseEql(queries[0]!.text);
    for (const tc of entry.tests) {
      const evs = await events([join(base, tc.json)]);
      const want = run(rule.query, view(evs, toNative));
      const got = run(eql, view(evs, toEcs));
      compared++;
      if (got !== want) mismatches.push(`${entry.rule_path}: sigma ${want}, eql ${got}\n    ${queries[0]!.text}`);
    }
  }
  console.log(`regression rules → EQL: ${converted} converted (${compared} data sets compared), ${unsupported} reported unsupported`);
  for (const m of mismatches) console.log(`  MISMATCH ${m}`);
  assert.ok(converted >= 180, `${converted} converted`);
  assert.deepEqual(mismatches, []);
});
