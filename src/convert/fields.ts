/**
 * Field mappings per target family, as data. Sigma rules use native Windows names (Sysmon,
 * Security); spoor's EQL rules use ECS.
 *
 * - `elastic` (EQL, Lucene, ES|QL, detection rules): what Winlogbeat and Elastic Agent's Windows
 *   integration index. Fields their pipelines copy verbatim into ECS get the ECS name (the same
 *   value, whatever the event: Image → process.executable, TargetFilename → file.path); every
 *   other event-data field stays under `winlog.event_data.<Name>`, where they keep it as text.
 *   Keyword fields compare as text, so numeric literals on them are written as strings.
 * - `native` (Splunk, Sentinel): the names Sysmon and the Security log write (EventID, Image, …).
 * ECS → native (EQL rules to Splunk/Sentinel) uses the ECS fields of this same table read backwards.
 */

export interface FieldMapping {
  /** Exact renames. */
  map: Readonly<Record<string, string>>;
  /** Unmapped fields: a template with `{field}`, or null when they cannot be mapped. */
  fallback: string | null;
  /** Target fields whose numeric literals are written as strings (keyword fields). */
  textFields: ReadonlySet<string>;
  /** Target fields holding numbers: text literals of digits become numbers, other patterns are reported. */
  numericFields?: ReadonlySet<string>;
  /** Renames that hold only in one channel's events (rule stages that name that channel). */
  byChannel?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * Windows Defender's event data names have spaces ("Threat Name"); Sigma writes them without
 * (ThreatName), and Winlogbeat indexes them as written.
 */
const DEFENDER_SPACED = [
  'Product Name', 'Product Version', 'Detection ID', 'Detection Time', 'Threat ID', 'Threat Name', 'Severity ID', 'Severity Name',
  'Category ID', 'Category Name', 'Status Code', 'Status Description', 'Source ID', 'Source Name', 'Process Name', 'Detection User',
  'Origin ID', 'Origin Name', 'Execution ID', 'Execution Name', 'Type ID', 'Type Name', 'Pre Execution Status', 'Action ID', 'Action Name',
  'Error Code', 'Error Description', 'Post Clean Status', 'Additional Actions ID', 'Additional Actions String', 'Remediation User',
  'Security intelligence Version', 'Engine Version', 'Signature Version', 'Scan ID', 'Scan Type Name', 'Scan Parameters Name', 'Old Value', 'New Value',
];

const NATIVE_TO_ELASTIC: Readonly<Record<string, string>> = {
  EventID: 'winlog.event_id',
  Channel: 'winlog.channel',
  Provider_Name: 'winlog.provider_name',
  Computer: 'winlog.computer_name',
  EventRecordID: 'winlog.record_id',
  Image: 'process.executable',
  NewProcessName: 'process.executable',
  CommandLine: 'process.command_line',
  ParentImage: 'process.parent.executable',
  ParentCommandLine: 'process.parent.command_line',
  TargetFilename: 'file.path',
};

export const FIELD_MAPPINGS = {
  /** Sigma (native names) → Elastic. */
  'native-elastic': {
    map: NATIVE_TO_ELASTIC,
    fallback: 'winlog.event_data.{field}',
    textFields: new Set(['winlog.event_id', 'winlog.record_id']),
    numericFields: new Set(['process.pid', 'process.parent.pid']),
    byChannel: {
      // The sysmon pipeline moves these out of event_data (Security's ProcessId is the creator's: not mapped).
      'Microsoft-Windows-Sysmon/Operational': { ProcessId: 'process.pid', ParentProcessId: 'process.parent.pid' },
      'Microsoft-Windows-Windows Defender/Operational': Object.fromEntries(DEFENDER_SPACED.map((f) => [f.replace(/ /g, ''), `winlog.event_data.${f}`])),
    },
  },
  /** Sigma → Splunk / Sentinel: the names as written. */
  'native-native': { map: {}, fallback: '{field}', textFields: new Set<string>(), numericFields: new Set(['EventID']) },
  /** EQL (ECS) → Elastic: as written. */
  'ecs-elastic': { map: {}, fallback: '{field}', textFields: new Set<string>() },
  /** EQL (ECS) → Splunk / Sentinel: only the ECS fields the table above knows. */
  'ecs-native': {
    map: {
      ...Object.fromEntries(Object.entries(NATIVE_TO_ELASTIC).filter(([n]) => n !== 'NewProcessName').map(([n, e]) => [e, n])),
      'event.code': 'EventID',
      'winlog.event_data.{field}': '{field}',
    },
    fallback: null,
    textFields: new Set<string>(),
  },
} satisfies Record<string, FieldMapping>;

export type MappingName = keyof typeof FIELD_MAPPINGS;

/** The target field for `field` under `mapping`, or null when it has none. */
export function mapField(mapping: FieldMapping, field: string, channel?: string): string | null {
  const inChannel = channel !== undefined ? mapping.byChannel?.[channel]?.[field] : undefined;
  if (inChannel !== undefined) return inChannel;
  const exact = mapping.map[field];
  if (exact !== undefined) return exact;
  const prefix = 'winlog.event_data.';
  if (field.startsWith(prefix) && mapping.map['winlog.event_data.{field}']) return mapping.map['winlog.event_data.{field}']!.replace('{field}', field.slice(prefix.length));
  return mapping.fallback === null ? null : mapping.fallback.replace('{field}', field);
}
