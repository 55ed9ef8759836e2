import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '../../src/ir/types.js';
import type { Alert } from '../../src/alert/types.js';
import { buildAlert } from '../../src/alert/build.js';
import { WriterContext } from '../../src/alert/writer-context.js';
import { orderAlerts, compareAlerts } from '../../src/alert/order.js';

const rule: Rule = {
  id: 'file-share-remote-exec', name: 'Remote Execution via File Shares', source: 'rules/x.yml', language: 'eql', view: 'ecs',
  severity: 'medium', riskScore: 47, mitre: ['T1021.002'],
  query: { kind: 'event', query: { category: null, where: { kind: 'literal', value: true } }, pipes: [] },
};

// The ground-truth pair (P1) as the ECS view shows it, with the Sysmon 1 user and a 100 ns fraction.
const write = {
  '@timestamp': '2020-08-27T11:40:56.3965432Z',
  event: { category: ['file'], type: ['creation'], code: '11' },
  file: { path: 'C:\\Windows\\PSEXESVC.exe', extension: 'exe' },
  process: { pid: 4, executable: 'System' },
  host: { name: '04246w-win10.threebeesco.com', id: '04246w-win10.threebeesco.com' },
};
const start = {
  '@timestamp': '2020-08-27T11:40:56.6104321Z',
  event: { category: ['process'], type: ['start'], code: '1' },
  process: {
    pid: 4320, executable: 'C:\\Windows\\PSEXESVC.exe', command_line: 'C:\\WINDOWS\\PSEXESVC.exe',
    parent: { executable: 'C:\\Windows\\System32\\services.exe' }, code_signature: { subject_name: 'Sysinternals', trusted: true },
  },
  user: { name: 'SYSTEM', domain: 'NT AUTHORITY' },
  host: { name: '04246w-win10.threebeesco.com' },
  winlog: { record_id: 263573n },
};
const src = [{ file: 'p1.evtx', position: 263572 }, { file: 'p1.evtx', position: 263573 }];

test('buildAlert: host, path, exact times and gap, process, events with their sources', () => {
  const a = buildAlert(rule, { events: [write, start] }, src);
  assert.equal(a.ruleId, 'file-share-remote-exec');
  assert.equal(a.severity, 'medium');
  assert.equal(a.riskScore, 47);
  assert.equal(a.host, '04246w-win10.threebeesco.com');
  assert.equal(a.filePath, 'C:\\Windows\\PSEXESVC.exe');
  assert.equal(a.firstTime, '2020-08-27T11:40:56.3965432Z');
  assert.equal(a.lastTime, '2020-08-27T11:40:56.6104321Z');
  assert.equal(a.gapMs, 213.8889);
  assert.deepEqual(a.process, {
    executable: 'C:\\Windows\\PSEXESVC.exe', pid: 4320, commandLine: 'C:\\WINDOWS\\PSEXESVC.exe',
    parentExecutable: 'C:\\Windows\\System32\\services.exe', signer: 'Sysinternals', signatureTrusted: true, user: 'NT AUTHORITY\\SYSTEM',
  });
  assert.equal(a.events.length, 2);
  assert.equal(a.events[1]!.position, 263573);
  assert.equal(a.writer, undefined);
  // JSON-safe for worker threads (bigint record id became a number)
  assert.equal((JSON.parse(JSON.stringify(a)) as Alert).events[1]!.event.winlog !== undefined, true);
  assert.match(a.id, /^[0-9a-f]{20}$/);
});

test('alert id: stable for the same sequence, different for another rule, host or time', () => {
  const a = buildAlert(rule, { events: [write, start] }, src);
  const again = buildAlert(rule, { events: [write, start] }, [{ file: 'copy/p1.evtx', position: 1 }, { file: 'copy/p1.evtx', position: 2 }]);
  assert.equal(a.id, again.id, 'the same log read from two places dedupes');
  assert.notEqual(a.id, buildAlert({ ...rule, id: 'other' }, { events: [write, start] }, src).id);
  assert.notEqual(a.id, buildAlert(rule, { events: [{ ...write, host: { name: 'other' } }, start] }, src).id);
  assert.notEqual(a.id, buildAlert(rule, { events: [{ ...write, '@timestamp': '2020-08-27T11:40:56.3965433Z' }, start] }, src).id);
});

// Security 5145 and 4688 in the ECS view, fields per Microsoft's documented layout of both events
// (there is no real 5145 followed by a 4688 in ../shared).
const share5145 = {
  '@timestamp': '2024-03-05T10:00:00.1234567Z',
  event: { code: '5145', category: ['network'], type: ['access'] },
  host: { name: 'FS01.corp.example', id: 'fs01.corp.example' },
  source: { ip: '10.0.0.66', port: 49812 },
  user: { name: 'mallory', domain: 'CORP' },
  file: { path: 'C:\\Windows\\evil.exe' },
  winlog: {
    channel: 'Security',
    event_data: {
      SubjectUserName: 'mallory', SubjectDomainName: 'CORP', SubjectLogonId: '0x8d4e2', ObjectType: 'File',
      IpAddress: '10.0.0.66', IpPort: '49812', ShareName: '\\\\*\\ADMIN$', ShareLocalPath: '\\??\\C:\\Windows',
      RelativeTargetName: 'evil.exe', AccessMask: '0x2', AccessList: '%%4417\r\n\t\t\t\t', AccessReason: '-',
    },
  },
};

test('a 5145 in the match names the writer (source IP and account)', () => {
  const exec4688 = {
    '@timestamp': '2024-03-05T10:00:01Z',
    event: { code: '4688', category: ['process'], type: ['start'] },
    host: { name: 'FS01.corp.example' },
    process: { executable: 'C:\\Windows\\evil.exe', pid: 0x1a2c, parent: { executable: 'C:\\Windows\\System32\\services.exe' } },
  };
  const a = buildAlert({ ...rule, id: 'file-share-remote-exec-security-audit' }, { events: [share5145, exec4688] }, src, { ip: '1.2.3.4', evidence: 'ctx' });
  assert.deepEqual(a.writer, { evidence: 'Security 5145 (matched event)', ip: '10.0.0.66', user: 'mallory', domain: 'CORP' });
  assert.equal(a.filePath, 'C:\\Windows\\evil.exe');
  assert.equal(a.process?.pid, 6700);
  // without a 5145 in the match, the writer passed in is used
  assert.deepEqual(buildAlert(rule, { events: [write, start] }, src, { ip: '1.2.3.4', evidence: 'ctx' }).writer, { ip: '1.2.3.4', evidence: 'ctx' });
});

test('writer context: a 5145 on the path wins over network logons; bounded in time', () => {
  const ctx = new WriterContext({ windowMs: 10 * 60_000 });
  const logon = (time: string, user: string, ip: string) => ({
    '@timestamp': time, event: { code: '4624' }, host: { name: 'fs01.CORP.example' },
    winlog: { event_data: { LogonType: '3', TargetUserName: user, TargetDomainName: 'CORP', IpAddress: ip } },
  });
  ctx.observe(logon('2024-03-05T09:58:00Z', 'bob', '10.0.0.5'));
  ctx.observe(logon('2024-03-05T09:59:30Z', 'FS02$', '10.0.0.9'));
  ctx.observe({ '@timestamp': '2024-03-05T09:59:00Z', event: { code: '4624' }, host: { name: 'fs01' }, winlog: { event_data: { LogonType: 2, TargetUserName: 'carol' } } });
  ctx.observe({ '@timestamp': '2024-03-05T09:59:00Z', event: { code: '4688' }, host: { name: 'fs01' } });
  assert.equal(ctx.size(), 2, 'only network logons kept');
  // no 5145 yet: the latest non-machine network logon within 5 minutes before the write
  assert.deepEqual(ctx.writerFor('FS01', 'C:\\Windows\\evil.exe', '2024-03-05T10:00:00Z'), {
    evidence: 'Security 4624 logon type 3 (network logon shortly before the write)', ip: '10.0.0.5', user: 'bob', domain: 'CORP',
  });
  ctx.observe(share5145);
  const w = ctx.writerFor('fs01.corp.example', 'c:\\windows\\EVIL.exe', '2024-03-05T10:00:00.2Z');
  assert.equal(w?.ip, '10.0.0.66');
  assert.equal(w?.user, 'mallory');
  assert.match(w!.evidence!, /5145/);
  // a 5145 on another path does not name the writer of this one
  assert.match(ctx.writerFor('fs01', 'C:\\Windows\\other.exe', '2024-03-05T10:00:00.2Z')!.evidence!, /4624/);
  // too long after: nothing
  assert.equal(ctx.writerFor('fs01', 'C:\\Windows\\other.exe', '2024-03-05T11:00:00Z'), undefined);
  assert.equal(ctx.writerFor('unknown-host', 'C:\\Windows\\evil.exe', '2024-03-05T10:00:00Z'), undefined);
  // read-only access is not a write
  const readOnly = structuredClone(share5145);
  readOnly.winlog.event_data.AccessList = '%%4416';
  readOnly.winlog.event_data.AccessMask = '0x1';
  const ctx2 = new WriterContext();
  ctx2.observe(readOnly);
  assert.equal(ctx2.size(), 0);
});

test('writer context stays bounded', () => {
  const ctx = new WriterContext({ windowMs: 60_000, maxPerHost: 100 });
  for (let i = 0; i < 5000; i++)
    ctx.observe({ '@timestamp': new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(), event: { code: '5140' }, host: { name: 'h' }, winlog: { event_data: { SubjectUserName: 'u', IpAddress: '10.1.1.1' } } });
  assert.ok(ctx.size() <= 100, `size ${ctx.size()}`);
});

test('orderAlerts: dedupes by id and orders by time, host, rule, path whatever the input order', () => {
  const mk = (id: string, firstTime: string, host: string, ruleId: string, filePath?: string): Alert => ({
    id, ruleId, ruleName: ruleId, severity: 'medium', host, filePath, firstTime, lastTime: firstTime, gapMs: 0, events: [],
  });
  const alerts = [
    mk('e', '2020-01-01T00:00:00.5Z', 'b', 'r1'),
    mk('d', '2020-01-01T00:00:00.4999999Z', 'b', 'r1'),
    mk('c', '2020-01-01T00:00:00.5Z', 'a', 'r2'),
    mk('b', '2020-01-01T00:00:00.5Z', 'a', 'r1', 'z.exe'),
    mk('a', '2020-01-01T00:00:00.5Z', 'a', 'r1', 'y.exe'),
    mk('c', '2020-01-01T00:00:00.5Z', 'a', 'r2'),
  ];
  const expected = ['d', 'a', 'b', 'c', 'e'];
  assert.deepEqual(orderAlerts(alerts).map((a) => a.id), expected);
  assert.deepEqual(orderAlerts([...alerts].reverse()).map((a) => a.id), expected);
  assert.ok(compareAlerts(alerts[1]!, alerts[0]!) < 0, '.4999999 sorts before .5 (not as text)');
});
