/**
 * The Elastic TOML load cache (src/rules/load-cache.ts): a cached load gives exactly the rules and
 * problems of a fresh one (the pack's options still apply after it: building blocks, exclusions);
 * an edited, added or removed file misses; SPOOR_NO_RULE_CACHE=1 writes nothing; a corrupt entry
 * is ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRulePack } from '../../src/rules/index.js';

const RULE = (id: string, query: string, extra = '') => `
[metadata]
creation_date = "2020/11/03"
maturity = "production"

[rule]
author = ["Elastic"]
description = "A test rule."
index = ["logs-endpoint.events.process-*", "winlogbeat-*"]
language = "eql"
license = "Elastic License v2"
name = "Rule ${id}"
risk_score = 73
rule_id = "${id}"
severity = "high"
tags = ["OS: Windows"]
type = "eql"
${extra}
query = '''
${query}
'''
`;

test('TOML load cache: a hit gives the fresh load exactly; changes miss; off writes nothing; corrupt is ignored', () => {
  const root = mkdtempSync(join(tmpdir(), 'spoor-toml-cache-'));
  const saved = { dir: process.env.SPOOR_CACHE_DIR, off: process.env.SPOOR_NO_RULE_CACHE };
  try {
    const rules = join(root, 'rules');
    const cache = join(root, 'cache');
    process.env.SPOOR_CACHE_DIR = cache;
    delete process.env.SPOOR_NO_RULE_CACHE;
    mkdirSync(rules);
    writeFileSync(join(rules, 'a.toml'), RULE('00000000-0000-0000-0000-00000000000a', 'process where process.name == "a.exe" and process.pid == 4'));
    writeFileSync(join(rules, 'b.toml'), RULE('00000000-0000-0000-0000-00000000000b', 'sequence by host.id [process where true] [file where file.size > 9007199254740993]', 'building_block_type = "default"'));
    writeFileSync(join(rules, 'c.toml'), RULE('00000000-0000-0000-0000-00000000000c', 'process where process.name = ')); // does not parse
    const opts = { builtin: false, buildingBlocks: true };
    const fresh = loadRulePack([rules], opts);
    assert.equal(fresh.rules.length, 2);
    assert.equal(fresh.problems.length, 1);
    const first = loadRulePack([rules], { ...opts, cache: true });
    const entries = (): string[] => readdirSync(join(cache, 'toml')).filter((n) => n.endsWith('.bin'));
    assert.equal(entries().length, 1, 'a miss writes one entry');
    const hit = loadRulePack([rules], { ...opts, cache: true });
    assert.deepEqual(first, fresh);
    assert.deepEqual(hit, fresh, 'a hit gives the fresh load (bigint literal included)');
    // the options apply after the cache: building blocks hidden, an exclusion, from the same entry
    const hidden = loadRulePack([rules], { builtin: false, cache: true, excludeRules: ['00000000-0000-0000-0000-00000000000a'] });
    assert.deepEqual(hidden, loadRulePack([rules], { builtin: false, excludeRules: ['00000000-0000-0000-0000-00000000000a'] }));
    assert.equal(entries().length, 1);
    // a hit's rules are the caller's: changing them does not change the next hit
    (hit.rules[0] as { name: string }).name = 'changed';
    assert.deepEqual(loadRulePack([rules], { ...opts, cache: true }), fresh);
    // edits, additions and removals miss
    writeFileSync(join(rules, 'a.toml'), RULE('00000000-0000-0000-0000-00000000000a', 'process where process.name == "z.exe"'));
    const edited = loadRulePack([rules], { ...opts, cache: true });
    assert.deepEqual(edited, loadRulePack([rules], opts));
    assert.notDeepEqual(edited, fresh);
    writeFileSync(join(rules, 'd.toml'), RULE('00000000-0000-0000-0000-00000000000d', 'file where true'));
    assert.equal(loadRulePack([rules], { ...opts, cache: true }).rules.length, 3);
    unlinkSync(join(rules, 'd.toml'));
    assert.equal(loadRulePack([rules], { ...opts, cache: true }).rules.length, 2);
    // a corrupt entry: loaded from the files
    for (const n of entries()) writeFileSync(join(cache, 'toml', n), 'not v8');
    assert.deepEqual(loadRulePack([rules], { ...opts, cache: true }), loadRulePack([rules], opts));
    // off: nothing written
    rmSync(cache, { recursive: true, force: true });
    process.env.SPOOR_NO_RULE_CACHE = '1';
    loadRulePack([rules], { ...opts, cache: true });
    assert.throws(() => readdirSync(join(cache, 'toml')));
  } finally {
    if (saved.dir === undefined) delete process.env.SPOOR_CACHE_DIR;
    else process.env.SPOOR_CACHE_DIR = saved.dir;
    if (saved.off === undefined) delete process.env.SPOOR_NO_RULE_CACHE;
    else process.env.SPOOR_NO_RULE_CACHE = saved.off;
    rmSync(root, { recursive: true, force: true });
  }
});
