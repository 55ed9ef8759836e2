/**
 * Decoding of Security-log access lists (`%%4416 %%4417`, from msobjs.dll message ids) as used in
 * 4656, 4663, 5140 and 5145 for file objects.
 */

export const ACCESS_CODES: Readonly<Record<string, string>> = {
  '1537': 'DELETE',
  '1538': 'READ_CONTROL',
  '1539': 'WRITE_DAC',
  '1540': 'WRITE_OWNER',
  '1541': 'SYNCHRONIZE',
  '1542': 'ACCESS_SYS_SEC',
  '4416': 'ReadData (or ListDirectory)',
  '4417': 'WriteData (or AddFile)',
  '4418': 'AppendData (or AddSubdirectory or CreatePipeInstance)',
  '4419': 'ReadEA',
  '4420': 'WriteEA',
  '4421': 'Execute/Traverse',
  '4422': 'DeleteChild',
  '4423': 'ReadAttributes',
  '4424': 'WriteAttributes',
};

/** `%%4416\n\t\t\t\t%%4417` → `['ReadData (or ListDirectory)', 'WriteData (or AddFile)']`; unknown codes stay as `%%n`. */
export function decodeAccessList(list: string): string[] {
  const out: string[] = [];
  const re = /%%(\d+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(list)) !== null) out.push(ACCESS_CODES[m[1]!] ?? m[0]);
  return out;
}

/** Windows logon type number → the name Elastic uses in winlog.logon.type. */
export const LOGON_TYPES: Readonly<Record<string, string>> = {
  '0': 'System',
  '2': 'Interactive',
  '3': 'Network',
  '4': 'Batch',
  '5': 'Service',
  '7': 'Unlock',
  '8': 'NetworkCleartext',
  '9': 'NewCredentials',
  '10': 'RemoteInteractive',
  '11': 'CachedInteractive',
  '12': 'CachedRemoteInteractive',
  '13': 'CachedUnlock',
};

/** 4697 ServiceType (hex) → name, as in Elastic's security pipeline. */
export const SERVICE_TYPES: Readonly<Record<string, string>> = {
  '0x1': 'Kernel Driver',
  '0x2': 'File System Driver',
  '0x8': 'Recognizer Driver',
  '0x10': 'Win32 Own Process',
  '0x20': 'Win32 Share Process',
  '0x110': 'Interactive Own Process',
  '0x120': 'Interactive Share Process',
};
