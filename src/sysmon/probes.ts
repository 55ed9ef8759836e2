/**
 * The events the file-share rules need Sysmon to log, as probes (data): a FileCreate by the System
 * process (PID 4) of an executable on the admin shares' paths, and a ProcessCreate started from
 * such a path by services.exe (how PsExec-style tools start what they copied).
 */
export interface SysmonProbe {
  event: 'FileCreate' | 'ProcessCreate';
  /** What the probe stands for, for the report. */
  label: string;
  fields: Record<string, string>;
}

/** Paths written over ADMIN$ / C$ by remote-execution tools (PsExec, Impacket, worms). */
export const PROBE_PATHS: readonly string[] = [
  'C:\\Windows\\PSEXESVC.exe',
  'C:\\Windows\\Temp\\svc1234.exe',
  'C:\\Windows\\System32\\update.scr',
  'C:\\ProgramData\\agent.exe',
  'C:\\Users\\Public\\tool.com',
  'C:\\perfLogs\\payload.pif',
];

export function fileCreateProbe(path: string): SysmonProbe {
  return {
    event: 'FileCreate',
    label: `FileCreate (11) by System (PID 4) of ${path}`,
    fields: { Image: 'System', ProcessId: '4', TargetFilename: path, User: 'NT AUTHORITY\\SYSTEM', RuleName: '-', UtcTime: '2024-01-01 00:00:00.000', CreationUtcTime: '2024-01-01 00:00:00.000', ProcessGuid: '{00000000-0000-0000-0000-000000000000}' },
  };
}

export function processCreateProbe(path: string): SysmonProbe {
  return {
    event: 'ProcessCreate',
    label: `ProcessCreate (1) of ${path} started by services.exe`,
    fields: {
      Image: path, OriginalFileName: path.slice(path.lastIndexOf('\\') + 1), CommandLine: path, CurrentDirectory: 'C:\\Windows\\system32\\',
      User: 'NT AUTHORITY\\SYSTEM', IntegrityLevel: 'System', ParentImage: 'C:\\Windows\\System32\\services.exe',
      ParentCommandLine: 'C:\\Windows\\system32\\services.exe', ProcessId: '4320', ParentProcessId: '632', Hashes: '', Company: '', Description: '', Product: '', FileVersion: '',
      LogonId: '0x3e7', TerminalSessionId: '0', RuleName: '-',
    },
  };
}

export function probesFor(paths: readonly string[] = PROBE_PATHS): SysmonProbe[] {
  return [...paths.map(fileCreateProbe), ...paths.map(processCreateProbe)];
}
