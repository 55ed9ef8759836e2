/**
 * Unnamed EventData `<Data>` items (issue 10 item 4): Sigma's `Data|contains: …` tests every value
 * and the values joined into one text; a filter on `Data` reads it too (negated conditions keep
 * Sigma's meaning: `not filter` is true only when no value matches). Real records: MSSQL 18456 /
 * 15457 / 15281, ESENT 325–327, MSI 1040/1042 from ../shared's attack samples, with SigmaHQ's rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSigmaPaths, loadSigmaText } from '../../src/sigma/index.js';
import { compileQuery } from '../../src/engine/index.js';
import { readEvtxFile } from '../../src/sources/evtx/index.js';
import { toNative } from '../../src/normalize/index.js';
import type { Event } from '../../src/events/field.js';
import { sharedOrSkip } from '../helpers/shared.js';

async function nativeEvents(path: string): Promise<Event[]> {
  const out: Event[] = [];
  for await (const batch of readEvtxFile(path, () => {})) for (const se of batch) out.push(toNative(se.event));
  return out;
}

/** How many events of `events` the rule matches (single-event rules). */
function matches(ruleYaml: string, events: Event[]): number {
  const r = loadSigmaText(ruleYaml, 'inline.yml');
  assert.deepEqual(r.problems, []);
  const q = compileQuery(r.rules[0]!.query);
  let n = 0;
  for (const ev of events) {
    q.push(ev);
    n += q.drain().length;
  }
  return n;
}

const rule = (detection: string): string => `title: t
id: 00000000-0000-0000-0000-000000000001
logsource: {product: windows, service: application}
detection:
${detection}
level: low
`;

/** A native view of an evtx_dump-shaped record with unnamed Data items. */
function unnamed(values: unknown[], extra: Record<string, unknown> = {}): Event {
  return toNative({
    Event: {
      System: { EventID: 18456, Channel: 'Application', Provider: { '#attributes': { Name: 'MSSQLSERVER' } }, Computer: 'sql01' },
      EventData: { Data: { '#text': values.length === 1 ? values[0] : values }, ...extra },
    },
  });
}

test('Data: any value matches, the joined values match, and a negated filter sees every value', () => {
  const ev = unnamed(['sa', ' Reason: Password did not match that for the login provided.', ' [CLIENT: 10.0.2.17]']);
  assert.ok(Array.isArray(ev['Data']), 'native Data is the list of values');
  assert.equal(JSON.stringify(ev['Data']), JSON.stringify(['sa', ' Reason: Password did not match that for the login provided.', ' [CLIENT: 10.0.2.17]']));
  // one value
  assert.equal(matches(rule(`  sel: {Data|contains: 'CLIENT: 10.'}\n  condition: sel`), [ev]), 1);
  assert.equal(matches(rule(`  sel: {Data: 'sa'}\n  condition: sel`), [ev]), 1);
  // across values: the joined text
  assert.equal(matches(rule(`  sel: {Data|contains: 'provided.  [CLIENT'}\n  condition: sel`), [ev]), 1);
  assert.equal(matches(rule(`  sel: {Data|contains|all: ['sa', 'CLIENT: 10.']}\n  condition: sel`), [ev]), 1);
  // no value and not the whole
  assert.equal(matches(rule(`  sel: {Data|contains: 'CLIENT: 192.'}\n  condition: sel`), [ev]), 0);
  // negation: the filter matches one of the values, so `not filter` is false
  assert.equal(matches(rule(`  sel: {EventID: 18456}\n  filter: {Data|contains: 'CLIENT: 10.'}\n  condition: sel and not filter`), [ev]), 0);
  assert.equal(matches(rule(`  sel: {EventID: 18456}\n  filter: {Data|contains: 'CLIENT: 192.'}\n  condition: sel and not filter`), [ev]), 1);
  // neq: present and none of the values (nor the whole) equal it
  assert.equal(matches(rule(`  sel: {Data|neq: 'sa'}\n  condition: sel`), [ev]), 0);
  assert.equal(matches(rule(`  sel: {Data|neq: 'root'}\n  condition: sel`), [ev]), 1);
  // a single unnamed value is a plain value
  assert.equal(unnamed(['only'])['Data'], 'only');
  // regex over the values
  assert.equal(matches(rule(`  sel: {Data|re: '^sa$'}\n  condition: sel`), [ev]), 1);
});

test('repeated element names (Name, Name_1, …) are one multi-valued field', () => {
  const ev = toNative({
    Event: {
      System: { EventID: 1, Channel: 'Application', Provider: { '#attributes': { Name: 'X' } } },
      EventData: { Module: 'a.dll', Module_1: 'b.dll', Module_2: 'evil.dll', Other: 'x' },
    },
  });
  assert.deepEqual(ev['Module'], ['a.dll', 'b.dll', 'evil.dll']);
  assert.equal(ev['Module_2'], 'evil.dll');
  assert.equal(matches(rule(`  sel: {Module|endswith: 'evil.dll'}\n  condition: sel`), [ev]), 1);
  assert.equal(matches(rule(`  sel: {EventID: 1}\n  filter: {Module: 'evil.dll'}\n  condition: sel and not filter`), [ev]), 0);
});

/** SigmaHQ rules on the real records that carry unnamed Data, and how many events each must match. */
const CASES: { rule: string; file: string; expected: number }[] = [
  { rule: 'builtin/application/mssqlserver/win_mssql_xp_cmdshell_change.yml', file: 'Defense Evasion/DE_xp_cmdshell_enabled_MSSQL_EID_15457.evtx', expected: 2 },
  { rule: 'builtin/application/mssqlserver/win_mssql_xp_cmdshell_audit_log.yml', file: 'Lateral Movement/LM_xp_cmdshell_MSSQL_Events.evtx', expected: 1 },
  { rule: 'builtin/application/esent/win_esent_ntdsutil_abuse.yml', file: 'Credential Access/dc_applog_ntdsutil_dfir_325_326_327.evtx', expected: 4 },
  { rule: 'builtin/application/esent/win_esent_ntdsutil_abuse_susp_location.yml', file: 'Credential Access/dc_applog_ntdsutil_dfir_325_326_327.evtx', expected: 1 },
  { rule: 'builtin/application/msiinstaller/win_msi_install_from_web.yml', file: 'Execution/rogue_msi_url_1040_1042.evtx', expected: 2 },
  // The false positive: every failed logon in this file comes from a private address (CLIENT: 10.0.2.17),
  // which the rule's filter excludes once it can read Data.
  { rule: 'builtin/application/mssqlserver/win_mssql_failed_logon_from_external_network.yml', file: 'Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx', expected: 0 },
];

for (const c of CASES) {
  test(`SigmaHQ ${c.rule.split('/').pop()} on ${c.file.split('/').pop()}: ${c.expected} matches`, async (t) => {
    const rulePath = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows', c.rule);
    const file = sharedOrSkip(t, 'datasets', 'evtx-attack-samples', c.file);
    if (!rulePath || !file) return;
    const loaded = await loadSigmaPaths([rulePath]);
    assert.deepEqual(loaded.problems, []);
    const q = compileQuery(loaded.rules[0]!.query);
    let n = 0;
    const events = await nativeEvents(file);
    for (const ev of events) {
      q.push(ev);
      n += q.drain().length;
    }
    assert.equal(n, c.expected);
  });
}

test('MSI 1040 from a suspicious location (deepbluecli many-events-application): found', async (t) => {
  const rulePath = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows', 'builtin/application/msiinstaller/win_msi_install_from_susp_locations.yml');
  const file = sharedOrSkip(t, 'datasets', 'deepbluecli', 'many-events-application.evtx');
  if (!rulePath || !file) return;
  const loaded = await loadSigmaPaths([rulePath]);
  const q = compileQuery(loaded.rules[0]!.query);
  const hits: Event[] = [];
  for (const ev of await nativeEvents(file)) {
    q.push(ev);
    for (const m of q.drain()) hits.push(m.events[0]!);
  }
  assert.ok(hits.length >= 1, 'at least one MSI install from a suspicious path');
  for (const h of hits) assert.ok((h['Data'] as string[]).some((v) => /\\Users\\Public\\|\\Desktop\\|:\\Windows\\TEMP\\|\\PerfLogs\\|\\\\\\\\/i.test(String(v))));
});

test('the raw (evtx_dump-shaped) record keeps Data as {"#text": [...]}', async (t) => {
  const file = sharedOrSkip(t, 'datasets', 'evtx-attack-samples', 'Credential Access/MSSQL_multiple_failed_logon_EventID_18456.evtx');
  if (!file) return;
  for await (const batch of readEvtxFile(file, () => {})) {
    const raw = batch[0]!.event as { Event: { EventData: { Data: unknown } } };
    assert.deepEqual(raw.Event.EventData.Data, { '#text': ['sa', ' Reason: Password did not match that for the login provided.', ' [CLIENT: 10.0.2.17]'] });
    break;
  }
});
