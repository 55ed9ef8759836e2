/** `spoor rules check`: statuses, reasons and exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRows, eqlRows, rulesCheck, summarize } from '../../src/cli/rules.js';
import { loadSigmaPaths } from '../../src/sigma/index.js';
import { repoRoot } from '../helpers/shared.js';

const rule = (id: string, detection: string): string =>
  `title: Rule ${id}\nid: ${id}\nlogsource:\n  product: windows\n  service: security\ndetection:\n${detection}\n`;

test('rules check: loaded, unsupported and error rows with reasons; exit 0 / 1 / 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-rules-'));
  const quiet = { format: 'json', problemsOnly: true };
  const original = process.stdout.write.bind(process.stdout);
  try {
    writeFileSync(join(dir, 'ok.yml'), rule('ok', '  sel:\n    EventID: 4624\n  condition: sel'));
    process.stdout.write = (() => true) as typeof process.stdout.write;
    assert.equal(await rulesCheck([dir], quiet), 0);
    writeFileSync(join(dir, 'unsup.yml'), rule('unsup', '  sel:\n    A: x\n  condition: sel | count() > 5'));
    assert.equal(await rulesCheck([dir], quiet), 1);
    writeFileSync(join(dir, 'bad.yml'), rule('bad', '  sel:\n    A: x\n  condition: sel and and'));
    assert.equal(await rulesCheck([dir], quiet), 2);
    process.stdout.write = original;

    const loaded = await loadSigmaPaths([dir]);
    const rows = checkRows(loaded.documents ?? [], loaded.rules);
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.equal(byId.get('ok')?.status, 'loaded');
    assert.equal(byId.get('unsup')?.status, 'unsupported');
    assert.match(byId.get('unsup')!.reason!, /legacy aggregation/);
    assert.equal(byId.get('bad')?.status, 'error');
    assert.deepEqual(summarize(rows), { documents: 3, loaded: 1, embedded: 0, filters: 0, unsupported: 1, errors: 1, warnings: 0 });
  } finally {
    process.stdout.write = original;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rules check on the shipped Sigma rules: all load (correlation + embedded base rules)', async () => {
  const loaded = await loadSigmaPaths([join(repoRoot, 'rules', 'sigma')]);
  const s = summarize(checkRows(loaded.documents ?? [], loaded.rules));
  assert.equal(s.errors + s.unsupported, 0);
  assert.equal(s.loaded, 1);
  assert.equal(s.embedded, 2);
});

test('rules check on the whole rules/ directory: Sigma and spoor EQL rules, lists/ skipped', async () => {
  const loaded = await loadSigmaPaths([join(repoRoot, 'rules')], { skipNonSigma: true });
  const rows = [...checkRows(loaded.documents ?? [], loaded.rules), ...eqlRows(loaded.otherFiles ?? [])];
  assert.ok(rows.length >= 4);
  assert.deepEqual(rows.filter((r) => r.status === 'error' || r.status === 'unsupported'), []);
  assert.ok(rows.some((r) => r.id === 'file-share-remote-exec' && r.status === 'loaded'));
  assert.ok(!rows.some((r) => r.source.includes('lists')));
});
