/**
 * `spoor rules check` reads everything a hunt can be given: Sigma rules, spoor's EQL rules (YAML
 * and plain `.eql`) and exceptions files, and names each mistake (a typo'd Sigma modifier with
 * the closest one, `id: 12`, an EQL syntax error, `paths: 42` in an exceptions file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { runCli } from './run-cli.js';

interface Row { status: string; kind: string; id?: string; source: string; reason?: string }

test('rules check: Sigma, EQL .yml and .eql rules and exceptions files, each mistake named', async () => {
  const dir = tempDir('spoor-rules-check-');
  mkdirSync(join(dir, 'eql'));
  const sigma = (id: string, field: string): string =>
    `title: ${id}\nid: ${id}\nlogsource:\n  product: windows\n  service: security\ndetection:\n  sel:\n    ${field}: x\n  condition: sel\n`;
  writeFileSync(join(dir, 'good-sigma.yml'), sigma('good-sigma', 'CommandLine|contains'));
  writeFileSync(join(dir, 'typo-sigma.yml'), sigma('typo-sigma', 'CommandLine|contians'));
  writeFileSync(join(dir, 'eql', 'numeric-id.yml'), 'id: 12\nname: n\nquery: process where true\n');
  writeFileSync(join(dir, 'eql', 'good.yml'), 'id: good-eql\nname: n\nquery: process where process.pid == 4\n');
  writeFileSync(join(dir, 'eql', 'good-plain.eql'), 'process where process.name : "psexesvc.exe"\n');
  writeFileSync(join(dir, 'eql', 'broken-plain.eql'), 'process where process.pid = 4\n');
  writeFileSync(join(dir, 'tuning.yml'), "hosts: ['build-*']\npaths: 42\n");
  writeFileSync(join(dir, 'good-tuning.yml'), "rules:\n  good-eql:\n    paths: ['C:\\\\Tools\\\\*']\n");
  const r = await runCli(['rules', 'check', dir, '-f', 'json']);
  assert.equal(r.code, 2, r.stderr);
  const rows = (JSON.parse(r.stdout) as { rules: Row[] }).rules;
  const of = (name: string): Row[] => rows.filter((x) => x.source.endsWith(name));
  assert.deepEqual(of('good-sigma.yml').map((x) => x.status), ['loaded']);
  assert.deepEqual(of('typo-sigma.yml').map((x) => [x.status, x.reason]), [
    ['error', "unknown modifier 'contians' in 'CommandLine|contians'; did you mean 'contains'?"],
  ]);
  assert.deepEqual(of('numeric-id.yml').map((x) => x.status), ['error']);
  assert.match(of('numeric-id.yml')[0]!.reason!, /1:5: id must be a string \(got number 12; quote it: '12'\)/);
  assert.deepEqual(of('good.yml').map((x) => [x.status, x.id]), [['loaded', 'good-eql']]);
  assert.deepEqual(of('good-plain.eql').map((x) => [x.status, x.id]), [['loaded', 'good-plain']]);
  assert.deepEqual(of('broken-plain.eql').map((x) => x.status), ['error']);
  assert.match(of('broken-plain.eql')[0]!.reason!, /'=' is not a comparison/);
  assert.deepEqual(of('/tuning.yml').map((x) => [x.status, x.kind]), [['error', 'exceptions']]);
  assert.match(of('/tuning.yml')[0]!.reason!, /tuning\.yml:2:8: paths: expected a string or a list of strings, got number 42/);
  assert.deepEqual(of('good-tuning.yml').map((x) => [x.status, x.kind]), [['loaded', 'exceptions']]);
});
