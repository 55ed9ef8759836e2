/**
 * DATA: which few fields say what happened, per event type (Hayabusa's "Details" column idea).
 * Read by details.ts; change the table, not the code, to show other fields.
 *
 * An event takes the first entry whose `when` matches: `channel` is a case-insensitive substring of
 * winlog.channel, `eventIds` lists event codes (event.code / winlog.event_id), `category` an ECS
 * event.category (for sources without Windows ids, e.g. Elastic Defend). Each field is a label and
 * the paths to try in order (ECS view; `winlog.event_data.X` is the native Windows field). Empty
 * values are left out. The last entry (no `when`) is the fallback.
 */
export interface DetailsField {
  label: string;
  paths: string[];
}

export interface DetailsEntry {
  /** What the entry is for (documentation only). */
  name: string;
  when?: { channel?: string; eventIds?: string[]; category?: string };
  fields: DetailsField[];
}

const ed = (name: string): string => `winlog.event_data.${name}`;
const f = (label: string, ...paths: string[]): DetailsField => ({ label, paths });

const PROCESS_START: DetailsField[] = [
  f('Cmdline', 'process.command_line', ed('CommandLine')),
  f('Proc', 'process.executable', ed('Image'), ed('NewProcessName')),
  f('User', 'user.name', ed('User'), ed('SubjectUserName')),
  f('ParentCmdline', 'process.parent.command_line', ed('ParentCommandLine')),
  f('PID', 'process.pid', ed('ProcessId'), ed('NewProcessId')),
];

export const DETAILS_TABLE: DetailsEntry[] = [
  { name: 'Sysmon 1 process creation', when: { channel: 'sysmon', eventIds: ['1'] }, fields: PROCESS_START },
  {
    name: 'Sysmon 3 network connection',
    when: { channel: 'sysmon', eventIds: ['3'] },
    fields: [
      f('Proc', 'process.executable', ed('Image')),
      f('SrcIP', 'source.ip', ed('SourceIp')),
      f('DstIP', 'destination.ip', ed('DestinationIp')),
      f('DstPort', 'destination.port', ed('DestinationPort')),
      f('User', 'user.name', ed('User')),
    ],
  },
  {
    name: 'Sysmon 11/23/26 file created or deleted',
    when: { channel: 'sysmon', eventIds: ['11', '23', '26', '29'] },
    fields: [f('Path', 'file.path', ed('TargetFilename')), f('Proc', 'process.executable', ed('Image')), f('PID', 'process.pid', ed('ProcessId'))],
  },
  {
    name: 'Sysmon 12/13/14 registry',
    when: { channel: 'sysmon', eventIds: ['12', '13', '14'] },
    fields: [f('Key', 'registry.path', ed('TargetObject')), f('Value', ed('Details'), 'registry.data.strings'), f('Proc', 'process.executable', ed('Image'))],
  },
  {
    name: 'Sysmon 7 image loaded',
    when: { channel: 'sysmon', eventIds: ['7'] },
    fields: [f('Image', 'dll.path', ed('ImageLoaded')), f('Proc', 'process.executable', ed('Image')), f('Signed', ed('Signed'))],
  },
  {
    name: 'Sysmon 8/10 process access, remote thread',
    when: { channel: 'sysmon', eventIds: ['8', '10'] },
    fields: [f('Src', ed('SourceImage'), 'process.executable'), f('Tgt', ed('TargetImage')), f('Access', ed('GrantedAccess'))],
  },
  {
    name: 'Sysmon 22 DNS query',
    when: { channel: 'sysmon', eventIds: ['22'] },
    fields: [f('Query', 'dns.question.name', ed('QueryName')), f('Result', ed('QueryResults')), f('Proc', 'process.executable', ed('Image'))],
  },
  { name: 'Security 4688 process creation', when: { channel: 'security', eventIds: ['4688'] }, fields: PROCESS_START },
  {
    name: 'Security 4624/4625/4648 logon',
    when: { channel: 'security', eventIds: ['4624', '4625', '4634', '4648', '4672'] },
    fields: [
      f('TgtUser', ed('TargetUserName'), 'user.target.name', 'user.name'),
      f('TgtDomain', ed('TargetDomainName'), 'user.target.domain', 'user.domain'),
      f('LogonType', ed('LogonType'), 'winlog.logon.type'),
      f('SrcIP', 'source.ip', ed('IpAddress')),
      f('SrcComp', ed('WorkstationName'), 'source.domain'),
      f('Proc', ed('ProcessName')),
    ],
  },
  {
    name: 'Security 5140/5145 network share access',
    when: { channel: 'security', eventIds: ['5140', '5145'] },
    fields: [
      f('Share', ed('ShareName')),
      f('Target', ed('RelativeTargetName')),
      f('User', ed('SubjectUserName'), 'user.name'),
      f('SrcIP', 'source.ip', ed('IpAddress')),
      f('Access', ed('AccessList')),
    ],
  },
  {
    name: 'Service installed (System 7045, Security 4697)',
    when: { eventIds: ['7045', '4697'] },
    fields: [f('Svc', ed('ServiceName'), 'service.name'), f('Path', ed('ImagePath'), ed('ServiceFileName'), 'service.executable'), f('Account', ed('AccountName'), ed('ServiceAccount'))],
  },
  {
    name: 'PowerShell 4104 script block',
    when: { channel: 'powershell', eventIds: ['4104'] },
    fields: [f('ScriptBlock', ed('ScriptBlockText'), 'powershell.file.script_block_text'), f('Path', ed('Path'))],
  },
  { name: 'any process start (ECS)', when: { category: 'process' }, fields: PROCESS_START },
  {
    name: 'any file event (ECS)',
    when: { category: 'file' },
    fields: [f('Path', 'file.path'), f('Proc', 'process.executable'), f('User', 'user.name')],
  },
  {
    name: 'any network event (ECS)',
    when: { category: 'network' },
    fields: [f('Proc', 'process.executable'), f('SrcIP', 'source.ip'), f('DstIP', 'destination.ip'), f('DstPort', 'destination.port'), f('User', 'user.name')],
  },
  {
    name: 'any registry event (ECS)',
    when: { category: 'registry' },
    fields: [f('Key', 'registry.path'), f('Value', 'registry.data.strings'), f('Proc', 'process.executable')],
  },
  {
    name: 'any authentication event (ECS)',
    when: { category: 'authentication' },
    fields: [f('User', 'user.name', 'user.target.name'), f('SrcIP', 'source.ip'), f('Outcome', 'event.outcome')],
  },
  {
    name: 'fallback',
    fields: [
      f('Cmdline', 'process.command_line'),
      f('Proc', 'process.executable'),
      f('Path', 'file.path'),
      f('User', 'user.name'),
      f('SrcIP', 'source.ip'),
      f('Action', 'event.action'),
    ],
  },
];
