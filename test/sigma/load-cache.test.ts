/**
 * The Sigma load cache (src/sigma/load-cache.ts): a second identical load is served from the
 * cache with the same result; editing, adding or removing a rule file misses; the options are
 * part of the key; SPOOR_NO_RULE_CACHE=1 writes nothing; a corrupt entry is ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSigmaPaths } from '../../src/sigma/index.js';
import { readCached, writeCached } from '../../src/sigma/load-cache.js';

const rule = (id: string, value: string): string =>
  `title: t ${id}\nid: ${id}\nlogsource: {product: windows, category: process_creation}\ndetection:\n  sel: {CommandLine|contains: '${value}'}\n  condition: sel\n`;

test('load cache: hits give the same result, any change to the files or options misses', async () => {
  const root = mkdtempSync(join(tmpdir(), 'spoor-cache-test-'));
  const saved = { dir: process.env.SPOOR_CACHE_DIR, off: process.env.SPOOR_NO_RULE_CACHE };
  try {
    const rules = join(root, 'rules');
    const cache = join(root, 'cache');
    process.env.SPOOR_CACHE_DIR = cache;
    delete process.env.SPOOR_NO_RULE_CACHE;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(rules);
    writeFileSync(join(rules, 'a.yml'), rule('a', 'whoami'));
    writeFileSync(join(rules, 'b.yml'), 'title: broken\ndetection: [');
    const fresh = await loadSigmaPaths([rules], { cache: true });
    const entries = (): string[] => readdirSync(join(cache, 'sigma')).filter((n) => n.endsWith('.json'));
    assert.equal(entries().length, 1);
    const hit = await loadSigmaPaths([rules], { cache: true });
    assert.deepEqual(hit.problems, fresh.problems);
    assert.deepEqual(hit.documents, fresh.documents);
    assert.equal(hit.rules.length, 1);
    assert.deepEqual(JSON.parse(JSON.stringify(hit.rules, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))), JSON.parse(JSON.stringify(fresh.rules, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))));
    // bigint values (IR literals beyond 2^53) stay exact through the cache
    writeCached('bigint-check', { a: [1n << 64n, { v: 18446744073709551615n }], s: '$bigint' });
    assert.deepEqual(readCached('bigint-check'), { a: [1n << 64n, { v: 18446744073709551615n }], s: '$bigint' });
    unlinkSync(join(cache, 'sigma', 'bigint-check.json'));
    assert.equal(entries().length, 1, 'a hit writes nothing new');

    writeFileSync(join(rules, 'a.yml'), rule('a', 'net user'));
    const edited = await loadSigmaPaths([rules], { cache: true });
    assert.ok(JSON.stringify(edited.rules[0]!.query, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes('net user'), 'an edited file is read again');
    writeFileSync(join(rules, 'c.yml'), rule('c', 'x'));
    assert.equal((await loadSigmaPaths([rules], { cache: true })).rules.length, 2, 'an added file is seen');
    unlinkSync(join(rules, 'c.yml'));
    assert.equal((await loadSigmaPaths([rules], { cache: true })).rules.length, 1, 'a removed file is gone');
    const before = entries().length;
    await loadSigmaPaths([rules], { cache: true, placeholders: { x: ['y'] } });
    assert.equal(entries().length, before + 1, 'options are part of the key');

    // A corrupt entry is ignored (and rewritten).
    for (const n of entries()) writeFileSync(join(cache, 'sigma', n), '{not json');
    assert.equal((await loadSigmaPaths([rules], { cache: true })).rules.length, 1);

    process.env.SPOOR_NO_RULE_CACHE = '1';
    rmSync(cache, { recursive: true, force: true });
    await loadSigmaPaths([rules], { cache: true });
    assert.throws(() => readdirSync(join(cache, 'sigma')), 'SPOOR_NO_RULE_CACHE=1 writes nothing');
  } finally {
    if (saved.dir === undefined) delete process.env.SPOOR_CACHE_DIR;
    else process.env.SPOOR_CACHE_DIR = saved.dir;
    if (saved.off === undefined) delete process.env.SPOOR_NO_RULE_CACHE;
    else process.env.SPOOR_NO_RULE_CACHE = saved.off;
    rmSync(root, { recursive: true, force: true });
  }
});
