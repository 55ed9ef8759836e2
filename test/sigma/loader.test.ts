/** Loader: metadata, MITRE tags, filters (Sigma v2.1), directories and unreadable input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSigmaDir, loadSigmaText } from '../../src/sigma/index.js';
import { compilePredicate } from '../../src/engine/index.js';
import { mitreIds } from '../../src/sigma/tags.js';
import type { Rule } from '../../src/ir/types.js';

const RULE = `title: Rar compression
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
status: test
author: someone
level: high
tags:
    - attack.collection
    - attack.t1560.001
    - attack.g0032
references:
    - https://example.org
falsepositives:
    - Admins
logsource:
    category: process_creation
    product: windows
detection:
    sel:
        Image|endswith: '\\rar.exe'
    condition: sel
`;

const FILTER = `title: Filter admin accounts
id: f-1
logsource:
    category: process_creation
    product: windows
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095
    selection:
        User|startswith: 'adm_'
    condition: not selection
`;

function predicate(rule: Rule): (ev: Record<string, unknown>) => boolean {
  assert.equal(rule.query.kind, 'event');
  return compilePredicate(rule.query.kind === 'event' ? rule.query.query.where : { kind: 'literal', value: false });
}

test('metadata: severity, MITRE ids, references, false positives, meta', () => {
  const r = loadSigmaText(RULE, 'r.yml');
  const rule = r.rules[0]!;
  assert.equal(rule.severity, 'high');
  assert.equal(rule.language, 'sigma');
  assert.equal(rule.view, 'native');
  assert.deepEqual(rule.mitre, ['TA0009', 'T1560.001', 'G0032']);
  assert.deepEqual(rule.references, ['https://example.org']);
  assert.deepEqual(rule.falsePositives, ['Admins']);
  assert.equal(rule.meta?.status, 'test');
  assert.equal(rule.meta?.author, 'someone');
  assert.equal(rule.meta?.sigmaId, '6f3e2987-db24-4c78-a860-b4f4095a7095');
  assert.deepEqual(mitreIds(['attack.lateral_movement', 'attack.t1021.002', 'attack.command-and-control', 'cve.2021-1']), [
    'TA0008',
    'T1021.002',
    'TA0011',
  ]);
});

test('the logsource gate is part of the condition', () => {
  const pred = predicate(loadSigmaText(RULE, 'r.yml').rules[0]!);
  const sysmon = { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: 'C:\\rar.exe' };
  assert.equal(pred(sysmon), true);
  assert.equal(pred({ ...sysmon, EventID: 11 }), false);
  assert.equal(pred({ ...sysmon, Channel: 'Security' }), false);
  // Security 4688 carries the image as NewProcessName.
  assert.equal(pred({ Channel: 'Security', EventID: 4688, NewProcessName: 'C:\\rar.exe' }), true);
});

test('filters apply to the rules they name (rule and filter condition)', () => {
  const r = loadSigmaText(`${RULE}---\n${FILTER}`, 'r.yml');
  assert.deepEqual(r.problems, []);
  assert.equal(r.rules.length, 1);
  const pred = predicate(r.rules[0]!);
  const ev = { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: 'C:\\rar.exe' };
  assert.equal(pred({ ...ev, User: 'adm_bob' }), false);
  assert.equal(pred({ ...ev, User: 'bob' }), true);
  assert.equal(pred(ev), true); // no User field: the filter's "not selection" holds
  const filterDoc = r.documents?.find((d) => d.kind === 'filter');
  assert.equal(filterDoc?.status, 'applied');
  assert.match(filterDoc!.reason!, /1 rule/);
  // A broken filter is reported (with its id) and applied to nothing.
  const broken = loadSigmaText(`${RULE}---\n${FILTER.replace('condition: not selection', 'condition: not')}`, 'r.yml');
  assert.deepEqual(broken.problems.map((p) => [p.id, p.severity]), [['f-1', 'error']]);
  assert.equal(predicate(broken.rules[0]!)({ ...ev, User: 'adm_bob' }), true);
  // A filter for another logsource does not apply.
  const other = loadSigmaText(`${RULE}---\n${FILTER.replace('process_creation', 'file_event')}`, 'r.yml');
  assert.equal(predicate(other.rules[0]!)({ ...ev, User: 'adm_bob' }), true);
});

test('directories: recursive *.yml/*.yaml; bad YAML and bad rules are problems with file names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-sigma-'));
  try {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.yml'), RULE);
    writeFileSync(join(dir, 'sub', 'b.yaml'), RULE.replace('6f3e2987-db24-4c78-a860-b4f4095a7095', 'other-id'));
    writeFileSync(join(dir, 'sub', 'bad.yml'), 'title: [unclosed\n');
    writeFileSync(join(dir, 'sub', 'nodetect.yml'), 'title: x\nid: nd\nlogsource:\n  product: windows\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const r = await loadSigmaDir(dir);
    assert.deepEqual(r.rules.map((x) => x.id).sort(), ['6f3e2987-db24-4c78-a860-b4f4095a7095', 'other-id']);
    assert.equal(r.problems.length, 2);
    assert.ok(r.problems.some((p) => p.source.endsWith('bad.yml') && p.severity === 'error' && /YAML/.test(p.reason)));
    assert.ok(r.problems.some((p) => p.id === 'nd' && /no detection/.test(p.reason)));
    const missing = await loadSigmaDir(join(dir, 'does-not-exist'));
    assert.equal(missing.problems[0]?.severity, 'error');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('taxonomy: ecs rules run on the ECS view without Windows gates; unknown taxonomies are unsupported', () => {
  const text = `title: ECS\nid: e1\ntaxonomy: ecs\nlogsource:\n    category: network\n    service: dns\ndetection:\n    sel:\n        dns.question.name: 'sigmahq'\n    condition: sel\n`;
  const r = loadSigmaText(text, 'e.yml');
  assert.deepEqual(r.problems, []);
  const rule = r.rules[0]!;
  assert.equal(rule.view, 'ecs');
  assert.equal(rule.gate, undefined);
  const pred = predicate(rule);
  assert.equal(pred({ dns: { question: { name: 'SigmaHQ' } } }), true);
  assert.equal(pred({ 'dns.question.name': 'other' }), false);
  const other = loadSigmaText(text.replace('taxonomy: ecs', 'taxonomy: splunk'), 'e.yml');
  assert.equal(other.problems[0]?.severity, 'unsupported');
  assert.match(other.problems[0]!.reason, /taxonomy 'splunk'/);
});

test('a mapping key that is a list or a map is an error with its position, not a field named after its text (and no library warning)', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const r = loadSigmaText(RULE.replace("        Image|endswith: '\\rar.exe'", '        [Image, CommandLine]: rar.exe'), 'r.yml');
    assert.equal(r.rules.length, 0);
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]!.severity, 'error');
    assert.match(r.problems[0]!.reason, /^19:9: YAML: a mapping key must be a single value, not a list or a map \(\["Image","CommandLine"\]\)$/);
    // In a multi-document file only that document fails.
    const two = loadSigmaText(`${RULE}---\n${RULE.replace('6f3e2987-db24-4c78-a860-b4f4095a7095', '6f3e2987-db24-4c78-a860-b4f4095a7096').replace('title: Rar compression', '? {a: 1}\n: x\ntitle: Other')}`, 'two.yml');
    assert.deepEqual([two.rules.length, two.problems.length], [1, 1]);
    assert.match(two.problems[0]!.source, /two\.yml \(document 2\)/);
  } finally {
    process.off('warning', onWarning);
  }
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(warnings, []);
});

test('id: 12 (a YAML number) is an error "id must be a string", not the id "12"', () => {
  const r = loadSigmaText(RULE.replace('id: 6f3e2987-db24-4c78-a860-b4f4095a7095', 'id: 12'), 'r.yml');
  assert.equal(r.rules.length, 0);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.severity, 'error');
  assert.match(r.problems[0]!.reason, /id must be a string/);
  assert.equal(loadSigmaText(RULE, 'r.yml').problems.length, 0);
});
