/** The small conversions normalization relies on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAccessList } from '../../src/normalize/access.js';
import {
  executableOf,
  expandWindowsEnv,
  joinWindowsPath,
  parseHashes,
  splitCommandLine,
  splitUser,
  splitWindowsPath,
  stripNtPrefix,
  toInt,
} from '../../src/normalize/util.js';
import { compileTarget } from '../../src/normalize/convert.js';
import { TABLES, compiledSpec } from '../../src/normalize/tables/index.js';

test('command lines split like CommandLineToArgvW', () => {
  assert.deepEqual(splitCommandLine('"C:\\Program Files\\a.exe" -x  "y z"'), ['C:\\Program Files\\a.exe', '-x', 'y z']);
  assert.deepEqual(splitCommandLine('a\\\\\\"b c'), ['a\\"b', 'c']);
  assert.deepEqual(splitCommandLine('a\\\\"b c"'), ['a\\b c']);
  assert.deepEqual(splitCommandLine('a\\b\\c d'), ['a\\b\\c', 'd']);
  assert.deepEqual(splitCommandLine('"a""b" c'), ['a"b', 'c']);
  assert.deepEqual(splitCommandLine('   '), []);
  assert.deepEqual(splitCommandLine('"C:\\Windows\\system32\\notepad.exe" '), ['C:\\Windows\\system32\\notepad.exe']);
});

test('paths: names, lower-case extensions, NT prefixes, joins, environment expansion', () => {
  assert.deepEqual(splitWindowsPath('C:\\Windows\\PSEXESVC.EXE'), { name: 'PSEXESVC.EXE', directory: 'C:\\Windows', extension: 'exe' });
  assert.deepEqual(splitWindowsPath('System'), { name: 'System' });
  assert.deepEqual(splitWindowsPath('C:\\x\\.hidden'), { name: '.hidden', directory: 'C:\\x' });
  assert.equal(stripNtPrefix('\\??\\C:\\Windows'), 'C:\\Windows');
  assert.equal(joinWindowsPath('C:\\Windows\\', '\\PSEXESVC.exe'), 'C:\\Windows\\PSEXESVC.exe');
  assert.equal(joinWindowsPath('C:\\', '\\'), 'C:\\');
  assert.equal(joinWindowsPath('C:', 'a.exe'), 'C:\\a.exe');
  assert.equal(expandWindowsEnv('%SYSTEMROOT%\\x.exe'), 'C:\\Windows\\x.exe');
  assert.equal(expandWindowsEnv('%windir%\\system32\\y.exe'), 'C:\\Windows\\system32\\y.exe');
  assert.equal(executableOf('"C:\\Program Files\\s v c.exe" -k x'), 'C:\\Program Files\\s v c.exe');
  assert.equal(executableOf('C:\\Windows\\svc.exe -k netsvcs'), 'C:\\Windows\\svc.exe');
  assert.equal(executableOf('cmd.exe /c echo x'), 'cmd.exe');
});

test('values: hashes, users, hex and decimal integers, access lists', () => {
  assert.deepEqual(parseHashes('SHA1=AB,MD5=CD,IMPHASH=00000000'), { sha1: 'ab', md5: 'cd' });
  assert.deepEqual(splitUser('NT AUTHORITY\\SYSTEM'), { domain: 'NT AUTHORITY', name: 'SYSTEM' });
  assert.deepEqual(splitUser('alice'), { name: 'alice' });
  assert.equal(toInt('0xea0'), 3744);
  assert.equal(toInt('4320'), 4320);
  assert.equal(toInt(4), 4);
  assert.equal(toInt('x'), undefined);
  assert.deepEqual(decodeAccessList('%%4416\r\n\t\t\t\t%%4417\r\n\t\t\t\t%%9999'), [
    'ReadData (or ListDirectory)',
    'WriteData (or AddFile)',
    '%%9999',
  ]);
});

test('every table target compiles and every event id spec is well formed', () => {
  assert.throws(() => compileTarget('nope:process.pid'), /unknown conversion/);
  for (const table of TABLES) {
    for (const id of Object.keys(table.events)) {
      const c = compiledSpec(table, id);
      assert.ok(c.spec, `${table.module} ${id}`);
      assert.ok(c.fields.size > 0);
    }
  }
});

test('registry Details typed as Elastic does; DWORD/QWORD read back to Sysmon text for the native view', async () => {
  const { registryData } = await import('../../src/normalize/derive.js');
  const { toEcs, toNative } = await import('../../src/normalize/index.js');
  assert.deepEqual(registryData('DWORD (0x00000010)'), { type: 'SZ_DWORD', value: '16' });
  assert.deepEqual(registryData('QWORD (0x00000001-0x00000002)'), { type: 'SZ_QWORD', value: String(2 ** 32 + 2) });
  assert.deepEqual(registryData('Binary Data'), { type: 'REG_BINARY', value: 'Binary Data' });
  assert.deepEqual(registryData('C:\\x.exe'), { type: 'REG_SZ', value: 'C:\\x.exe' });
  const defend = {
    event: { category: ['registry'], type: ['change'], module: 'endpoint' },
    registry: { path: 'HKLM\\SOFTWARE\\x\\Start', data: { strings: ['4'], type: 'SZ_DWORD' } },
    host: { id: 'h' },
  };
  const n = toNative(defend);
  assert.equal(n['EventID'], 13);
  assert.equal(n['Details'], 'DWORD (0x00000004)');
  assert.equal(n['TargetObject'], 'HKLM\\SOFTWARE\\x\\Start');
  const sysmon = {
    Event: {
      System: { EventID: 13, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'c' },
      EventData: { EventType: 'SetValue', TargetObject: 'HKLM\\System\\CurrentControlSet\\Services\\x\\Start', Details: 'DWORD (0x00000002)' },
    },
  };
  const ecs = toEcs(sysmon) as Record<string, any>;
  assert.equal(ecs['registry'].hive, 'HKLM');
  assert.equal(ecs['registry'].key, 'System\\CurrentControlSet\\Services\\x\\Start');
  assert.equal(ecs['registry'].value, 'Start');
  assert.deepEqual(ecs['registry'].data, { strings: ['2'], type: 'SZ_DWORD' });
  assert.equal(toNative(sysmon)['Details'], 'DWORD (0x00000002)', 'native keeps the logged text');
});

test('Sysmon 22 QueryResults → dns.answers and dns.resolved_ip', async () => {
  const { toEcs } = await import('../../src/normalize/index.js');
  const ev = {
    Event: {
      System: { EventID: 22, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'c' },
      EventData: { QueryName: 'x.example', QueryStatus: '0', QueryResults: 'type:  5 edge.example;::ffff:151.101.66.2;2001:db8::1;' },
    },
  };
  const ecs = toEcs(ev) as Record<string, any>;
  assert.equal(ecs['dns'].question.name, 'x.example');
  assert.deepEqual(ecs['dns'].resolved_ip, ['151.101.66.2', '2001:db8::1']);
  assert.deepEqual(ecs['dns'].answers, [
    { type: 'CNAME', data: 'edge.example' },
    { type: 'A', data: '151.101.66.2' },
    { type: 'AAAA', data: '2001:db8::1' },
  ]);
  assert.equal(ecs['sysmon'].dns.status, '0');
});
