/**
 * Microsoft Defender XDR advanced hunting: which table (and ActionType) holds the equivalent of a
 * Windows event a Sigma rule reads, and the table's column for each Sysmon / Security field. DATA:
 * written from Microsoft's advanced hunting schema reference (learn.microsoft.com/defender-xdr/
 * advanced-hunting-*-table). A field missing from a source's `fields` is one Defender does not
 * record there (the rule is reported); `notes` says why for the ones users ask about.
 *
 * Defender's FolderPath holds the full path of the file, name included (C:\Windows\System32\cmd.exe),
 * which is what Sysmon's Image / TargetFilename hold.
 */

export const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';

/** A computed column: its KQL expression (the walker writes it where a column name would go). */
export const DEFENDER_COMPUTED: Readonly<Record<string, string>> = {
  // Sysmon's TargetObject of a value event is key\value; Defender keeps them apart.
  RegistryKeyAndValueName: 'strcat(RegistryKey, @"\\", RegistryValueName)',
  // Sysmon 12's TargetObject: the key, or key\value for a value deleted.
  RegistryObject: 'iff(ActionType == "RegistryValueDeleted", strcat(RegistryKey, @"\\", RegistryValueName), RegistryKey)',
};

export interface DefenderSource {
  table: string;
  /** ActionType values the event corresponds to (none: every row of the table). */
  actionTypes?: readonly string[];
  /** Sysmon / Security field → Defender column. */
  fields: Readonly<Record<string, string>>;
  /** Fields whose values are written differently: Sysmon / Security value → Defender's value(s). */
  valueMaps?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  /** Fields compared as the path of a registry key: Sysmon abbreviates hives (HKLM), Defender does not. */
  registryPaths?: readonly string[];
  /** Sysmon's `Hashes` (ALG=hex,…) of this event is about the file in FolderPath: DEFENDER_HASH_COLUMNS. */
  hashes?: boolean;
}

const DEVICE = { Computer: 'DeviceName' } as const;
const INITIATING = { Image: 'InitiatingProcessFolderPath', ProcessId: 'InitiatingProcessId', ...DEVICE } as const;

const PROCESS_CREATED: DefenderSource = {
  table: 'DeviceProcessEvents',
  actionTypes: ['ProcessCreated'],
  hashes: true,
  fields: {
    ...DEVICE,
    Image: 'FolderPath',
    CommandLine: 'ProcessCommandLine',
    ProcessId: 'ProcessId',
    ParentImage: 'InitiatingProcessFolderPath',
    ParentCommandLine: 'InitiatingProcessCommandLine',
    ParentProcessId: 'InitiatingProcessId',
    OriginalFileName: 'ProcessVersionInfoOriginalFileName',
    Company: 'ProcessVersionInfoCompanyName',
    Product: 'ProcessVersionInfoProductName',
    Description: 'ProcessVersionInfoFileDescription',
    IntegrityLevel: 'ProcessIntegrityLevel',
    LogonId: 'LogonId',
  },
};

const LOGON_TYPES: Readonly<Record<string, string>> = {
  '2': 'Interactive', '3': 'Network', '4': 'Batch', '5': 'Service', '7': 'Unlock', '8': 'NetworkCleartext',
  '9': 'NewCredentials', '10': 'RemoteInteractive', '11': 'CachedInteractive',
};

const logon = (actionType: string): DefenderSource => ({
  table: 'DeviceLogonEvents',
  actionTypes: [actionType],
  fields: {
    ...DEVICE,
    TargetUserName: 'AccountName',
    TargetDomainName: 'AccountDomain',
    TargetUserSid: 'AccountSid',
    LogonType: 'LogonType',
    IpAddress: 'RemoteIP',
    IpPort: 'RemotePort',
    WorkstationName: 'RemoteDeviceName',
    ProcessName: 'InitiatingProcessFolderPath',
  },
  valueMaps: { LogonType: LOGON_TYPES },
});

const registry = (actionTypes: readonly string[], targetObject: string, eventTypes: Readonly<Record<string, string>>): DefenderSource => ({
  table: 'DeviceRegistryEvents',
  actionTypes,
  fields: { ...INITIATING, TargetObject: targetObject, EventType: 'ActionType' },
  valueMaps: { EventType: eventTypes },
  registryPaths: ['TargetObject'],
});

/** `channel/EventID` → the Defender source holding that event. */
export const DEFENDER_SOURCES: Readonly<Record<string, DefenderSource>> = {
  [`${SYSMON_CHANNEL}/1`]: PROCESS_CREATED,
  'Security/4688': {
    ...PROCESS_CREATED,
    fields: { ...DEVICE, NewProcessName: 'FolderPath', CommandLine: 'ProcessCommandLine', ParentProcessName: 'InitiatingProcessFolderPath' },
  },
  [`${SYSMON_CHANNEL}/3`]: {
    table: 'DeviceNetworkEvents',
    fields: {
      ...INITIATING,
      DestinationIp: 'RemoteIP', DestinationPort: 'RemotePort', DestinationHostname: 'RemoteUrl',
      SourceIp: 'LocalIP', SourcePort: 'LocalPort', Protocol: 'Protocol',
      // Sysmon's direction flag: Defender says it with the ActionType.
      Initiated: 'ActionType',
    },
    valueMaps: {
      Initiated: {
        true: ['ConnectionSuccess', 'ConnectionFailed', 'ConnectionAttempt', 'ConnectionRequest'],
        false: ['InboundConnectionAccepted'],
      },
    },
  },
  [`${SYSMON_CHANNEL}/7`]: { table: 'DeviceImageLoadEvents', hashes: true, fields: { ...INITIATING, ImageLoaded: 'FolderPath' } },
  [`${SYSMON_CHANNEL}/8`]: {
    table: 'DeviceEvents',
    actionTypes: ['CreateRemoteThreadApiCall'],
    fields: { ...DEVICE, SourceImage: 'InitiatingProcessFolderPath', SourceProcessId: 'InitiatingProcessId', TargetImage: 'FolderPath', TargetProcessId: 'ProcessId' },
  },
  // Sysmon 11 is a file created or overwritten.
  [`${SYSMON_CHANNEL}/11`]: { table: 'DeviceFileEvents', actionTypes: ['FileCreated', 'FileModified'], fields: { ...INITIATING, TargetFilename: 'FolderPath' } },
  [`${SYSMON_CHANNEL}/23`]: { table: 'DeviceFileEvents', actionTypes: ['FileDeleted'], hashes: true, fields: { ...INITIATING, TargetFilename: 'FolderPath' } },
  [`${SYSMON_CHANNEL}/26`]: { table: 'DeviceFileEvents', actionTypes: ['FileDeleted'], hashes: true, fields: { ...INITIATING, TargetFilename: 'FolderPath' } },
  // Sysmon 12 is a key created or deleted, or a value deleted.
  [`${SYSMON_CHANNEL}/12`]: registry(['RegistryKeyCreated', 'RegistryKeyDeleted', 'RegistryValueDeleted'], 'RegistryObject', {
    CreateKey: 'RegistryKeyCreated', DeleteKey: 'RegistryKeyDeleted', DeleteValue: 'RegistryValueDeleted',
  }),
  [`${SYSMON_CHANNEL}/13`]: (() => {
    const r = registry(['RegistryValueSet'], 'RegistryKeyAndValueName', { SetValue: 'RegistryValueSet' });
    return { ...r, fields: { ...r.fields, Details: 'RegistryValueData' } };
  })(),
  'Security/4624': logon('LogonSuccess'),
  'Security/4625': logon('LogonFailed'),
};

/** Why an event has no Defender source, for the events rules most often name (else a generic reason). */
export const DEFENDER_MISSING: Readonly<Record<string, string>> = {
  'Security/5145': 'Security event 5145 (detailed file share auditing): Defender XDR does not collect the Security log, and DeviceFileEvents has no share-access check',
  'Security/5140': 'Security event 5140 (share access): Defender XDR does not collect the Security log',
  [`${SYSMON_CHANNEL}/10`]: 'Sysmon event 10 (process access): Defender records OpenProcess calls only for a few targets (DeviceEvents OpenProcessApiCall), not every access',
  [`${SYSMON_CHANNEL}/5`]: 'Sysmon event 5 (process terminated): Defender advanced hunting records no process ends',
  [`${SYSMON_CHANNEL}/22`]: 'Sysmon event 22 (DNS query): Defender keeps DNS queries only inside DeviceEvents AdditionalFields',
  [`${SYSMON_CHANNEL}/14`]: 'Sysmon event 14 (registry rename): DeviceRegistryEvents keeps the old and new names in other columns',
};

/** Why a field has no Defender column, for the fields rules most often name. */
export const DEFENDER_FIELD_NOTES: Readonly<Record<string, string>> = {
  User: 'Defender splits DOMAIN\\name into AccountDomain and AccountName',
  ParentUser: 'Defender splits DOMAIN\\name into InitiatingProcessAccountDomain and InitiatingProcessAccountName',
  CurrentDirectory: 'Defender records no working directory',
  Hashes: 'only SHA1=, SHA256= and MD5= values map to Defender hash columns (IMPHASH is not recorded)',
  Signed: 'Defender keeps no signature status of loaded images in this table',
  Signature: 'Defender keeps no signature subject of loaded images in this table',
  Details: "Sysmon's formatted registry values (DWORD (0x…), QWORD, Binary Data) are written differently by Defender",
};

/** Sysmon `Hashes` algorithms → the Defender columns of the file a source is about (sources with `hashes`). */
export const DEFENDER_HASH_COLUMNS: Readonly<Record<string, string>> = { SHA1: 'SHA1', SHA256: 'SHA256', MD5: 'MD5' };
