/**
 * Which flavours an Elastic Defend rule runs on by default (rules/flavour-fields.ts): Defend, plus
 * the Windows-log flavours when their normalization provides every field the rule requires.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEql } from '../../src/eql/index.js';
import { defaultFlavours, provided, requiredFields, windowsLogFields } from '../../src/rules/flavour-fields.js';
import { loadRulePack } from '../../src/rules/index.js';

const q = (text: string) => parseEql(text);

test('required fields: and = union, or = intersection, nothing from not / != / functions; join keys count', () => {
  assert.deepEqual(requiredFields(q('process where process.name : "a.exe" and not process.Ext.token.integrity_level_name == "system"')), ['process.name']);
  assert.deepEqual(requiredFields(q('file where file.extension : "exe" or file.Ext.header_bytes : "4d5a*"')), []);
  assert.deepEqual(requiredFields(q('file where (file.path : "x" and file.name == "a") or (file.path : "y")')), ['file.path']);
  assert.deepEqual(requiredFields(q('process where process.name != "a" and startsWith(process.executable, "C")')), []);
  assert.deepEqual(requiredFields(q('process where process.name == null')), []);
  assert.deepEqual(
    requiredFields(q('sequence by host.id [file where process.pid == 4] by file.path [process where true] by process.executable until [process where dll.name == "x"] by process.name')),
    ['file.path', 'host.id', 'process.executable', 'process.pid'],
    'until stages are not required',
  );
  assert.deepEqual(requiredFields(q('sequence by ?user.id [process where true] ![process where process.Ext.x == 1]')), [], 'optional keys and missing stages are not required');
});

test('Windows-log fields come from the mapping tables and the normalization code', () => {
  const f = windowsLogFields();
  for (const x of ['process.executable', 'process.pid', 'file.path', 'file.extension', 'host.os.type', 'host.id', 'event.type', 'process.name', 'file.hash.sha256', 'user.name'])
    assert.ok(provided(f, x), x);
  for (const x of ['process.Ext.token.integrity_level_name', 'dll.name', 'Effective_process.executable', 'file.Ext.header_bytes']) assert.ok(!provided(f, x), x);
});

test('a Defend rule runs on Windows logs only when every required field is provided', () => {
  const defend = ['elastic-defend'];
  assert.deepEqual(defaultFlavours(defend, q('process where process.name : "psexesvc.exe"')), ['elastic-defend', 'evtx', 'flat', 'winlogbeat']);
  assert.deepEqual(defaultFlavours(defend, q('process where process.Ext.token.integrity_level_name == "system"')), ['elastic-defend']);
  assert.deepEqual(defaultFlavours(defend, q('library where dll.name : "x.dll"')), ['elastic-defend']);
  assert.deepEqual(defaultFlavours(['ecs', 'unknown'], q('process where process.name : "a"')), ['ecs', 'unknown'], 'other indexes unchanged');
  assert.deepEqual(defaultFlavours(defend, q('any where event.code == "1"'), 'Effective_process.x'), ['elastic-defend'], 'the category field must be provided');
});

test('loader: flavours by default, index flavours with strictIndex, none with ignoreIndex', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-flav-'));
  try {
    const rule = (id: string, query: string): string =>
      `[metadata]\nmaturity = "production"\n[rule]\nname = "R${id}"\nrule_id = "${id}"\ntype = "eql"\nlanguage = "eql"\nseverity = "low"\nrisk_score = 21\nindex = ["logs-endpoint.events.process-*"]\nquery = '''\n${query}\n'''\n`;
    writeFileSync(join(dir, 'a.toml'), rule('a', 'process where process.name : "cmd.exe"'));
    writeFileSync(join(dir, 'b.toml'), rule('b', 'process where process.Ext.relative_file_creation_time < 60'));
    const by = (o: Parameters<typeof loadRulePack>[1]) => Object.fromEntries(loadRulePack([dir], { builtin: false, ...o }).rules.map((r) => [r.id, r.gate?.flavours]));
    assert.deepEqual(by({}), { a: ['elastic-defend', 'evtx', 'flat', 'winlogbeat'], b: ['elastic-defend'] });
    assert.deepEqual(by({ strictIndex: true }), { a: ['elastic-defend'], b: ['elastic-defend'] });
    assert.deepEqual(by({ ignoreIndex: true }), { a: undefined, b: undefined });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
