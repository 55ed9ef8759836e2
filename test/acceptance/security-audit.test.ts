/**
 * The native-auditing rule (Security 5145 write → 4688 of the local path) and the service
 * companion, on hand-built events in the evtx_dump JSON shape spoor's EVTX reader produces.
 * There is no real 5145 followed by a 4688 in ../shared: the events follow Microsoft's documented
 * field layout of 5145, 5140, 4624, 4688 (version 2) and 7045, with realistic values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from '../../src/events/field.js';
import type { SourceEvent } from '../../src/sources/types.js';
import { loadRulePack } from '../../src/rules/index.js';
import { detect } from './pipeline.js';

const HOST = 'FS01.corp.example';
let record = 7000;

function winEvent(provider: string, channel: string, id: number, time: string, data: Record<string, unknown>, host = HOST): Event {
  return {
    Event: {
      System: {
        Provider: { '#attributes': { Name: provider } },
        EventID: id,
        Version: id === 4688 ? 2 : 0,
        TimeCreated: { '#attributes': { SystemTime: time } },
        EventRecordID: ++record,
        Execution: { '#attributes': { ProcessID: 4, ThreadID: 4420 } },
        Channel: channel,
        Computer: host,
      },
      EventData: data,
    },
  };
}
const security = (id: number, time: string, data: Record<string, unknown>, host?: string) =>
  winEvent('Microsoft-Windows-Security-Auditing', 'Security', id, time, data, host);

function share5145(time: string, rel: string, accessList = '%%4417\r\n\t\t\t\t', mask = '0x2', share = '\\\\*\\ADMIN$', local = '\\??\\C:\\Windows', host?: string): Event {
  return security(5145, time, {
    SubjectUserSid: 'S-1-5-21-3623811015-3361044348-30300820-1104', SubjectUserName: 'mallory', SubjectDomainName: 'CORP',
    SubjectLogonId: '0x8d4e2', ObjectType: 'File', IpAddress: '10.0.0.66', IpPort: '49812', ShareName: share,
    ShareLocalPath: local, RelativeTargetName: rel, AccessMask: mask, AccessList: accessList, AccessReason: '-',
  }, host);
}

function process4688(time: string, exe: string, host?: string): Event {
  return security(4688, time, {
    SubjectUserSid: 'S-1-5-18', SubjectUserName: 'FS01$', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7',
    NewProcessId: '0x1a2c', NewProcessName: exe, TokenElevationType: '%%1936', ProcessId: '0x26c', CommandLine: exe,
    TargetUserSid: 'S-1-0-0', TargetUserName: '-', TargetDomainName: '-', TargetLogonId: '0x0',
    ParentProcessName: 'C:\\Windows\\System32\\services.exe', MandatoryLabel: 'S-1-16-16384',
  }, host);
}

function logon4624(time: string): Event {
  return security(4624, time, {
    SubjectUserSid: 'S-1-0-0', SubjectUserName: '-', SubjectDomainName: '-', SubjectLogonId: '0x0',
    TargetUserSid: 'S-1-5-21-3623811015-3361044348-30300820-1104', TargetUserName: 'mallory', TargetDomainName: 'CORP',
    TargetLogonId: '0x8d4e2', LogonType: 3, LogonProcessName: 'NtLmSsp ', AuthenticationPackageName: 'NTLM',
    WorkstationName: 'KALI', IpAddress: '10.0.0.66', IpPort: '49810',
  });
}

function sysmon11(time: string, path: string): Event {
  return winEvent('Microsoft-Windows-Sysmon', 'Microsoft-Windows-Sysmon/Operational', 11, time, {
    RuleName: '-', UtcTime: time.replace('T', ' ').replace('Z', ''), ProcessGuid: '{b5cf5917-721e-5f46-0000-0010eb030000}',
    ProcessId: 4, Image: 'System', TargetFilename: path, CreationUtcTime: time.replace('T', ' ').replace('Z', ''),
  });
}

function service7045(time: string, imagePath: string): Event {
  return winEvent('Service Control Manager', 'System', 7045, time, {
    ServiceName: 'BTOBTO', ImagePath: imagePath, ServiceType: 'user mode service', StartType: 'demand start', AccountName: 'LocalSystem',
  });
}

const sources = (events: Event[]): SourceEvent[] => events.map((event, i) => ({ event, file: 'hand-built.json', position: i + 1 }));
const rules = () => {
  const { rules, problems } = loadRulePack([]);
  assert.deepEqual(problems, []);
  return rules;
};

test('5145 write to ADMIN$ then 4688 of the same path: alert naming the writer', () => {
  const alerts = detect(rules(), sources([
    logon4624('2024-03-05T09:59:58.0000000Z'),
    share5145('2024-03-05T10:00:00.1234567Z', 'evil.exe'),
    process4688('2024-03-05T10:00:02.5000000Z', 'C:\\Windows\\evil.exe'),
  ]));
  assert.deepEqual(alerts.map((a) => a.ruleId), ['file-share-remote-exec-security-audit']);
  const a = alerts[0]!;
  assert.equal(a.host, HOST);
  assert.equal(a.filePath, 'C:\\Windows\\evil.exe');
  assert.equal(a.firstTime, '2024-03-05T10:00:00.1234567Z');
  assert.equal(a.gapMs, 2376.5433);
  assert.deepEqual(a.writer, { evidence: 'Security 5145 (matched event)', ip: '10.0.0.66', user: 'mallory', domain: 'CORP' });
  assert.equal(a.process?.executable, 'C:\\Windows\\evil.exe');
  assert.equal(a.process?.pid, 0x1a2c);
  assert.equal(a.process?.parentExecutable, 'C:\\Windows\\System32\\services.exe');
  assert.deepEqual(a.events.map((e) => e.position), [2, 3]);
});

test('AppendData (%%4418) counts as a write; subfolders of C$ join too', () => {
  const alerts = detect(rules(), sources([
    share5145('2024-03-05T10:00:00Z', 'Temp\\x.scr', '%%4418', '0x4', '\\\\*\\C$', '\\??\\C:\\'),
    process4688('2024-03-05T10:00:01Z', 'C:\\Temp\\x.scr'),
  ]));
  assert.deepEqual(alerts.map((a) => [a.ruleId, a.filePath]), [['file-share-remote-exec-security-audit', 'C:\\Temp\\x.scr']]);
});

test('no alert: read-only access, too late, another host, another path', () => {
  const none = (events: Event[], why: string) => assert.deepEqual(detect(rules(), sources(events)).map((a) => a.ruleId), [], why);
  none([share5145('2024-03-05T10:00:00Z', 'evil.exe', '%%4416', '0x1'), process4688('2024-03-05T10:00:01Z', 'C:\\Windows\\evil.exe')], 'ReadData only');
  none([share5145('2024-03-05T10:00:00Z', 'evil.exe'), process4688('2024-03-05T10:01:00.001Z', 'C:\\Windows\\evil.exe')], 'beyond 1 minute');
  none([share5145('2024-03-05T10:00:00Z', 'evil.exe'), process4688('2024-03-05T10:00:01Z', 'C:\\Windows\\evil.exe', 'WS02.corp.example')], 'other host');
  none([share5145('2024-03-05T10:00:00Z', 'evil.exe'), process4688('2024-03-05T10:00:01Z', 'C:\\Windows\\System32\\evil.exe')], 'other path');
  none([process4688('2024-03-05T09:59:59Z', 'C:\\Windows\\evil.exe'), share5145('2024-03-05T10:00:00Z', 'evil.exe')], 'start before the write');
});

test('Sysmon write by System + 4688 start: the strict rule fires, with the writer from a 5145 seen separately', () => {
  // 5145 on the path (access check), the kernel write (Sysmon 11), then the start (4688).
  const alerts = detect(rules(), sources([
    share5145('2024-03-05T10:00:00.000Z', 'PSEXESVC.exe'),
    sysmon11('2024-03-05T10:00:00.050Z', 'C:\\Windows\\PSEXESVC.exe'),
    process4688('2024-03-05T10:00:00.300Z', 'C:\\Windows\\PSEXESVC.exe'),
  ]));
  // Both kinds of evidence fire their own rule; the strict one gets its writer from the WriterContext.
  assert.deepEqual(alerts.map((a) => a.ruleId).sort(), ['file-share-remote-exec', 'file-share-remote-exec-security-audit']);
  const strict = alerts.find((a) => a.ruleId === 'file-share-remote-exec')!;
  assert.equal(strict.writer?.ip, '10.0.0.66');
  assert.match(strict.writer!.evidence!, /5145/);
});

test('paths spelled in different case by the two logs still join (ShareLocalPath C:\\WINDOWS, 4688 C:\\Windows)', () => {
  const alerts = detect(rules(), sources([
    share5145('2024-03-05T10:00:00Z', 'Evil.EXE', undefined, undefined, undefined, '\\??\\C:\\WINDOWS'),
    process4688('2024-03-05T10:00:01Z', 'C:\\Windows\\evil.exe'),
  ]));
  assert.deepEqual(alerts.map((a) => a.ruleId), ['file-share-remote-exec-security-audit']);
  assert.equal(alerts[0]!.filePath, 'C:\\WINDOWS\\Evil.EXE', 'the path as the writer logged it');
  // Elastic's own rule keeps Elasticsearch semantics (case-sensitive keys): see elastic-equivalence.
});

test('service companion: System write then 7045 of that binary (%SystemRoot% expanded), low severity', () => {
  const alerts = detect(rules(), sources([
    sysmon11('2024-03-05T10:00:00Z', 'C:\\Windows\\BTOBTO.exe'),
    service7045('2024-03-05T10:00:03Z', '%SystemRoot%\\BTOBTO.exe'),
  ]));
  assert.deepEqual(alerts.map((a) => [a.ruleId, a.severity, a.filePath]), [['file-share-service-install', 'low', 'C:\\Windows\\BTOBTO.exe']]);
  const other = detect(rules(), sources([sysmon11('2024-03-05T10:00:00Z', 'C:\\Windows\\BTOBTO.exe'), service7045('2024-03-05T10:00:03Z', '%SystemRoot%\\other.exe')]));
  assert.deepEqual(other, []);
});
