/**
 * Hand-built Windows events (evtx_dump JSON shape, Microsoft's documented field layout of 5145,
 * 5140, 4624, 4688 and Sysmon 1/11) for share-review and blind-spot tests.
 */
import type { Event } from '../../src/events/field.js';

let record = 9000;

export function winEvent(provider: string, channel: string, id: number, time: string, data: Record<string, unknown>, host: string): Event {
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

const security = (id: number, time: string, data: Record<string, unknown>, host: string) =>
  winEvent('Microsoft-Windows-Security-Auditing', 'Security', id, time, data, host);

export function share5145(host: string, time: string, rel: string, o: { user?: string; ip?: string; access?: string; share?: string; local?: string } = {}): Event {
  return security(5145, time, {
    SubjectUserSid: 'S-1-5-21-1-2-3-1104', SubjectUserName: o.user ?? 'mallory', SubjectDomainName: 'CORP', SubjectLogonId: '0x8d4e2',
    ObjectType: 'File', IpAddress: o.ip ?? '10.0.0.66', IpPort: '49812', ShareName: o.share ?? '\\\\*\\ADMIN$',
    ShareLocalPath: o.local ?? '\\??\\C:\\Windows', RelativeTargetName: rel, AccessMask: o.access === '%%4416' ? '0x1' : '0x2',
    AccessList: o.access ?? '%%4417\r\n\t\t\t\t', AccessReason: '-',
  }, host);
}

export function logon4624(host: string, time: string, user: string, ip: string): Event {
  return security(4624, time, {
    SubjectUserSid: 'S-1-0-0', SubjectUserName: '-', SubjectDomainName: '-', SubjectLogonId: '0x0', TargetUserSid: 'S-1-5-21-1-2-3-1105',
    TargetUserName: user, TargetDomainName: 'CORP', TargetLogonId: '0x9e1', LogonType: 3, LogonProcessName: 'NtLmSsp ',
    AuthenticationPackageName: 'NTLM', WorkstationName: 'ADMIN7', IpAddress: ip, IpPort: '49810',
  }, host);
}

export function process4688(host: string, time: string, exe: string): Event {
  return security(4688, time, {
    SubjectUserSid: 'S-1-5-18', SubjectUserName: 'HOST$', SubjectDomainName: 'CORP', SubjectLogonId: '0x3e7', NewProcessId: '0x1a2c',
    NewProcessName: exe, TokenElevationType: '%%1936', ProcessId: '0x26c', CommandLine: exe, TargetUserSid: 'S-1-0-0',
    TargetUserName: '-', TargetDomainName: '-', TargetLogonId: '0x0', ParentProcessName: 'C:\\Windows\\System32\\services.exe',
    MandatoryLabel: 'S-1-16-16384',
  }, host);
}

const sysmonTime = (time: string) => time.replace('T', ' ').replace('Z', '');

export function sysmon11(host: string, time: string, path: string, pid = 4, image = 'System', hashes?: string): Event {
  return winEvent('Microsoft-Windows-Sysmon', 'Microsoft-Windows-Sysmon/Operational', 11, time, {
    RuleName: '-', UtcTime: sysmonTime(time), ProcessGuid: '{b5cf5917-721e-5f46-0000-0010eb030000}', ProcessId: pid, Image: image,
    TargetFilename: path, CreationUtcTime: sysmonTime(time), ...(hashes ? { Hashes: hashes } : {}),
  }, host);
}

export function sysmon1(host: string, time: string, image: string, hashes?: string): Event {
  return winEvent('Microsoft-Windows-Sysmon', 'Microsoft-Windows-Sysmon/Operational', 1, time, {
    RuleName: '-', UtcTime: sysmonTime(time), ProcessGuid: '{b5cf5917-9bc8-5f47-0000-001042ab2001}', ProcessId: 4320, Image: image,
    CommandLine: image, CurrentDirectory: 'C:\\Windows\\system32\\', User: 'NT AUTHORITY\\SYSTEM', IntegrityLevel: 'System',
    Hashes: hashes ?? 'SHA256=0000000000000000000000000000000000000000000000000000000000000000', ParentImage: 'C:\\Windows\\System32\\services.exe',
    ParentCommandLine: 'C:\\Windows\\system32\\services.exe', ParentProcessId: 632,
  }, host);
}

export const ndjson = (events: Event[]): string => events.map((e) => JSON.stringify(e)).join('\n') + '\n';
