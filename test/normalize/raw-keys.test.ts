/** normalize/raw-keys.ts: what a Windows record's raw text says about its ECS view, derived from the tables. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRows } from '../../src/normalize/index.js';
import { TABLES } from '../../src/normalize/tables/index.js';

test('a row has its table constants and reads mapped fields through the table writers', () => {
  const [sysmon11] = rawRows('11');
  assert.ok(sysmon11);
  assert.deepEqual(sysmon11.categories, ['file']);
  assert.deepEqual(sysmon11.constants.get('event.type'), ['creation']);
  assert.deepEqual(sysmon11.constants.get('host.os.type'), ['windows']);
  const pid = sysmon11.sources('process.pid').find((s) => s.raw === 'ProcessId');
  assert.ok(pid);
  assert.equal(pid.read('4'), 4);
  assert.equal(pid.read('0x10'), 16);
  assert.equal(pid.read(4), 4);
  assert.equal(pid.read(''), undefined);
  assert.equal(sysmon11.sources('file.path')[0]?.read('\\??\\C:\\a.exe'), 'C:\\a.exe');
  assert.deepEqual(sysmon11.sources('no.such.field'), []);
  assert.equal(sysmon11.derived, false);
});

test('writes outside a target path are found by probing; derivations are flagged', () => {
  // 7045 ImagePath → image:service.executable also writes file.path and spoor.expanded_path.
  const [s7045] = rawRows('7045');
  assert.ok(s7045);
  const expanded = s7045.sources('spoor.expanded_path');
  assert.ok(expanded.some((s) => s.raw === 'ImagePath'));
  assert.equal(expanded.find((s) => s.raw === 'ImagePath')!.read('%SystemRoot%\\x.exe -k'), 'C:\\Windows\\x.exe');
  // User → user:user writes user.name and user.domain.
  const [s1] = rawRows('1').filter((r) => r.module === 'sysmon');
  assert.equal(s1!.sources('user.name').find((s) => s.raw === 'User')!.read('CORP\\ann'), 'ann');
  const [s5145] = rawRows('5145');
  assert.equal(s5145!.derived, true);
});

test('every table event id has a row per table that defines it, and unknown ids none', () => {
  for (const t of TABLES) for (const id of Object.keys(t.events)) assert.ok(rawRows(id).some((r) => r.module === t.module), `${t.module} ${id}`);
  assert.deepEqual(rawRows('999999'), []);
});
