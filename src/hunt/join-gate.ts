/**
 * Whether a line left unparsed can matter to the state a sequence rule holds now.
 *
 * The prefilter defers lines that can only *join* a sequence (its later stages, missing events
 * after the first, `until`): such an event changes nothing unless its join key equals the key of
 * a partial the rule holds. Most process starts join nothing, and parsing them is most of a
 * hunt's cost. So at detection time, in time order, the rule's held keys are compared with the
 * key values read from the line's text: one key field that normalization never derives (the
 * executable path, not host.id) is read under its JSON key (`"executable": "C:\\x.exe"`),
 * unescaped, folded when the rule joins ignoring case, and looked up among the held keys' values
 * of that field. Anything the text does not show plainly (an array, a number, an object) means
 * "parse it". Keys are assumed unescaped: no JSON writer escapes the ASCII letters of a key.
 */
import type { Expr, Query, Rule, Stage } from '../ir/types.js';
import type { PartValues, QueryRunner } from '../engine/index.js';
import type { DeferredLine } from '../sources/index.js';
import { ECS_DERIVED_FIELDS, rawRows } from '../normalize/index.js';
import { keyPart } from '../engine/values.js';
import { SYSTEM_PREFIXES } from './windows-checks.js';
import { textCheckOf, textMeets, valueAfterKey, type TextCheck } from './text-checks.js';

interface JoinStage {
  category: string | null;
  check: TextCheck | null;
}

export class JoinGate {
  private constructor(
    private readonly stages: readonly JoinStage[],
    /** Number of key parts, and which one is read from the text (-1: none can be). */
    private readonly width: number,
    private readonly keyIndex: number,
    /** The JSON key names (last path step) of that part's field in the joining stages. */
    private readonly keyNames: readonly string[],
    /** That part's field paths (dotted), for Windows records: read through their table rows. */
    private readonly keyPaths: readonly string[],
    private readonly fold: boolean,
    /** Which key part is `host.id` in every joining stage (-1: none), compared with DeferredLine.host. */
    private readonly hostIndex: number,
  ) {}

  /** The gate of a sequence rule, or null for other rules (they take no deferred lines). */
  static of(rule: Rule): JoinGate | null {
    const q = rule.query;
    if (q.kind !== 'sequence') return null;
    const joining = splitStages(q).joins;
    const stages = joining.map((s) => ({ category: s.query.category, check: textCheckOf(s.query.where) }));
    const keys = joining.map((s) => [...q.by, ...s.by]);
    const width = keys[0]?.length ?? 0;
    let keyIndex = -1;
    if (width > 0 && keys.every((k) => k.length === width)) {
      for (let i = width - 1; i >= 0 && keyIndex < 0; i--) if (keys.every((k) => plainField(k[i]!) !== null)) keyIndex = i;
    }
    const keyPaths = keyIndex < 0 ? [] : [...new Set(keys.map((k) => plainField(k[keyIndex]!)!))];
    const keyNames = [...new Set(keyPaths.map((p) => p.slice(p.lastIndexOf('.') + 1)))];
    let hostIndex = -1;
    for (let i = 0; i < width && hostIndex < 0; i++) if (keys.every((k) => isHostId(k[i]!))) hostIndex = i;
    return new JoinGate(stages, width, keyIndex, keyNames, keyPaths, q.caseInsensitiveKeys === true, hostIndex);
  }

  /**
   * Can this deferred line change or complete what `runner` holds now? The held keys' values of
   * a part are kept by the runner as its state changes (engine/held-keys.ts): one lookup each,
   * whatever the number of partials held. A held key with a value holding the separator cannot
   * be split into parts (part() is null): the key part is not compared then.
   */
  mayUse(runner: QueryRunner, line: DeferredLine): boolean {
    // Cheapest first: most of the time the key held is not in the line.
    const held = runner.heldKeys();
    if (held !== null && held.size === 0) return false;
    // A Windows record timed from its parsed text comes with its host (normalization's eventHost,
    // the host.id of its ECS view): no partial of another host can take it.
    if (held !== null && line.host !== undefined && this.hostIndex >= 0) {
      const hosts = held.part(this.hostIndex, this.width);
      if (hosts !== null && !hosts.has(keyPart(line.host, this.fold))) return false;
    }
    if (held !== null && this.keyIndex >= 0) {
      const parts = held.part(this.keyIndex, this.width);
      if (parts !== null && !this.textHolds(line.text, parts) && (line.ids === undefined || !this.rawHolds(line.text, line.ids, parts))) return false;
    }
    // A Windows record's stage checks are written against its ECS view, which its text does not
    // show: only its categories (its table rows' and its own) are compared.
    if (line.ids !== undefined) return this.stages.some((s) => s.category === null || line.categories.includes(s.category));
    return this.stages.some((s) => (s.category === null || line.categories.includes(s.category)) && (s.check === null || textMeets(s.check, line.text)));
  }

  /** Does the text hold, under one of the key names, a value among `parts` (or one it cannot read)? */
  private textHolds(text: string, parts: PartValues): boolean {
    for (const name of this.keyNames) {
      const found = valuesUnder(text, name);
      if (found === null) return true;
      if (found.length === 0) {
        if (parts.has('n')) return true; // a missing field joins as null
        continue;
      }
      for (const v of found) if (parts.has(v === null ? 'n' : 's' + (this.fold ? v.toLowerCase() : v))) return true;
    }
    return false;
  }

  /**
   * For a Windows record (DeferredLine.ids): does some table row of its EventIDs give the key
   * field a value among `parts`, read from the raw EventData keys its mapping writes the field
   * from (through the table's own writer)? True when that cannot be told: no row for an EventID,
   * a row running derivations, a field normalization sets from System data (host.*, winlog.*…),
   * a value that is not a plain string. A field no source of the text
   * gives is missing on that row (the ECS-key values were compared by textHolds).
   */
  private rawHolds(text: string, ids: readonly string[], parts: PartValues): boolean {
    for (const id of ids) {
      const rows = rawRows(id);
      if (rows.length === 0) return true;
      for (const row of rows) {
        if (row.derived) return true;
        for (const path of this.keyPaths) {
          if (SYSTEM_PREFIXES.some((p) => path.startsWith(p))) return true;
          const constant = row.constants.get(path);
          if (constant !== undefined) {
            if (constant.some((c) => parts.has(keyPart(c, this.fold)))) return true;
            continue;
          }
          let any = false;
          for (const src of row.sources(path)) {
            const found = valuesUnder(text, src.raw);
            if (found === null) return true;
            for (const raw of found) {
              any = true;
              const v = src.read(raw);
              if (v !== undefined && v !== null && typeof v !== 'string') return true;
              if (parts.has(keyPart(v, this.fold))) return true;
            }
          }
          if (!any && parts.has('n')) return true;
        }
      }
    }
    return false;
  }
}

/** The values read under one JSON key of the last line asked about, shared by the rules. */
let cachedText = '';
const cachedValues = new Map<string, (string | null)[] | null>();

/**
 * The values of every `"name": …` in the text (a dotted `"a.name"` too): strings unescaped, null
 * for JSON null; [] when the key is absent; null when some value is not a string or null.
 */
function valuesUnder(text: string, name: string): (string | null)[] | null {
  if (text !== cachedText) {
    cachedText = text;
    cachedValues.clear();
  }
  let out = cachedValues.get(name);
  if (out !== undefined) return out;
  out = [];
  const needle = `${name}"`;
  for (let j = valueAfterKey(text, needle, 0); j >= 0; j = valueAfterKey(text, needle, j)) {
    const v = valueAt(text, j);
    if (v === undefined) {
      out = null;
      break;
    }
    out.push(v);
  }
  cachedValues.set(name, out);
  return out;
}

/**
 * A sequence's stages by what an event matching them does: `starts` can begin a sequence (the
 * first stage, and missing-event stages before it, which mark keys for later partials); `joins`
 * can only act on a partial already held under the event's key (the later stages, missing
 * events after the first stage, `until`).
 */
export function splitStages(q: Extract<Query, { kind: 'sequence' }>): { starts: Stage[]; joins: Stage[] } {
  const first = q.stages.findIndex((s) => s.missing !== true);
  return { starts: q.stages.slice(0, first + 1), joins: [...q.stages.slice(first + 1), ...(q.until ? [q.until] : [])] };
}

const isHostId = (e: Expr): boolean => e.kind === 'field' && e.path.length === 2 && e.path[0] === 'host' && e.path[1] === 'id';

/** The path (dotted) of a join field normalization never derives, or null. */
function plainField(e: Expr): string | null {
  if (e.kind !== 'field' || e.path.length === 0 || !e.path.every((s) => typeof s === 'string')) return null;
  const path = e.path as string[];
  if (ECS_DERIVED_FIELDS.has(path.join('.'))) return null;
  const key = path[path.length - 1]!;
  return JSON.stringify(key) === `"${key}"` ? path.join('.') : null;
}

/** The JSON string (unescaped) or null at `i`; undefined for anything else. */
function valueAt(text: string, i: number): string | null | undefined {
  if (text.startsWith('null', i)) return null;
  if (text.charCodeAt(i) !== 34) return undefined;
  let close = i;
  for (;;) {
    close = text.indexOf('"', close + 1);
    if (close < 0) return undefined;
    let slashes = 0;
    while (text.charCodeAt(close - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) break;
  }
  const value = text.slice(i + 1, close);
  if (!value.includes('\\')) return value;
  try {
    return JSON.parse(text.slice(i, close + 1)) as string;
  } catch {
    return undefined;
  }
}
