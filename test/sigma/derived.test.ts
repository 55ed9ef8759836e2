/**
 * Rule.derived (sigma/derived.ts): what a cached Sigma load carries for the hunt — the
 * multi-rule matcher's necessary clauses and the telemetry needs — equals what deriving them
 * from the cached rule's IR gives, so a hunt from the cache selects and counts exactly as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rule } from '../../src/ir/types.js';
import { loadSigmaPaths } from '../../src/sigma/index.js';
import { derivedClauses } from '../../src/sigma/derived.js';
import { KEYWORD_PATH, necessaryClauses, type Clause } from '../../src/engine/multi-match/necessary.js';
import { telemetryNeeds } from '../../src/ir/analyze.js';
import { MultiMatcher } from '../../src/engine/multi-match/index.js';
import { sharedOrSkip } from '../helpers/shared.js';

const canonical = (cs: Clause[]): string[][] => cs.map((c) => c.map((a) => `${a.path === KEYWORD_PATH ? '<keywords>' : JSON.stringify(a.path)} ${a.kind} ${a.text}`));
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)));

test('derived clauses and telemetry needs of a cached load equal deriving them again', async (t) => {
  const windows = sharedOrSkip(t, 'conformance', 'sigma', 'rules', 'windows');
  if (!windows) return;
  // builtin (Security/System/… and the unkeyed keyword rule Mimikatz Use), powershell, registry: ~780 rules
  const dirs = ['builtin', 'powershell', 'registry'].map((d) => join(windows, d));
  const cache = mkdtempSync(join(tmpdir(), 'spoor-derived-test-'));
  const saved = { dir: process.env.SPOOR_CACHE_DIR, off: process.env.SPOOR_NO_RULE_CACHE };
  try {
    process.env.SPOOR_CACHE_DIR = cache;
    delete process.env.SPOOR_NO_RULE_CACHE;
    const fresh = await loadSigmaPaths(dirs, { cache: true });
    const hit = await loadSigmaPaths(dirs, { cache: true });
    assert.ok(hit.rules.length > 700, `${hit.rules.length} rules`);
    let keywordAtoms = 0;
    let clauses = 0;
    const native: Rule[] = [];
    for (const [i, rule] of hit.rules.entries()) {
      assert.ok(rule.derived, `${rule.id}: no derived facts in the cached load`);
      assert.deepEqual(plain(rule.derived), plain(fresh.rules[i]!.derived));
      const bare: Rule = { ...rule, derived: undefined };
      assert.deepEqual(plain(telemetryNeeds(rule)), plain(telemetryNeeds(bare)), `${rule.id}: telemetry needs`);
      if (rule.query.kind !== 'event' || rule.view !== 'native') continue;
      native.push(rule);
      const kept = derivedClauses(rule)!;
      assert.deepEqual(canonical(kept), canonical(necessaryClauses(rule.query.query.where)), `${rule.id}: necessary clauses`);
      for (const c of kept) for (const a of c) if (a.path === KEYWORD_PATH) keywordAtoms++;
      clauses += kept.length;
    }
    assert.ok(keywordAtoms > 0, 'keyword atoms keep the keyword path');
    assert.ok(clauses > 1000, `${clauses} clauses`);
    // The matcher built from kept clauses is the matcher built from the conditions.
    const input = (r: Rule, kept: boolean) => ({ where: (r.query as Extract<Rule['query'], { kind: 'event' }>).query.where, keys: r.gate?.eventIds ?? null, channels: r.gate?.channels ?? null, clauses: kept ? derivedClauses(r) : undefined });
    const a = new MultiMatcher(native.map((r) => input(r, true)));
    const b = new MultiMatcher(native.map((r) => input(r, false)));
    assert.deepEqual(a.stats, b.stats);
    const events = [
      { EventID: 4625, Channel: 'Security', IpAddress: '8.8.8.8', TargetUserName: 'admin' },
      { EventID: 4104, Channel: 'Microsoft-Windows-PowerShell/Operational', ScriptBlockText: 'Invoke-Mimikatz -DumpCreds; sekurlsa::logonpasswords' },
      { EventID: 13, Channel: 'Microsoft-Windows-Sysmon/Operational', TargetObject: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x', Details: 'C:\\Users\\Public\\a.exe' },
      { EventID: 7045, Channel: 'System', ImagePath: 'cmd /c echo x > \\\\.\\pipe\\y', ServiceName: 'PSEXESVC' },
    ];
    let selected = 0;
    for (const ev of events) {
      const x = [...a.select(ev, ev.EventID, ev.Channel)];
      assert.deepEqual(x, [...b.select(ev, ev.EventID, ev.Channel)]);
      selected += x.length;
    }
    assert.ok(selected > 0);
  } finally {
    if (saved.dir === undefined) delete process.env.SPOOR_CACHE_DIR;
    else process.env.SPOOR_CACHE_DIR = saved.dir;
    if (saved.off !== undefined) process.env.SPOOR_NO_RULE_CACHE = saved.off;
    rmSync(cache, { recursive: true, force: true });
  }
});
