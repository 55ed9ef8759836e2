/**
 * Elastic detection-rules TOML: the loader on small fixtures (metadata, MITRE, index → flavours,
 * building blocks, category override, not-runnable types, broken files), and the load of every rule
 * of ../shared's detection-rules tree: every EQL rule loads and compiles; every other rule is listed
 * by type; nothing is dropped silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRulePack, flavoursForIndexes } from '../../src/rules/index.js';
import { compileQuery } from '../../src/engine/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

const RULE = (extra: string, query = 'process where process.name == "x.exe"', type = 'eql', language = 'eql') => `
[metadata]
creation_date = "2020/11/03"
maturity = "production"

[rule]
author = ["Elastic"]
description = "A test rule."
index = ["logs-endpoint.events.process-*", "winlogbeat-*"]
language = "${language}"
license = "Elastic License v2"
name = "Test Rule"
risk_score = 73
rule_id = "00000000-0000-0000-0000-000000000001"
severity = "high"
tags = ["OS: Windows"]
type = "${type}"
${extra}
query = '''
${query}
'''

[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1021"
name = "Remote Services"
[[rule.threat.technique.subtechnique]]
id = "T1021.002"
name = "SMB/Windows Admin Shares"
[rule.threat.tactic]
id = "TA0008"
name = "Lateral Movement"
`;

function withDir(files: Record<string, string>, run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-toml-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an EQL rule loads with its metadata, MITRE ids and the flavours its index patterns mean', () => {
  withDir({ 'a.toml': RULE('') }, (dir) => {
    const { rules, problems } = loadRulePack([dir], { builtin: false });
    assert.deepEqual(problems, []);
    assert.equal(rules.length, 1);
    const r = rules[0]!;
    assert.equal(r.id, '00000000-0000-0000-0000-000000000001');
    assert.equal(r.name, 'Test Rule');
    assert.equal(r.severity, 'high');
    assert.equal(r.riskScore, 73);
    assert.deepEqual(r.mitre, ['T1021', 'T1021.002', 'TA0008']);
    assert.deepEqual(r.tags, ['OS: Windows']);
    assert.deepEqual(r.gate, { categories: ['process'], flavours: ['elastic-defend', 'evtx', 'flat', 'winlogbeat'] });
    assert.equal(r.query.kind, 'event');
  });
});

test('index patterns → flavours: Defend, Windows logs, every integration, generic ECS', () => {
  assert.deepEqual(flavoursForIndexes(['logs-endpoint.events.*']), ['elastic-defend']);
  assert.deepEqual(flavoursForIndexes(['logs-windows.sysmon_operational-*']), ['evtx', 'flat', 'winlogbeat']);
  assert.deepEqual(flavoursForIndexes(['logs-system.security*']), ['evtx', 'flat', 'winlogbeat']);
  assert.deepEqual(flavoursForIndexes(['auditbeat-*']), ['ecs', 'unknown']);
  assert.deepEqual(flavoursForIndexes(['logs-aws.cloudtrail-*']), ['ecs', 'unknown'], 'logs-* matches only itself');
  assert.ok(flavoursForIndexes(['logs-*'])!.includes('elastic-defend'));
  assert.equal(flavoursForIndexes([]), undefined, 'a data view: every flavour');
});

test('building blocks are hidden unless asked; category override drops the category gate; ignoreIndex drops flavours', () => {
  withDir(
    {
      'bb.toml': RULE('building_block_type = "default"').replace('0001"', '0002"'),
      'ov.toml': RULE('event_category_override = "event.type"', 'info where event.action == "x"').replace('0001"', '0003"'),
    },
    (dir) => {
      const hidden = loadRulePack([dir], { builtin: false });
      assert.deepEqual(hidden.rules.map((r) => r.id), ['00000000-0000-0000-0000-000000000003']);
      assert.deepEqual(hidden.hidden?.map((h) => h.id), ['00000000-0000-0000-0000-000000000002']);
      const ov = hidden.rules[0]!;
      assert.equal(ov.meta?.categoryField, 'event.type');
      assert.equal(ov.gate?.categories, undefined);
      const all = loadRulePack([dir], { builtin: false, buildingBlocks: true, ignoreIndex: true });
      assert.equal(all.rules.length, 2);
      assert.ok(all.rules.every((r) => r.gate?.flavours === undefined));
    },
  );
});

test('other rule types are listed as not runnable, by type; broken files are errors with a position', () => {
  withDir(
    {
      'kql.toml': RULE('', 'process.name : "x.exe"', 'query', 'kuery'),
      'esql.toml': RULE('', 'from logs-* | limit 1', 'esql', 'esql'),
      'bad.toml': RULE('', 'process where process.name == ').replace('0001"', '0004"'),
      'broken.toml': '[rule\nname = 1',
    },
    (dir) => {
      const { rules, problems } = loadRulePack([dir], { builtin: false });
      assert.equal(rules.length, 0);
      const by = Object.fromEntries(problems.map((p) => [p.source.split('/').pop(), p]));
      assert.match(by['kql.toml']!.reason, /not runnable: rule type 'query' \(language kuery\)/);
      assert.equal(by['kql.toml']!.severity, 'unsupported');
      assert.match(by['esql.toml']!.reason, /rule type 'esql'/);
      assert.equal(by['bad.toml']!.severity, 'error');
      assert.match(by['bad.toml']!.reason, /^\d+:\d+: EQL: /);
      assert.match(by['broken.toml']!.reason, /TOML/);
    },
  );
});

test("keys Elastic's schema types strictly are checked: a rule Kibana would refuse is an error with its line, not a guess", () => {
  const cases: [string, (t: string) => string, RegExp][] = [
    ['severity', (t) => t.replace('severity = "high"', 'severity = "urgent"'), /^\d+:1: severity must be one of low, medium, high, critical \(got "urgent"\)$/],
    ['risk-string', (t) => t.replace('risk_score = 73', 'risk_score = "73"'), /risk_score must be a number from 0 to 100 \(got "73"\)/],
    ['risk-range', (t) => t.replace('risk_score = 73', 'risk_score = 730'), /risk_score must be a number from 0 to 100/],
    ['index', (t) => t.replace(/index = \[.*\]/, 'index = "logs-endpoint.events.*"'), /index must be a list of index patterns/],
    ['override', (t) => t.replace('[rule]', '[rule]\nevent_category_override = ["event.type"]'), /event_category_override must be a string/],
    ['threat', (t) => t.replace('[[rule.threat]]', '[rule.threat]').replace('[[rule.threat.technique]]', '[rule.threat.x]').replace(/\[\[rule\.threat\.technique\.subtechnique\]\][\s\S]*$/, ''), /threat must be a list of \[\[rule\.threat\]\] entries/],
    ['rule-id', (t) => t.replace('rule_id = "00000000-0000-0000-0000-000000000001"', 'rule_id = 1'), /rule_id must be a string \(got 1\)/],
  ];
  const files = Object.fromEntries(cases.map(([name, edit]) => [`${name}.toml`, edit(RULE(''))]));
  files['upper.toml'] = RULE('').replace('severity = "high"', 'severity = "High"');
  withDir(files, (dir) => {
    const { rules, problems } = loadRulePack([dir], { builtin: false });
    const by = Object.fromEntries(problems.map((p) => [p.source.split('/').pop()!.replace('.toml', ''), p]));
    for (const [name, , want] of cases) {
      assert.equal(by[name]?.severity, 'error', name);
      assert.match(by[name]!.reason, want, name);
    }
    assert.equal(rules.length, 1, 'a severity in capitals is still a severity');
    assert.equal(rules[0]!.severity, 'high');
    assert.equal(problems.length, cases.length);
  });
});

function tomlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tomlFiles(p));
    else if (name.endsWith('.toml')) out.push(p);
  }
  return out;
}

test("every EQL rule of Elastic's detection-rules tree loads and compiles; the rest is listed by type", (t) => {
  const repo = sharedOrSkip(t, 'reference/elastic-detection-rules/repo');
  if (!repo) return;
  const dirs = [join(repo, 'rules'), join(repo, 'rules_building_block')];
  const total = dirs.flatMap(tomlFiles).length;
  const pack = loadRulePack(dirs, { builtin: false, buildingBlocks: true });
  const failures: string[] = [];
  let compiled = 0;
  for (const r of pack.rules) {
    try {
      compileQuery(r.query);
      compiled++;
    } catch (e) {
      failures.push(`${r.source}: engine: ${(e as Error).message}`);
    }
  }
  const notRunnable = new Map<string, number>();
  for (const p of pack.problems) {
    const m = /^not runnable: rule type '([^']+)'/.exec(p.reason);
    if (m && p.severity === 'unsupported') notRunnable.set(m[1]!, (notRunnable.get(m[1]!) ?? 0) + 1);
    else failures.push(`${p.source}: ${p.reason}`);
  }
  // Loaded rules plus the files that failed (a failed load or compile is an EQL rule that did not load).
  const eqlTotal = pack.rules.length + pack.problems.filter((p) => p.severity !== 'unsupported' || !p.reason.startsWith('not runnable')).length;
  t.diagnostic(`EQL rules loaded and compiled: ${compiled}/${eqlTotal}`);
  t.diagnostic(`not runnable by type: ${[...notRunnable].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const f of failures) t.diagnostic(`FAILED ${f}`);
  assert.deepEqual(failures, []);
  assert.equal(compiled, 1081, 'the tree holds 1,081 EQL rules');
  assert.equal(compiled + [...notRunnable.values()].reduce((a, b) => a + b, 0), total, 'every file is a loaded rule or listed');
  assert.ok(pack.rules.some((r) => r.meta?.deprecated === true), 'deprecated rules load too');
  assert.ok(pack.rules.some((r) => r.meta?.buildingBlock === true));
});

test('CLI: rules check lists TOML rules by status; hunt --rules with a not-runnable rule does not fail the run', async () => {
  const { runCli } = await import('../cli/run-cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'spoor-toml-cli-'));
  try {
    writeFileSync(join(dir, 'eql.toml'), RULE('', 'process where process.name == "evil.exe"'));
    writeFileSync(join(dir, 'kql.toml'), RULE('', 'process.name : "x.exe"', 'query', 'kuery').replace('0001"', '0009"'));
    const check = await runCli(['rules', 'check', '-f', 'json', dir]);
    assert.equal(check.code, 1, check.stderr);
    const out = JSON.parse(check.stdout) as { rules: { status: string; id?: string; reason?: string }[] };
    assert.deepEqual(out.rules.map((r) => r.status).sort(), ['loaded', 'unsupported']);
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const ev = { '@timestamp': '2024-01-01T00:00:00Z', event: { category: ['process'], type: ['start'], module: 'endpoint' }, process: { name: 'evil.exe' }, host: { name: 'h' } };
    writeFileSync(join(logs, 'e.ndjson'), JSON.stringify(ev) + '\n');
    const hunt = await runCli(['hunt', '--rules', dir, '--no-progress', '-f', 'json', logs]);
    assert.equal(hunt.code, 1, `alerts raised, not exit 2: ${hunt.stderr}`);
    assert.deepEqual((JSON.parse(hunt.stdout) as { ruleName: string }[]).map((a) => a.ruleName), ['Test Rule']);
    assert.match(hunt.stderr, /not runnable: rule type 'query'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
