/**
 * Microsoft Defender XDR advanced hunting target: snapshots of its syntax per table (the table and
 * ActionType from the rule's channel and EventID, Sysmon / Security fields as Defender columns),
 * and the per-rule reasons for what Defender does not record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSigmaText } from '../../src/sigma/index.js';
import { convertRules } from '../../src/convert/index.js';

const rule = (logsource: string, detection: string) => {
  const r = loadSigmaText(`title: t\nid: 44444444-2222-4333-8444-555555555555\nlogsource:\n${logsource}\ndetection:\n${detection}\n`, 'd.yml');
  assert.deepEqual(r.problems, [], JSON.stringify(r.problems));
  return r.rules;
};
const convert = (logsource: string, detection: string) => convertRules(rule(logsource, detection), 'defender');

const SNAPSHOTS: [string, string, string, string][] = [
  [
    'process_creation (Sysmon 1 and Security 4688: one DeviceProcessEvents query)',
    '  category: process_creation\n  product: windows',
    "  sel:\n    Image|endswith: '\\PSEXESVC.exe'\n    CommandLine|contains: ' -accepteula'\n    ParentImage|cased: 'C:\\Windows\\System32\\services.exe'\n    Hashes|contains: 'SHA256=AB12'\n  condition: sel",
    String.raw`DeviceProcessEvents
| where ActionType == @"ProcessCreated" and (FolderPath endswith @"\PSEXESVC.exe" and ProcessCommandLine contains @" -accepteula" and InitiatingProcessFolderPath == @"C:\Windows\System32\services.exe" and SHA256 =~ @"AB12")`,
  ],
  [
    'file_event by PID 4 (the mission rule\'s first stage)',
    '  category: file_event\n  product: windows',
    "  sel:\n    ProcessId: 4\n    TargetFilename|endswith: ['.exe', '.scr']\n  condition: sel",
    String.raw`DeviceFileEvents
| where ActionType in (@"FileCreated", @"FileModified") and (InitiatingProcessId == 4 and (FolderPath endswith @".exe" or FolderPath endswith @".scr"))`,
  ],
  [
    'network_connection outbound (Initiated as ActionType)',
    '  category: network_connection\n  product: windows',
    "  sel:\n    Initiated: 'true'\n    DestinationPort: 445\n    Image|endswith: '\\powershell.exe'\n  condition: sel",
    String.raw`DeviceNetworkEvents
| where ActionType in~ (@"ConnectionSuccess", @"ConnectionFailed", @"ConnectionAttempt", @"ConnectionRequest") and RemotePort == 445 and InitiatingProcessFolderPath endswith @"\powershell.exe"`,
  ],
  [
    'registry_set (TargetObject is key\\value)',
    '  category: registry_set\n  product: windows',
    "  sel:\n    TargetObject|contains: '\\CurrentVersion\\Run\\'\n    Details|contains: 'AppData'\n  condition: sel",
    String.raw`DeviceRegistryEvents
| where ActionType == @"RegistryValueSet" and (strcat(RegistryKey, @"\", RegistryValueName) contains @"\CurrentVersion\Run\" and RegistryValueData contains @"AppData")`,
  ],
  [
    'Security 4624 (LogonType numbers as Defender text)',
    '  product: windows\n  service: security',
    "  sel:\n    EventID: 4624\n    LogonType: 10\n    IpAddress: '127.0.0.1'\n  condition: sel",
    String.raw`DeviceLogonEvents
| where ActionType == @"LogonSuccess" and (LogonType =~ @"RemoteInteractive" and RemoteIP =~ @"127.0.0.1")`,
  ],
  [
    'two Sysmon events on two tables (a union)',
    '  product: windows\n  service: sysmon',
    "  sel:\n    EventID: [1, 11]\n    Image|endswith: '\\rundll32.exe'\n  condition: sel",
    'union\n' +
      String.raw`  (DeviceProcessEvents | where ActionType == @"ProcessCreated" and FolderPath endswith @"\rundll32.exe"),` +
      '\n' +
      String.raw`  (DeviceFileEvents | where ActionType in (@"FileCreated", @"FileModified") and InitiatingProcessFolderPath endswith @"\rundll32.exe")`,
  ],
];

for (const [name, logsource, detection, want] of SNAPSHOTS) {
  test(`snapshot: Sigma → defender: ${name}`, () => {
    const { queries, problems } = convert(logsource, detection);
    assert.deepEqual(problems, []);
    assert.equal(queries[0]!.text, want);
  });
}

const REPORTED: [string, string, string, RegExp][] = [
  ['5145 (Security log only)', '  product: windows\n  service: security', "  sel:\n    EventID: 5145\n    ShareName: '\\\\*\\ADMIN$'\n  condition: sel", /5145.*Defender XDR does not collect the Security log/],
  ['PowerShell script block', '  product: windows\n  category: ps_script', "  sel:\n    ScriptBlockText|contains: 'Invoke-Mimikatz'\n  condition: sel", /PowerShell\/Operational event 4104 \(Microsoft Defender XDR has no table/],
  ['a field Defender does not record', '  category: process_creation\n  product: windows', "  sel:\n    CurrentDirectory|contains: '\\Temp\\'\n  condition: sel", /field CurrentDirectory of .*Sysmon\/Operational\/1 \(Defender records no working directory\)/],
  ['IMPHASH', '  category: process_creation\n  product: windows', "  sel:\n    Hashes|contains: 'IMPHASH=AB12'\n  condition: sel", /Hashes "IMPHASH=AB12".*IMPHASH is not recorded/],
  ['a hive-anchored registry path', '  category: registry_set\n  product: windows', "  sel:\n    TargetObject|startswith: 'HKLM\\SOFTWARE\\x'\n  condition: sel", /registry path written from its hive/],
  ['Sysmon-formatted registry data', '  category: registry_set\n  product: windows', "  sel:\n    Details: 'DWORD (0x00000001)'\n  condition: sel", /Details "DWORD \(0x00000001\)"/],
  ['process access', '  category: process_access\n  product: windows', "  sel:\n    TargetImage|endswith: '\\lsass.exe'\n  condition: sel", /process access/],
];
for (const [name, logsource, detection, reason] of REPORTED) {
  test(`defender reports, emits nothing: ${name}`, () => {
    const { queries, problems } = convert(logsource, detection);
    assert.equal(queries.length, 0, queries[0]?.text);
    assert.equal(problems[0]!.severity, 'unsupported');
    assert.match(problems[0]!.reason, /^defender cannot express /);
    assert.match(problems[0]!.reason, reason);
  });
}
