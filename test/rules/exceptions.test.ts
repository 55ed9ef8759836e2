import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rule } from '../../src/ir/types.js';
import type { Alert } from '../../src/alert/types.js';
import { loadExceptions, exceptionsFor, applyExceptions, alertExceptionReason, filterAlerts } from '../../src/rules/exceptions.js';

function writeTemp(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-ex-'));
  const p = join(dir, 'exceptions.yml');
  writeFileSync(p, text);
  return p;
}

const FILE = `
trusted_signers: [Contoso Ltd]
paths: ['C:\\Deploy\\*']
hosts: [build-*]
accounts: ['CORP\\svc_deploy']
rules:
  file-share-remote-exec:
    hosts: [ws-042]
    paths: ['?:\\Windows\\PSEXESVC.exe']
  other-rule:
    accounts: [alice]
`;

test('per-rule entries add to the global ones', (t) => {
  const p = writeTemp(FILE);
  t.after(() => rmSync(join(p, '..'), { recursive: true }));
  const ex = loadExceptions(p);
  assert.deepEqual(ex.problems, []);
  const set = exceptionsFor(ex, 'file-share-remote-exec');
  assert.deepEqual(set.hosts, ['build-*', 'ws-042']);
  assert.deepEqual(set.paths, ['C:\\Deploy\\*', '?:\\Windows\\PSEXESVC.exe']);
  assert.deepEqual(set.trustedSigners, ['Contoso Ltd']);
  assert.deepEqual(exceptionsFor(ex, 'unlisted').hosts, ['build-*']);
  assert.deepEqual(exceptionsFor(ex, 'other-rule').accounts, ['CORP\\svc_deploy', 'alice']);
});

test('bad entries are reported, the rest still applies; a missing file never throws', (t) => {
  const p = writeTemp('hosts: [a]\npathz: [b]\nrules:\n  r1: [not, a, mapping]\naccounts: [{x: 1}]\n');
  t.after(() => rmSync(join(p, '..'), { recursive: true }));
  const ex = loadExceptions(p);
  assert.deepEqual(ex.global.hosts, ['a']);
  assert.equal(ex.problems.length, 3);
  assert.ok(ex.problems.some((m) => m.includes("unknown key 'pathz'")));
  assert.ok(ex.problems.some((m) => m.includes('rules.r1')));
  const missing = loadExceptions(join(tmpdir(), 'definitely-not-here-spoor.yml'));
  assert.equal(missing.problems.length, 1);
});

const alert = (over: Partial<Alert>): Alert => ({
  id: 'x', ruleId: 'file-share-remote-exec', ruleName: 'n', severity: 'medium', host: 'WS-042.corp.example',
  firstTime: '2020-01-01T00:00:00Z', lastTime: '2020-01-01T00:00:01Z', gapMs: 1000, events: [], ...over,
});

test('hosts match the alert host or its first label, case-insensitively; scope is reported', (t) => {
  const p = writeTemp(FILE);
  t.after(() => rmSync(join(p, '..'), { recursive: true }));
  const ex = loadExceptions(p);
  assert.equal(alertExceptionReason(alert({}), ex), "host 'ws-042' (rule file-share-remote-exec)");
  assert.equal(alertExceptionReason(alert({ ruleId: 'other-rule' }), ex), null);
  assert.equal(alertExceptionReason(alert({ ruleId: 'other-rule', host: 'BUILD-7' }), ex), "host 'build-*' (global)");
});

test('accounts match the writer (user or DOMAIN\\user) and the process user; paths and trusted signers too', (t) => {
  const p = writeTemp(FILE);
  t.after(() => rmSync(join(p, '..'), { recursive: true }));
  const ex = loadExceptions(p);
  const a = (over: Partial<Alert>) => alert({ ruleId: 'other-rule', host: 'srv1', ...over });
  assert.match(alertExceptionReason(a({ writer: { user: 'svc_deploy', domain: 'corp' } }), ex)!, /account/);
  assert.match(alertExceptionReason(a({ writer: { user: 'ALICE' } }), ex)!, /account 'alice'/);
  assert.equal(alertExceptionReason(a({ writer: { user: 'bob', domain: 'CORP' } }), ex), null);
  assert.match(alertExceptionReason(a({ filePath: 'c:\\deploy\\agent.exe' }), ex)!, /path/);
  assert.match(alertExceptionReason(a({ process: { signer: 'Contoso Ltd', signatureTrusted: true } }), ex)!, /signer/);
  assert.equal(alertExceptionReason(a({ process: { signer: 'Contoso Ltd', signatureTrusted: false } }), ex), null);
  const { kept, excepted } = filterAlerts([a({}), a({ writer: { user: 'alice' } })], ex);
  assert.equal(kept.length, 1);
  assert.equal(excepted.length, 1);
});

test('IR exceptions narrow positive stages only and leave other views alone', () => {
  const t = { kind: 'literal', value: true } as const;
  const rule: Rule = {
    id: 'r', name: 'r', source: 's', language: 'eql', view: 'ecs', severity: 'low',
    query: {
      kind: 'sequence', by: [], pipes: [],
      stages: [
        { query: { category: 'file', where: t }, by: [] },
        { query: { category: 'process', where: t }, by: [], missing: true },
        { query: { category: 'process', where: t }, by: [] },
      ],
    },
  };
  const ex = { global: { trustedSigners: ['S'], paths: ['P*'], hosts: [], accounts: [] }, rules: {}, problems: [] };
  const out = applyExceptions(rule, ex);
  if (out.query.kind !== 'sequence') return assert.fail();
  const [s1, s2, s3] = out.query.stages;
  assert.match(JSON.stringify(s1!.query.where), /"file","path"/);
  assert.match(JSON.stringify(s1!.query.where), /"file","code_signature","trusted"/);
  assert.deepEqual(s2!.query.where, t, 'missing-event stage untouched (excluding from it would widen the rule)');
  assert.match(JSON.stringify(s3!.query.where), /"process","executable"/);
  assert.equal(s3!.query.where.kind, 'and');
  const hostsOnly = applyExceptions(rule, { global: { trustedSigners: [], paths: [], hosts: ['ws-042'], accounts: [] }, rules: {}, problems: [] });
  assert.match(JSON.stringify(hostsOnly.query), /"host","name"/);
  const native: Rule = { ...rule, view: 'native' };
  assert.equal(applyExceptions(native, ex), native);
});
