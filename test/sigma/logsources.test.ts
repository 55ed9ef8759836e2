/** spoor's logsource table agrees with SigmaHQ's THOR map for every Windows entry that map has. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CATEGORY_VARIANTS, SERVICE_CHANNELS, resolveLogsource } from '../../src/sigma/logsources.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

interface ThorEntry {
  category?: string;
  product?: string;
  service?: string;
  conditions?: Record<string, unknown>;
  rewrite?: { product?: string; service?: string };
  sources?: string[];
  fieldmappings?: Record<string, string>;
}

test('every Windows entry of the THOR logsource map is in spoor’s table', (t) => {
  const path = sharedOrSkip(t, 'conformance', 'sigma', 'thor-logsource-map.yml');
  if (!path) return;
  const map = parse(readFileSync(path, 'utf8')) as { logsources: Record<string, ThorEntry> };
  let checked = 0;
  for (const [name, e] of Object.entries(map.logsources)) {
    const windows = e.product === 'windows' || e.rewrite?.product === 'windows';
    if (!windows) continue;
    if (e.service && e.sources) {
      const channels = e.sources.map((s) => s.replace(/^WinEventLog:/, ''));
      assert.deepEqual(SERVICE_CHANNELS[e.service], channels, `${name}: service ${e.service}`);
      checked++;
    }
    if (e.category && e.conditions) {
      const { EventID, ...others } = e.conditions;
      const ids = (Array.isArray(EventID) ? EventID : [EventID]).map(Number);
      const channels = SERVICE_CHANNELS[e.rewrite!.service!];
      const variants = CATEGORY_VARIANTS[e.category];
      assert.ok(variants, `${name}: category ${e.category} missing`);
      const v = variants.find(
        (x) =>
          JSON.stringify(x.channels) === JSON.stringify(channels) &&
          ids.every((id) => x.eventIds.includes(id)) &&
          JSON.stringify(x.conditions ?? {}) === JSON.stringify(others),
      );
      assert.ok(v, `${name}: no variant with channels ${channels} EventIDs ${ids} ${JSON.stringify(others)}`);
      assert.deepEqual(v.rename ?? {}, e.fieldmappings ?? {}, `${name}: field mappings`);
      checked++;
    }
  }
  console.log(`logsource entries checked against the THOR map: ${checked}`);
  assert.ok(checked >= 80);
});

test('gates: process_creation covers Sysmon 1 and Security 4688 with field renames', () => {
  const r = resolveLogsource({ category: 'process_creation', product: 'windows' });
  assert.equal(r.variants?.length, 2);
  const text = `title: t\nid: pc\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n`;
  const rule = loadSigmaText(text, 'x.yml').rules[0]!;
  assert.deepEqual(rule.gate, { eventIds: [1, 4688], channels: ['Microsoft-Windows-Sysmon/Operational', 'Security'] });
  const where = JSON.stringify(rule.query);
  assert.match(where, /"NewProcessName"/);
  // service narrows a category to that service's variant
  const sec = resolveLogsource({ category: 'process_creation', product: 'windows', service: 'security' });
  assert.deepEqual(sec.variants?.map((v) => v.eventIds), [[4688]]);
  // unknown category: loads without a gate, with a warning
  const fa = resolveLogsource({ category: 'file_access', product: 'windows' });
  assert.equal(fa.variants, null);
  assert.match(fa.warning!, /file_access/);
});

test('gates: EventIDs required by the detection tighten a service-only logsource', () => {
  const mk = (det: string): ReturnType<typeof loadSigmaText>['rules'][number] =>
    loadSigmaText(`title: t\nid: s\nlogsource:\n  product: windows\n  service: security\ndetection:\n${det}\n`, 'x.yml').rules[0]!;
  assert.deepEqual(mk('  sel:\n    EventID:\n      - 4624\n      - 4625\n    LogonType: 3\n  condition: sel').gate, {
    channels: ['Security'],
    eventIds: [4624, 4625],
  });
  assert.deepEqual(mk('  a:\n    EventID: 4624\n  b:\n    EventID: 4688\n  condition: a or b').gate?.eventIds, [4624, 4688]);
  // One branch without an EventID: no EventID gate (only the channel).
  assert.deepEqual(mk('  a:\n    EventID: 4624\n  b:\n    User: x\n  condition: a or b').gate, { channels: ['Security'] });
  assert.deepEqual(mk('  a:\n    EventID: 4624\n  condition: not a').gate, { channels: ['Security'] });
});
