/**
 * ECS → native (Sigma/Sysmon) field names, for events that arrive in ECS (Elastic Defend,
 * Winlogbeat 7+). It is pySigma's `ecs_windows` mapping read backwards, made unambiguous by
 * the event's Sysmon-equivalent EventID (file.path is TargetFilename in a file event but
 * ImageLoaded in an image load).
 */

/** How an ECS value is rendered in the native field (Sysmon's own text formats). */
export type ReverseFormat = 'value' | 'user' | 'hashes' | 'boolText' | 'direction' | 'regDetails';

export interface ReverseField {
  native: string;
  ecs: string;
  format?: ReverseFormat;
}

const processFields: ReverseField[] = [
  { native: 'Image', ecs: 'process.executable' },
  { native: 'ProcessId', ecs: 'process.pid' },
  { native: 'ProcessGuid', ecs: 'process.entity_id' },
  { native: 'User', ecs: 'user', format: 'user' },
];

const processStart: ReverseField[] = [
  ...processFields,
  { native: 'CommandLine', ecs: 'process.command_line' },
  { native: 'CurrentDirectory', ecs: 'process.working_directory' },
  { native: 'ParentImage', ecs: 'process.parent.executable' },
  { native: 'ParentProcessId', ecs: 'process.parent.pid' },
  { native: 'ParentProcessGuid', ecs: 'process.parent.entity_id' },
  { native: 'ParentCommandLine', ecs: 'process.parent.command_line' },
  { native: 'OriginalFileName', ecs: 'process.pe.original_file_name' },
  { native: 'Company', ecs: 'process.pe.company' },
  { native: 'Description', ecs: 'process.pe.description' },
  { native: 'Product', ecs: 'process.pe.product' },
  { native: 'FileVersion', ecs: 'process.pe.file_version' },
  { native: 'Hashes', ecs: 'process.hash', format: 'hashes' },
  { native: 'IntegrityLevel', ecs: 'process.Ext.token.integrity_level_name' },
  { native: 'LogonId', ecs: 'winlog.logon.id' },
];

const imageLoad: ReverseField[] = [
  ...processFields,
  { native: 'ImageLoaded', ecs: 'file.path' },
  { native: 'OriginalFileName', ecs: 'file.pe.original_file_name' },
  { native: 'Company', ecs: 'file.pe.company' },
  { native: 'Description', ecs: 'file.pe.description' },
  { native: 'Product', ecs: 'file.pe.product' },
  { native: 'FileVersion', ecs: 'file.pe.file_version' },
  { native: 'Hashes', ecs: 'file.hash', format: 'hashes' },
  { native: 'Signed', ecs: 'file.code_signature.exists', format: 'boolText' },
  { native: 'Signed', ecs: 'file.code_signature.signed', format: 'boolText' },
  { native: 'Signature', ecs: 'file.code_signature.subject_name' },
  { native: 'SignatureStatus', ecs: 'file.code_signature.status' },
];

const fileEvent: ReverseField[] = [...processFields, { native: 'TargetFilename', ecs: 'file.path' }];

const network: ReverseField[] = [
  ...processFields,
  { native: 'Protocol', ecs: 'network.transport' },
  { native: 'Initiated', ecs: 'network.direction', format: 'direction' },
  { native: 'SourceIp', ecs: 'source.ip' },
  { native: 'SourcePort', ecs: 'source.port' },
  { native: 'SourceHostname', ecs: 'source.domain' },
  { native: 'DestinationIp', ecs: 'destination.ip' },
  { native: 'DestinationPort', ecs: 'destination.port' },
  { native: 'DestinationHostname', ecs: 'destination.domain' },
  { native: 'DestinationPortName', ecs: 'network.protocol' },
];

const registry: ReverseField[] = [
  ...processFields,
  { native: 'TargetObject', ecs: 'registry.path' },
  { native: 'Details', ecs: 'registry.data', format: 'regDetails' },
];

const processAccess: ReverseField[] = [
  { native: 'SourceImage', ecs: 'process.executable' },
  { native: 'SourceProcessId', ecs: 'process.pid' },
  { native: 'SourceProcessGUID', ecs: 'process.entity_id' },
  { native: 'TargetImage', ecs: 'Target.process.executable' },
  { native: 'TargetProcessId', ecs: 'Target.process.pid' },
  { native: 'TargetProcessGUID', ecs: 'Target.process.entity_id' },
];

/** Native fields per EventID (Sysmon ids and the Security ids Winlogbeat moves out of event_data). */
export const REVERSE_BY_EVENT_ID: Readonly<Record<string, ReverseField[]>> = {
  '1': processStart,
  '2': fileEvent,
  '3': network,
  '5': processFields,
  '6': imageLoad,
  '7': imageLoad,
  '8': [...processAccess],
  '10': processAccess,
  '11': fileEvent,
  '12': registry,
  '13': registry,
  '14': registry,
  '15': fileEvent,
  '22': [...processFields, { native: 'QueryName', ecs: 'dns.question.name' }],
  '23': fileEvent,
  '26': fileEvent,
  '29': fileEvent,
  '4688': [
    { native: 'NewProcessName', ecs: 'process.executable' },
    { native: 'NewProcessId', ecs: 'process.pid' },
    { native: 'ParentProcessName', ecs: 'process.parent.executable' },
    { native: 'CommandLine', ecs: 'process.command_line' },
  ],
};

/** Used when the event has no Windows EventID and no Sysmon equivalent. */
export const REVERSE_GENERIC: ReverseField[] = [
  ...processStart,
  { native: 'TargetFilename', ecs: 'file.path' },
  { native: 'TargetObject', ecs: 'registry.path' },
  { native: 'QueryName', ecs: 'dns.question.name' },
  { native: 'SourceIp', ecs: 'source.ip' },
  { native: 'DestinationIp', ecs: 'destination.ip' },
  { native: 'DestinationPort', ecs: 'destination.port' },
];

/**
 * The Sysmon EventID an ECS event is equivalent to, by event.category/type (first match wins).
 * Synthesised only for events that carry no Windows event id of their own (Elastic Defend).
 */
export const SYSMON_EQUIVALENT: ReadonlyArray<{
  category: string;
  type?: string[];
  /** event.action values (Defend) that make the event equivalent even when the type does not. */
  action?: string[];
  dns?: boolean;
  id: number;
}> = [
  { category: 'process', type: ['start'], id: 1 },
  { category: 'process', type: ['end'], id: 5 },
  { category: 'file', type: ['creation'], id: 11 },
  // Sysmon 11 also logs a file overwritten in place; Defend calls that a change, action "overwrite".
  { category: 'file', action: ['overwrite'], id: 11 },
  { category: 'file', type: ['deletion'], id: 23 },
  { category: 'library', id: 7 },
  { category: 'driver', id: 6 },
  { category: 'registry', type: ['creation', 'deletion'], id: 12 },
  { category: 'registry', id: 13 },
  { category: 'network', dns: true, id: 22 },
  { category: 'dns', id: 22 },
  { category: 'network', type: ['start', 'connection'], id: 3 },
];

export const SYSMON_CHANNEL = 'Microsoft-Windows-Sysmon/Operational';
export const SYSMON_PROVIDER = 'Microsoft-Windows-Sysmon';
