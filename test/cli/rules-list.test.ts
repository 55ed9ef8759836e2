import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

interface Row {
  id: string;
  title: string;
  level: string;
  status: string;
  logsource: string;
  tags: string[];
  hunting?: boolean;
}

const SIGMA = `title: Whoami Run
id: 11111111-2222-3333-4444-555555555555
status: test
level: low
logsource:
    product: windows
    category: process_creation
tags:
    - attack.discovery
    - attack.t1033
detection:
    sel:
        Image|endswith: '\\\\whoami.exe'
    condition: sel
`;

test('rules list: the built-in pack and a Sigma dir, with level, status, logsource and tags; table and JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-rules-list-'));
  try {
    writeFileSync(join(dir, 'whoami.yml'), SIGMA);
    writeFileSync(join(dir, 'broken.yml'), 'title: broken\nlogsource: {product: windows}\ndetection: {condition: nope}\n');
    const [json, table, high, tagged, bad] = await Promise.all([
      runCli(['rules', 'list', '--sigma', dir, '-f', 'json']),
      runCli(['rules', 'list', '--sigma', dir]),
      runCli(['rules', 'list', '--sigma', dir, '-f', 'json', '--min-level', 'medium', '--status', 'stable']),
      runCli(['rules', 'list', '--sigma', dir, '-f', 'json', '--rule-tag', 'attack.t1033']),
      runCli(['rules', 'list', '--sigma', join(dir, 'missing')]),
    ]);
    assert.equal(json.code, 0, json.stderr);
    const rows = (JSON.parse(json.stdout) as { rules: Row[]; skipped: unknown[] }).rules;
    const sigma = rows.find((r) => r.id === '11111111-2222-3333-4444-555555555555');
    assert.deepEqual(sigma && { ...sigma, source: undefined }, { id: '11111111-2222-3333-4444-555555555555', title: 'Whoami Run', level: 'low', status: 'test', logsource: 'windows/process_creation', tags: ['attack.discovery', 'attack.t1033', 'TA0007'], language: 'sigma', source: undefined });
    const pack = rows.find((r) => r.id === 'file-share-remote-exec');
    assert.equal(pack?.status, 'stable');
    assert.ok(pack?.tags.includes('T1021.002'));
    assert.ok(rows.some((r) => r.hunting === true), 'hunting rules are listed, marked');
    assert.match(json.stderr, /could not be loaded/);

    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^LEVEL\s+STATUS\s+ID\s+TITLE\s+LOGSOURCE\s+TAGS$/);
    assert.equal(lines.length, rows.length + 1);
    assert.ok(lines.some((l) => /^low\s+test\s+11111111-2222-3333-4444-555555555555\s+Whoami Run\s+windows\/process_creation\s+attack\.discovery attack\.t1033/.test(l)));

    const highRows = (JSON.parse(high.stdout) as { rules: Row[] }).rules;
    assert.ok(highRows.length > 0 && highRows.every((r) => r.status === 'stable' && ['medium', 'high', 'critical'].includes(r.level)));
    assert.deepEqual((JSON.parse(tagged.stdout) as { rules: Row[] }).rules.map((r) => r.id), ['11111111-2222-3333-4444-555555555555']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--sigma .*missing: no such file or directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
