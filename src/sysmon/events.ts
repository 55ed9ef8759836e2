/** Sysmon event types as configuration elements name them, with their event ids (data, one place). */
export const SYSMON_EVENT_TYPES: Readonly<Record<string, readonly number[]>> = {
  ProcessCreate: [1],
  FileCreateTime: [2],
  NetworkConnect: [3],
  ProcessTerminate: [5],
  DriverLoad: [6],
  ImageLoad: [7],
  CreateRemoteThread: [8],
  RawAccessRead: [9],
  ProcessAccess: [10],
  FileCreate: [11],
  RegistryEvent: [12, 13, 14],
  FileCreateStreamHash: [15],
  PipeEvent: [17, 18],
  WmiEvent: [19, 20, 21],
  DnsQuery: [22],
  FileDelete: [23],
  ClipboardChange: [24],
  ProcessTampering: [25],
  FileDeleteDetected: [26],
  FileBlockExecutable: [27],
  FileBlockShredding: [28],
  FileExecutableDetected: [29],
};

export function isSysmonEventType(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(SYSMON_EVENT_TYPES, name);
}
