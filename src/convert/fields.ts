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
}

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
  },
  /** Sigma → Splunk / Sentinel: the names as written. */
  'native-native': { map: {}, fallback: '{field}', textFields: new Set<string>() },
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
export function mapField(mapping: FieldMapping, field: string): string | null {
  const exact = mapping.map[field];
  if (exact !== undefined) return exact;
  const prefix = 'winlog.event_data.';
  if (field.startsWith(prefix) && mapping.map['winlog.event_data.{field}']) return mapping.map['winlog.event_data.{field}']!.replace('{field}', field.slice(prefix.length));
  return mapping.fallback === null ? null : mapping.fallback.replace('{field}', field);
}
