/**
 * spoor convert: one snapshot per target (table-driven), unsupported constructs reported, Elastic
 * rule files parse back, and the CLI. The whole-SigmaHQ checks are in *.slow.ts (npm run test:slow).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { loadSigmaPaths, loadSigmaText } from '../../src/sigma/index.js';
import { loadRulePack } from '../../src/rules/index.js';
import { parseEql } from '../../src/eql/index.js';
import { convertRules, ruleUuid, type TargetName } from '../../src/convert/index.js';
import type { Rule } from '../../src/ir/types.js';
import { repoRoot } from '../helpers/shared.js';
import { runCli } from '../cli/run-cli.js';
import { mixedLevels } from './helpers.js';

const SIGMA = `title: PsExec service started
id: 11111111-2222-4333-8444-555555555555
logsource:
    product: windows
    service: sysmon
detection:
    sel:
        EventID: 1
        Image|endswith: '\\PSEXESVC.exe'
        CommandLine|contains: ' -accepteula'
    filter:
        ParentImage: 'C:\\Windows\\System32\\services.exe'
    condition: sel and not filter
level: high
`;

const SNAPSHOTS: [TargetName, string][] = [
  ['eql', String.raw`any where winlog.channel in ("Microsoft-Windows-Sysmon/Operational") and winlog.event_id : "1" and process.executable : "*\\PSEXESVC.exe" and process.command_line : "* -accepteula*" and not (process.parent.executable != null and process.parent.executable : "C:\\Windows\\System32\\services.exe")`],
  ['lucene', String.raw`winlog.channel:Microsoft\-Windows\-Sysmon\/Operational AND winlog.event_id:1 AND process.executable:/.*\\[pP][sS][eE][xX][eE][sS][vV][cC]\.[eE][xX][eE]/ AND process.command_line:/.* -[aA][cC][cC][eE][pP][tT][eE][uU][lL][aA].*/ AND NOT (_exists_:process.parent.executable AND process.parent.executable:/[cC]:\\[wW][iI][nN][dD][oO][wW][sS]\\[sS][yY][sS][tT][eE][mM]32\\[sS][eE][rR][vV][iI][cC][eE][sS]\.[eE][xX][eE]/)`],
  ['esql', 'FROM logs-endpoint.events.*, logs-windows.*, winlogbeat-*\n' + String.raw`| WHERE winlog.channel == "Microsoft-Windows-Sysmon/Operational" AND TO_LOWER(winlog.event_id) LIKE "1" AND TO_LOWER(process.executable) LIKE "*\\\\psexesvc.exe" AND TO_LOWER(process.command_line) LIKE "* -accepteula*" AND NOT (process.parent.executable IS NOT NULL AND TO_LOWER(process.parent.executable) LIKE "c:\\\\windows\\\\system32\\\\services.exe")`],
  ['splunk', String.raw`Channel=CASE("Microsoft-Windows-Sysmon/Operational") AND EventID=1 AND Image="*\\PSEXESVC.exe" AND CommandLine="* -accepteula*" AND NOT (ParentImage=* AND ParentImage="C:\\Windows\\System32\\services.exe")`],
  ['kql', 'Sysmon\n' + String.raw`| where EventID == 1 and Image endswith @"\PSEXESVC.exe" and CommandLine contains @" -accepteula" and not((isnotempty(tostring(ParentImage)) and ParentImage =~ @"C:\Windows\System32\services.exe"))`],
];

const sigmaRule = (): Rule => {
  const r = loadSigmaText(SIGMA, 'test.yml');
  assert.deepEqual(r.problems, []);
  return r.rules[0]!;
};

for (const [target, want] of SNAPSHOTS) {
  test(`snapshot: Sigma → ${target}`, () => {
    const { queries, problems } = convertRules([sigmaRule()], target);
    assert.deepEqual(problems, []);
    assert.equal(queries[0]!.text, want);
  });
}

const unsupportedCases: [string, TargetName, RegExp][] = [
  ['detection:\n  kw:\n    - mimikatz\n  condition: kw', 'eql', /keyword search/],
  ['detection:\n  sel:\n    CommandLine|re: "a.b"\n  condition: sel', 'lucene', /regular expression/],
  ['detection:\n  sel:\n    CommandLine: "a?b*"\n  condition: sel', 'splunk', /\? wildcard/],
  ['detection:\n  sel:\n    CommandLine: "x"\n  condition: sel', 'kql', /names no channel/],
];
for (const [detection, target, reason] of unsupportedCases) {
  test(`unsupported in ${target}: reported with its reason, nothing emitted (${reason.source})`, () => {
    const r = loadSigmaText(`title: t\nid: 22222222-2222-4333-8444-555555555555\nlogsource:\n  product: windows\n${detection}\n`, 'u.yml');
    assert.equal(r.rules.length, 1, JSON.stringify(r.problems));
    const { queries, problems } = convertRules(r.rules, target);
    assert.equal(queries.length, 0);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.severity, 'unsupported');
    assert.match(problems[0]!.reason, reason);
  });
}

test('lucene and splunk: AND inside OR, OR inside AND and NOT inside OR are grouped (neither gives AND precedence over OR)', () => {
  const mixed = loadSigmaText(
    `title: m\nid: 33333333-2222-4333-8444-555555555555\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  a:\n    Image|endswith: '\\\\psexesvc.exe'\n    User: SYSTEM\n  b:\n    CommandLine|contains: accepteula\n  c:\n    ParentImage|endswith: '\\\\services.exe'\n  condition: (a and not c) or b or not (a or c)\n`,
    'm.yml',
  );
  assert.equal(mixed.rules.length, 1, JSON.stringify(mixed.problems));
  assert.deepEqual(mixedLevels('a AND b OR c'), ['AND and OR at one level'], 'the checker itself');
  assert.deepEqual(mixedLevels('a OR NOT b'), ['a bare NOT among ORs'], 'the checker itself');
  const pack = loadRulePack([], {}).rules;
  const shipped = loadSigmaText(readFileSync(join(repoRoot, 'rules', 'sigma', 'remote_execution_file_share.yml'), 'utf8'), 's.yml').rules;
  for (const target of ['lucene', 'splunk'] as const) {
    const { queries } = convertRules([...mixed.rules, ...pack, ...shipped], target);
    assert.ok(queries.length >= 1, target);
    const m = queries.find((q) => q.ruleId === mixed.rules[0]!.id)!.text;
    assert.ok(m.includes(' OR ') && m.includes(' AND ') && m.includes('NOT '), `${target}: the fixture mixes all three: ${m}`);
    for (const q of queries) assert.deepEqual(mixedLevels(q.text), [], `${target} ${q.ruleId}: ${q.text}`);
  }
});

test('the mission rule: temporal_ordered correlation → EQL sequence; other targets say why not', async () => {
  const { rules } = await loadSigmaPaths([join(repoRoot, 'rules', 'sigma')]);
  const corr = rules.filter((r) => r.query.kind === 'correlation');
  const eql = convertRules(corr, 'eql');
  assert.equal(
    eql.queries[0]!.text,
    'sequence with maxspan=1m\n' +
      '  [any where winlog.channel in ("Microsoft-Windows-Sysmon/Operational") and winlog.event_id in ("11") and process.pid in (4) and file.path : ("*.exe", "*.scr", "*.pif", "*.com")] by winlog.computer_name, file.path\n' +
      '  [any where winlog.channel in ("Microsoft-Windows-Sysmon/Operational") and winlog.event_id in ("1") and process.executable != null or winlog.channel in ("Security") and winlog.event_id in ("4688") and process.executable != null] by winlog.computer_name, process.executable',
  );
  for (const t of ['lucene', 'esql', 'splunk', 'kql'] as const) assert.match(convertRules(corr, t).problems[0]!.reason, /sequence/);
});

test('EQL pack → Elastic detection-rule TOML and Kibana NDJSON that parse back to the same query', () => {
  const { rules } = loadRulePack([]);
  const strict = rules.filter((r) => r.id === 'file-share-remote-exec');
  const toml = convertRules(strict, 'elastic-toml', { date: '2026-12-02' });
  assert.deepEqual(toml.problems, []);
  const doc = parseToml(toml.queries[0]!.text) as { metadata: { creation_date: string }; rule: Record<string, unknown> & { threat: { tactic: { id: string }; technique: { id: string }[] }[] } };
  assert.equal(doc.metadata.creation_date, '2026/12/02');
  assert.equal(doc.rule['type'], 'eql');
  assert.equal(doc.rule['rule_id'], ruleUuid('file-share-remote-exec'));
  assert.match(String(doc.rule['rule_id']), /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(doc.rule['risk_score'], 47);
  assert.equal(doc.rule.threat[0]!.tactic.id, 'TA0008');
  assert.deepEqual(doc.rule.threat[0]!.technique.map((t) => t.id), ['T1021', 'T1570']);
  const eql = convertRules(strict, 'eql').queries[0]!.text;
  assert.equal(String(doc.rule['query']).trim(), eql);
  assert.equal(parseEql(eql).kind, 'sequence');
  const nd = convertRules(strict, 'kibana-ndjson').queries[0]!.text;
  assert.ok(!nd.includes('\n'));
  const obj = JSON.parse(nd) as Record<string, unknown>;
  for (const k of ['rule_id', 'name', 'description', 'risk_score', 'severity', 'type', 'language', 'query', 'index', 'from', 'interval', 'enabled']) assert.ok(k in obj, k);
  // A rule joining keys ignoring case has no exact EQL form: reported, not emitted.
  const audit = convertRules(rules.filter((r) => r.id === 'file-share-remote-exec-security-audit'), 'kibana-ndjson');
  assert.equal(audit.queries.length, 0);
  assert.match(audit.problems[0]!.reason, /ignoring case/);
});

test('spoor convert CLI: stdout, --json, --out, exit codes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-convert-'));
  try {
    const eql = await runCli(['convert', '--to', 'eql']);
    assert.equal(eql.code, 1, eql.stderr); // two pack rules join keys ignoring case: not expressible
    assert.match(eql.stdout, /^# file-share-remote-exec  /m);
    assert.match(eql.stderr, /file-share-remote-exec-security-audit .*not converted: .*ignoring case/);
    const json = await runCli(['convert', '--to', 'eql', '--rule', 'file-share-remote-exec', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { queries: unknown[] }).queries.length, 1);
    const out = await runCli(['convert', '--to', 'kibana-ndjson', '--out', dir]);
    assert.equal(out.code, 1);
    const lines = readFileSync(join(dir, 'rules.ndjson'), 'utf8').trim().split('\n');
    assert.ok(lines.length >= 3);
    for (const l of lines) assert.equal((JSON.parse(l) as { type: string }).type, 'eql');
    assert.equal((await runCli(['convert', '--to', 'cobol'])).code, 2);
    assert.equal((await runCli(['convert', '--to', 'eql', '--sigma', join(dir, 'missing')])).code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('join keys compared ignoring case: every target reports it with its own reason', () => {
  const { rules } = loadRulePack([]);
  const ci = rules.filter((r) => r.query.kind === 'sequence' && r.query.caseInsensitiveKeys);
  assert.ok(ci.length >= 2, 'the built-in pack has case-insensitive joins');
  const reasons: [TargetName, RegExp][] = [
    ['eql', /Elasticsearch EQL compares the `by` key values exactly/],
    ['elastic-toml', /Elasticsearch EQL compares the `by` key values exactly/],
    ['kibana-ndjson', /Elasticsearch EQL compares the `by` key values exactly/],
    ['sigma', /Sigma correlations group by exact values/],
    ['splunk', /a sequence \(only EQL can express multi-event rules\), whose join keys are compared ignoring case/],
    ['kql', /a sequence/],
    ['defender', /a sequence/],
    ['esql', /a sequence/],
    ['lucene', /a sequence/],
  ];
  for (const [target, reason] of reasons) {
    const r = convertRules(ci, target);
    assert.equal(r.queries.length, 0, target);
    for (const p of r.problems) assert.match(p.reason, reason, target);
  }
});
