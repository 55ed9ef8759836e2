/**
 * GUID values in both spellings (issue 10 item 5): Windows XML and rules write `{0CCE9210-…}`,
 * evtx_dump and spoor's native view `0CCE9210-…`; a whole-value comparison matches either way, in
 * any case. "Windows Event Auditing Disabled" (SigmaHQ) filters sub-categories by braced GUID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSigmaPaths, loadSigmaText } from '../../src/sigma/index.js';
import { compileQuery } from '../../src/engine/index.js';
import { toNative } from '../../src/normalize/index.js';
import type { Event } from '../../src/events/field.js';
import { sharedOrSkip } from '../helpers/shared.js';

function run(yaml: string, events: Event[]): number {
  const r = loadSigmaText(yaml, 'inline.yml');
  assert.deepEqual(r.problems, []);
  const q = compileQuery(r.rules[0]!.query);
  let n = 0;
  for (const ev of events) {
    q.push(ev);
    n += q.drain().length;
  }
  return n;
}

const rule = (value: string, mod = ''): string => `title: t
id: 00000000-0000-0000-0000-000000000002
logsource: {product: windows, service: security}
detection:
  sel: {SubcategoryGuid${mod}: '${value}'}
  condition: sel
level: low
`;

/** A 4719 as spoor's EVTX reader yields it (real record of ../shared's attack samples, DC1.insecurebank.local). */
function audit4719(guid: string, changes: string): Event {
  return {
    Event: {
      System: {
        Provider: { '#attributes': { Name: 'Microsoft-Windows-Security-Auditing', Guid: '54849625-5478-4994-A5BA-3E3B0328C30D' } },
        EventID: 4719,
        TimeCreated: { '#attributes': { SystemTime: '2019-03-25T10:36:03.9746084Z' } },
        EventRecordID: 198238054,
        Channel: 'Security',
        Computer: 'DC1.insecurebank.local',
      },
      EventData: {
        SubjectUserSid: 'S-1-5-18',
        SubjectUserName: 'DC1$',
        SubjectDomainName: 'insecurebank',
        SubjectLogonId: '0x3e7',
        CategoryId: '%%8273',
        SubcategoryId: '%%12544',
        SubcategoryGuid: guid,
        AuditPolicyChanges: changes,
      },
    },
  };
}

test('a GUID value matches with or without braces, in any case', () => {
  const bare = toNative(audit4719('0CCE9215-69AE-11D9-BED3-505054503030', '%%8448'));
  const braced = { ...bare, SubcategoryGuid: '{0cce9215-69ae-11d9-bed3-505054503030}' };
  for (const value of ['{0CCE9215-69AE-11D9-BED3-505054503030}', '0CCE9215-69AE-11D9-BED3-505054503030', '{0cce9215-69ae-11d9-bed3-505054503030}']) {
    assert.equal(run(rule(value), [bare]), 1, `${value} vs bare`);
    assert.equal(run(rule(value), [braced]), 1, `${value} vs braced`);
  }
  assert.equal(run(rule('{0CCE9216-69AE-11D9-BED3-505054503030}'), [bare]), 0);
  // A GUID inside a pattern is left as written: contains '{…}' does not find the bare text.
  assert.equal(run(rule('{0CCE9215-69AE-11D9-BED3-505054503030}', '|contains'), [bare]), 0);
  // cased: exact case still required, braces still optional
  assert.equal(run(rule('{0CCE9215-69AE-11D9-BED3-505054503030}', '|cased'), [bare]), 1);
  assert.equal(run(rule('{0cce9215-69ae-11d9-bed3-505054503030}', '|cased'), [bare]), 0);
});

test('SigmaHQ "Windows Event Auditing Disabled": its braced GUID filter applies to the native view', async (t) => {
  const dir = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows', 'builtin', 'security');
  if (!dir) return;
  const loaded = await loadSigmaPaths([`${dir}/win_security_disable_event_auditing.yml`, `${dir}/win_security_disable_event_auditing_critical.yml`]);
  assert.deepEqual(loaded.problems, []);
  const count = (ev: Event): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of loaded.rules) {
      const q = compileQuery(r.query);
      q.push(toNative(ev));
      out[r.name] = q.drain().length;
    }
    return out;
  };
  // Audit Logon success removed: the critical rule's selection, and filtered out of the general one.
  const logon = count(audit4719('0CCE9215-69AE-11D9-BED3-505054503030', '%%8448'));
  assert.deepEqual(Object.values(logon).sort(), [0, 1]);
  const critical = loaded.rules.find((r) => r.source.includes('critical'))!;
  assert.equal(logon[critical.name], 1, 'critical sub-category removed');
  // A sub-category not in the filter list: the general rule fires, the critical one does not.
  const other = count(audit4719('0CCE9227-69AE-11D9-BED3-505054503030', '%%8448'));
  assert.equal(other[critical.name], 0);
  assert.equal(Object.values(other).reduce((a, b) => a + b, 0), 1);
});
