/**
 * Endgame events (`event_type`, `serial_event_id`, FILETIME `timestamp`, `process_path`…).
 * The ECS view keeps every original field (the EQL conformance suites query them by their
 * Endgame names, as Elasticsearch's `endgame-140` index does through aliases) and adds ECS.
 */
import { formatInstant, fromFiletime, parseTimestamp, type Instant } from '../events/timestamp.js';
import { deriveCommon } from './derive.js';
import { isBlank, setPath, text, toInt, type Obj } from './util.js';

/** Endgame subtype → ECS event.type, per event_type. */
const SUBTYPE_TO_TYPE: Record<string, Record<string, string>> = {
  process: { create: 'start', terminate: 'end', already_running: 'info' },
  file: { create: 'creation', delete: 'deletion', modify: 'change', rename: 'change', overwrite: 'change' },
  registry: { modify: 'change', create: 'creation', delete: 'deletion' },
  network: { outgoing: 'start', incoming: 'start', disconnect: 'end' },
};

/** Endgame field → ECS path, copied (as long as the value is not blank). */
const FIELD_MAP: ReadonlyArray<[string, string[], 'int'?]> = [
  ['pid', ['process', 'pid'], 'int'],
  ['ppid', ['process', 'parent', 'pid'], 'int'],
  ['unique_pid', ['process', 'entity_id']],
  ['unique_ppid', ['process', 'parent', 'entity_id']],
  ['process_path', ['process', 'executable']],
  ['process_name', ['process', 'name']],
  ['command_line', ['process', 'command_line']],
  ['parent_process_path', ['process', 'parent', 'executable']],
  ['parent_process_name', ['process', 'parent', 'name']],
  ['exit_code', ['process', 'exit_code'], 'int'],
  ['md5', ['process', 'hash', 'md5']],
  ['original_file_name', ['process', 'pe', 'original_file_name']],
  ['user_name', ['user', 'name']],
  ['user_domain', ['user', 'domain']],
  ['file_path', ['file', 'path']],
  ['file_name', ['file', 'name']],
  ['registry_path', ['registry', 'path']],
  ['registry_key', ['registry', 'key']],
  ['registry_value', ['registry', 'value']],
  ['query_name', ['dns', 'question', 'name']],
  ['source_address', ['source', 'ip']],
  ['source_port', ['source', 'port'], 'int'],
  ['destination_address', ['destination', 'ip']],
  ['destination_port', ['destination', 'port'], 'int'],
  ['protocol', ['network', 'transport']],
  ['hostname', ['host', 'name']],
];

/** Endgame `timestamp` is always a FILETIME (even the 1970 epoch value the test data starts with). */
export function endgameTime(ev: Obj): Instant | null {
  const ts = ev['timestamp'];
  if (typeof ts === 'bigint') return fromFiletime(ts);
  if (typeof ts === 'number' && Number.isInteger(ts) && ts > 0) return fromFiletime(BigInt(ts));
  if (typeof ts === 'string' && /^\d+$/.test(ts)) return fromFiletime(ts);
  return parseTimestamp(ts) ?? parseTimestamp(ev['@timestamp']);
}

export function endgameToEcs(ev: Obj, time: Instant | null): Obj {
  const out: Obj = { ...ev };
  if (time && out['@timestamp'] === undefined) out['@timestamp'] = formatInstant(time);
  const eventType = text(ev['event_type']);
  const event: Obj = { kind: 'event' };
  if (eventType !== undefined) event['category'] = eventType;
  const seq = toInt(ev['serial_event_id']);
  if (seq !== undefined) event['sequence'] = seq;
  const subtype = text(ev['subtype']);
  const type = eventType && subtype ? SUBTYPE_TO_TYPE[eventType]?.[subtype] : undefined;
  if (type) event['type'] = [type];
  if (subtype !== undefined) event['action'] = subtype;
  if (out['event'] === undefined) out['event'] = event;
  for (const [from, to, conv] of FIELD_MAP) {
    const v = ev[from];
    if (isBlank(v)) continue;
    // Never replace an original top-level field of the same name as the ECS object.
    if (ev[to[0]!] !== undefined) continue;
    setPath(out, to, conv === 'int' ? (toInt(v) ?? v) : v);
  }
  if (out['host'] === undefined || typeof out['host'] === 'object') setPath(out, ['host', 'os', 'type'], 'windows');
  const name = text(ev['hostname']);
  if (name !== undefined && ev['host'] === undefined) setPath(out, ['host', 'id'], name.toLowerCase());
  deriveCommon(out);
  return out;
}
