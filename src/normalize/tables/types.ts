/**
 * The shape of a mapping table: how one Windows log (a channel) turns into ECS.
 *
 * Tables are plain data. A field target is `"[conversion:]ecs.path"`; conversions are the
 * named functions of `normalize/convert.ts` (`int:process.pid`, `user:user`, `hashes:file.hash`…).
 * `null` means "leave this field only in winlog.event_data" (used to cancel a common mapping).
 */

export type FieldTarget = string | null;

/** EventData field name → where its value goes (one or several targets). */
export type FieldMap = Record<string, FieldTarget | string[]>;

/** Multi-field derivations that a single field mapping cannot express (see normalize/derive.ts). */
export type DeriveName = 'sharePath' | 'accessList' | 'objectName' | 'registry' | 'dnsResults';

export interface EventSpec {
  category?: string[];
  type?: string[];
  action?: string;
  outcome?: string;
  /** Mappings for this event id; they replace the table's common mapping of the same field. */
  fields?: FieldMap;
  derive?: DeriveName[];
}

export interface ChannelTable {
  /** event.module */
  module: string;
  /** Channel names (compared lower-case) this table applies to. */
  channels: string[];
  /** Provider names that identify this log when the channel is missing (flat logs). */
  providers: string[];
  /** Field mappings for every event of the channel. */
  fields: FieldMap;
  /** Per event id categorisation and overrides. */
  events: Record<string, EventSpec>;
  /** When set, @timestamp comes from this EventData field if present (Sysmon: UtcTime, as Elastic does). */
  timeField?: string;
}
