/**
 * What the raw text of a Windows record (evtx_dump JSON, flat nxlog / Security-Datasets JSON,
 * Winlogbeat) says about its ECS view, derived from the mapping tables (tables/*.ts) and the
 * conversions that run them (convert.ts) — never written per format. hunt/prefilter.ts reads it to
 * decide from a line's text, without parsing it, whether a rule condition can hold on its view.
 *
 * For one table row (a log's EventID):
 * - `constants`: ECS fields every record of the row gets whatever its data (event.category, type,
 *   action, outcome, module, kind, code; host.os.*), as recordToEcs (windows.ts) sets them;
 * - `sources`: for an ECS path, the EventData names whose mapping writes it and a reader giving the
 *   value that mapping writes there from the raw value (the table's own compiled writer, so
 *   conversions — hex pids, `DOMAIN\name`, `\??\` prefixes — are applied exactly as normalization
 *   does). Which paths a writer writes is found by running it on probe values;
 * - `derived`: the row runs multi-field derivations (share paths, registry…): fields other than
 *   the constants and raw EventData cannot be told from the text.
 * The EventID of every shape is written under one of EVENT_ID_KEYS (windows.ts's readers:
 * flat `EventID`/`EventId`, evtx `System.EventID`, Winlogbeat `winlog.event_id`, `event.code`).
 */
import { compileTargets, type CompiledTarget } from './convert.js';
import { TABLES } from './tables/index.js';
import type { ChannelTable } from './tables/types.js';
import { getPath, isBlank, type Obj } from './util.js';

/** The keys a Windows record's EventID is written under, in every shape spoor reads. */
export const EVENT_ID_KEYS: readonly string[] = ['EventID', 'EventId', 'event_id', 'code'];

export interface RawSource {
  /** The EventData name (a key of the raw text). */
  raw: string;
  /** The value normalization writes at the path from this raw value (undefined: none). */
  read: (raw: unknown) => unknown;
}

export interface RawRow {
  module: string;
  id: string;
  categories: readonly string[];
  constants: ReadonlyMap<string, readonly string[]>;
  /** The EventData names whose mapping writes at `path` (empty: none). */
  sources: (path: string) => readonly RawSource[];
  derived: boolean;
}

/** Values the writers are run on to see which paths they write (one per conversion's branch). */
const PROBES: readonly string[] = [
  'C:\\Windows\\a.exe', '"C:\\Windows\\a.exe" -k x', '\\??\\C:\\a.exe', 'DOMAIN\\name', 'SHA1=AA,MD5=BB,SHA256=CC,IMPHASH=DD',
  'Valid', 'Signed', '3', '0x10', 'true', 'false', 'HKLM\\SOFTWARE\\x', '\\REGISTRY\\MACHINE\\x', '%SystemRoot%\\a.exe', '::ffff:1.2.3.4',
];

function leafPaths(o: unknown, prefix: string, out: Set<string>): void {
  if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o as Obj)) leafPaths(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.add(prefix);
}

/** Every path these targets write, probed, plus their declared paths. */
function writtenPaths(targets: readonly CompiledTarget[]): Set<string> {
  const out = new Set<string>();
  for (const t of targets) {
    out.add(t.path.join('.'));
    for (const p of PROBES) {
      const o: Obj = {};
      try {
        t.write(o, p);
      } catch {
        continue;
      }
      leafPaths(o, '', out);
    }
  }
  return out;
}

/** Does writing `written` set `path` or something under or above it? */
function touches(written: string, path: string): boolean {
  return written === path || written.startsWith(path + '.') || path.startsWith(written + '.');
}

function readerOf(targets: readonly CompiledTarget[], path: string[]): (raw: unknown) => unknown {
  return (raw) => {
    if (isBlank(raw)) return undefined;
    const o: Obj = {};
    for (const t of targets) t.write(o, raw);
    return getPath(o, path);
  };
}

const rowCache = new Map<string, readonly RawRow[]>();

/** The rows of every table for this EventID (a record's channel is not read from the text). */
export function rawRows(id: string): readonly RawRow[] {
  let rows = rowCache.get(id);
  if (rows === undefined) {
    rows = TABLES.filter((t) => Object.prototype.hasOwnProperty.call(t.events, id)).map((t) => rowOf(t, id));
    rowCache.set(id, rows);
  }
  return rows;
}

function rowOf(table: ChannelTable, id: string): RawRow {
  const spec = table.events[id]!;
  const constants = new Map<string, readonly string[]>([
    ['event.kind', ['event']],
    ['event.module', [table.module]],
    ['event.code', [id]],
    ['host.os.type', ['windows']],
    ['host.os.family', ['windows']],
    ['host.os.platform', ['windows']],
  ]);
  if (spec.category) constants.set('event.category', spec.category);
  if (spec.type) constants.set('event.type', spec.type);
  if (spec.action !== undefined) constants.set('event.action', [spec.action]);
  if (spec.outcome !== undefined) constants.set('event.outcome', [spec.outcome]);
  const merged = { ...table.fields, ...(spec.fields ?? {}) };
  const writers: { raw: string; targets: CompiledTarget[]; paths: Set<string> }[] = [];
  for (const [raw, target] of Object.entries(merged)) {
    const targets = compileTargets(target);
    if (targets.length > 0) writers.push({ raw, targets, paths: writtenPaths(targets) });
  }
  // Sources of a path, computed on first use and cached.
  const sourceCache = new Map<string, readonly RawSource[]>();
  const sources = (path: string): readonly RawSource[] => {
    let found = sourceCache.get(path);
    if (found === undefined) {
      const parts = path.split('.');
      found = writers.filter((w) => [...w.paths].some((p) => touches(p, path))).map((w) => ({ raw: w.raw, read: readerOf(w.targets, parts) }));
      sourceCache.set(path, found);
    }
    return found;
  };
  for (const [path] of constants) if (sources(path).length > 0) constants.delete(path); // a mapping may set it
  return { module: table.module, id, categories: spec.category ?? [], constants, sources, derived: (spec.derive?.length ?? 0) > 0 };
}
