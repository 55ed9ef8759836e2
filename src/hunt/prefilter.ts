/**
 * Skipping the parse of NDJSON lines no rule can match, and deferring those that can only join.
 *
 * When every stage of every rule needs either an ECS event category (`process where …`) or an
 * `event.code` (`any where event.code : "5145" …`), as in the built-in pack, each line gets one
 * of three decisions, made from its text:
 * - PARSE when its single `"category"` value names a category some stage wants and its text meets
 *   that stage's text checks (text-checks.ts: `event.type == "start"`, `process.pid == 4`…) — or
 *   when it holds a wanted event code, a sign of another document shape (Winlogbeat, evtx_dump,
 *   flat Windows records, Endgame: their ECS view is built from other fields), an escape a writer
 *   may have used for a text looked for, several or no `"category"` keys, or does not end with
 *   `}` (it may be truncated: parsing reports it);
 * - DEFER when only stages that join held state (a sequence's later stages, missing events after
 *   its first stage, `until`) want it: the detector decides in time order (join-gate.ts);
 * - SKIP otherwise: counted as read, never parsed.
 */
import type { EventQuery, Expr, Rule, Stage } from '../ir/types.js';
import { eventHost, eventTime, rawRows, settleEventTime, type RawRow } from '../normalize/index.js';
import type { Instant } from '../events/timestamp.js';
import { jsonDepthExceeds, parseJsonExact } from '../events/json.js';
import { mayHoldBigLiteral } from '../sources/big-integers.js';
import { valueToEvents } from '../sources/unwrap.js';
import type { SourceEvent } from '../sources/types.js';
import { DEFER, filterKeeps, PARSE, SKIP, type DeferredTimer, type LineDecision, type LineFilter } from '../sources/index.js';
import { anyOf, escapesFor, textCheckOf, textMeets, valueAfterKey, type TextCheck } from './text-checks.js';
import { checkOnRow, type RowCheck } from './windows-checks.js';
import { splitStages } from './join-gate.js';
import { SigmaTextGate } from './sigma-text.js';
import { SYSMON_EQUIVALENT } from '../normalize/tables/reverse.js';
import { toInt } from '../normalize/util.js';
import { EVENT_ID_KEYS } from '../normalize/raw-keys.js';

/** The overlap's filter can narrow as the rules' pending state expires. */
export interface OverlapFilter extends LineFilter {
  /** From now on keep only the lines these rules (by id) can still use. */
  narrow(pending: ReadonlySet<string>): void;
}

/** Line filter factories: for a part's own lines, and for the overlap read past its end. */
export interface PartFilters {
  main: () => LineFilter;
  /**
   * Overlap lines only matter when they can continue a sequence started before the split: the
   * stages after the first (and `until`) of the rules with something pending.
   */
  overlap: () => OverlapFilter;
}

/**
 * Line filters for these rules, or null when prefiltering cannot be exact. `writerContext`
 * (default true): keep the share and logon events hunt's writer context reads; `spoor query`
 * has no writer context and passes false.
 */
export function ruleLineFilters(rules: Rule[], contextEvents: number, opts: { writerContext?: boolean } = {}): PartFilters | null {
  if (contextEvents > 0 || rules.length === 0) return null; // the report's timelines want every event
  // Sigma rules (the native view) are judged on the text by their necessary literals (sigma-text.ts).
  const nativeRules = rules.filter((r) => r.view === 'native');
  if (nativeRules.length > 0 && !SigmaTextGate.applies(nativeRules)) return null;
  // Built on the first line filter asked for: a run over EVTX, XML or JSON arrays asks for none
  // (with 2,407 SigmaHQ rules the gate took ~0.5 s per thread).
  let gate: SigmaTextGate | null | undefined;
  const sigma = (): SigmaTextGate | null => (gate ??= nativeRules.length > 0 ? SigmaTextGate.of(nativeRules) : null);
  // The writer context (alert/writer-context.ts) reads share and logon events whatever the rules.
  const main = needs(opts.writerContext === false ? [] : WRITER_CODES);
  const later = new Map<string, Needs>();
  for (const r of rules) {
    if (r.view === 'native') continue;
    // An Elastic rule reading its category from another field (event_category_override): the
    // line's event.category says nothing about it.
    if (r.view !== 'ecs' || usesLineage(r) || r.meta?.categoryField !== undefined) return null;
    const q = r.query;
    const n = later.get(r.id) ?? needs();
    later.set(r.id, n);
    if (q.kind === 'event') {
      if (!addNeeds([q.query], main, false)) return null;
    } else if (q.kind === 'sequence') {
      // What starts a sequence is parsed; what can only join held state may wait for the
      // detector to check the keys held (join-gate.ts).
      const split = splitStages(q);
      const starts = split.starts.map((s: Stage) => s.query);
      const joins = split.joins.map((s: Stage) => s.query);
      // A first stage repeated (runs=N) also continues a sequence.
      const first = split.starts[split.starts.length - 1];
      const repeated = first && (first.runs ?? 1) > 1 ? [first.query] : [];
      if (!addNeeds(starts, main, false) || !addNeeds(joins, main, true)) return null;
      if (!addNeeds(repeated, n, false) || !addNeeds(joins, n, true)) return null;
    } else return null;
  }
  const overlapNeeds = (ids: ReadonlySet<string> | null): Needs => {
    const u = needs();
    for (const [id, n] of later) if (ids === null || ids.has(id)) mergeNeeds(u, n);
    return u;
  };
  return {
    main: () => {
      const g = sigma();
      return Object.assign(g ? withSigma(lineKeeper(main), g) : lineKeeper(main), { skipped: 0 });
    },
    overlap: () => {
      // Time probes on top; the categories of a deferred line are passed on from the keeper.
      const probing = (k: Keeper): Pick<LineFilter, 'needles' | 'keep'> => {
        const keep = withTimeProbes(k.keep);
        const deferring: LineFilter['keep'] = (line, found) => {
          const d = keep(line, found);
          if (d === DEFER) {
            f.deferredCategories = k.deferredCategories;
            f.deferredIds = k.deferredIds;
            f.deferredTimeOf = k.deferredTimeOf;
          }
          return d;
        };
        return { needles: k.needles, keep: deferring };
      };
      const f: OverlapFilter = {
        skipped: 0,
        ...probing(lineKeeper(overlapNeeds(null))),
        narrow(pending) {
          Object.assign(f, probing(lineKeeper(overlapNeeds(pending))));
        },
      };
      return f;
    },
  };
}

/** Security events that name who wrote a file over SMB (alert/writer-context.ts). */
const WRITER_CODES = ['5140', '5145', '4624'];

/**
 * What lines a set of stage queries needs: per wanted category, the text checks of its stages
 * (null: that stage wants every line of the category), those of stages that can only join held
 * state apart (`joins`: their lines may be deferred), and the event codes of `any` stages.
 */
interface Needs {
  categories: Map<string, (TextCheck | null)[]>;
  joins: Map<string, (TextCheck | null)[]>;
  codes: Set<string>;
}

const needs = (codes: readonly string[] = []): Needs => ({ categories: new Map(), joins: new Map(), codes: new Set(codes) });

function addCheck(m: Map<string, (TextCheck | null)[]>, category: string, check: TextCheck | null): void {
  const have = m.get(category);
  if (have === undefined) m.set(category, [check]);
  else have.push(check);
}

function mergeNeeds(into: Needs, from: Needs): void {
  for (const [c, checks] of from.categories) for (const k of checks) addCheck(into.categories, c, k);
  for (const [c, checks] of from.joins) for (const k of checks) addCheck(into.joins, c, k);
  for (const c of from.codes) into.codes.add(c);
}

/** Endgame lineage (`descendant of`) tracks every process event, whatever the stages match. */
function usesLineage(r: Rule): boolean {
  return JSON.stringify(r.query, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).includes('"lineage"');
}

/**
 * Add what these queries need to `n` (`joins`: as stages that only join held state); false when
 * one needs neither a category nor an event code.
 */
function addNeeds(queries: EventQuery[], n: Needs, joins: boolean): boolean {
  for (const eq of queries) {
    if (eq.category !== null) addCheck(joins ? n.joins : n.categories, eq.category, textCheckOf(eq.where));
    else {
      const c = eventCodes(eq.where);
      if (!c) return false;
      for (const x of c) n.codes.add(x);
    }
  }
  return true;
}

const EVENT_CODE = (e: Expr): boolean => e.kind === 'field' && e.path.length === 2 && e.path[0] === 'event' && e.path[1] === 'code';

/** The literal `event.code` values a condition requires (a top-level conjunct), or null. */
function eventCodes(e: Expr): string[] | null {
  const conjuncts = e.kind === 'and' ? e.exprs : [e];
  for (const c of conjuncts) {
    if (c.kind === 'wildcard' && EVENT_CODE(c.expr) && c.patterns.every((p) => p.length === 1 && p[0]!.t === 'lit')) {
      return c.patterns.map((p) => (p[0] as { v: string }).v);
    }
    if (c.kind === 'in' && !c.negated && EVENT_CODE(c.expr) && c.values.every((v) => v.kind === 'literal')) {
      return c.values.map((v) => String((v as { value: unknown }).value));
    }
    if (c.kind === 'compare' && c.op === '==' && EVENT_CODE(c.left) && c.right.kind === 'literal') return [String(c.right.value)];
  }
  return null;
}

/**
 * Lines holding any of these may be Windows records whose ECS view normalization builds from
 * EventData through the mapping tables (`winlog`: Winlogbeat, also with dotted keys; `Event`:
 * evtx_dump's Event.System and flat records' EventID/EventId; `_data"`: Winlogbeat 6 event_data).
 * They are decided by their EventID and the checks carried over to their raw keys
 * (windows-checks.ts, normalize/raw-keys.ts). Each starts with a character that is rare in ECS
 * JSON: the reader finds them in a block of text at several GB/s (a leading quote would make it
 * 5x slower).
 */
const WINDOWS_SHAPES = ['winlog', 'Event', '_data"'];
/** Bits of WINDOWS_SHAPES in what windowsKeeper is given. */
const WINLOG_BIT = 1;
/** Set for every line with an `Event…` key: evtx_dump's `Event`, flat records' `EventID`/`EventId`. */
const EVENT_BIT = 2;
const EVENT_DATA_BIT = 4;

/**
 * Lines holding any of these are parsed whatever their category: Endgame's `event_type`, whose
 * ECS view is built from other fields. Escapes a writer may have used for what the checks look
 * for come on top.
 */
const OTHER_SHAPES = ['_type"'];

/** The end of the `"category"` key: its rare first letter makes it quick to find. */
const CATEGORY_END = 'gory"';

/**
 * Overlap filters let one line in this many through even when they reject it: its time tells
 * the overlap reader when to stop, which it could not see if every line were skipped.
 */
export const TIME_PROBE_EVERY = 256;

/** What a reader's filter decides with (see LineFilter). */
type Keeper = Pick<LineFilter, 'needles' | 'keep' | 'deferredCategories' | 'deferredIds' | 'deferredTimeOf'> & Partial<Pick<KeyedFilter, 'keyedNeedles' | 'keepKeyed'>>;

/**
 * A filter that can also decide the line of a document serve's ingest scan read
 * (serve/scan-doc.ts: a plain ECS / Elastic Defend event; ScannedDoc.tkey holds its
 * event.category and event.code as written): by those, not by looking for them in the text.
 * Such a document has none of the top-level keys that make normalization treat it as another
 * flavour (Windows records, Endgame), so its ECS view takes event.category and event.code from
 * it unchanged and the rules gate on exactly those: the decision is `keep`'s for a line whose one
 * `"category"` key is event.category, and a sound one for the lines `keep` parses for their
 * other `"category"` or `code` keys or their Windows-looking text. The escapes a writer may have
 * used for what the checks look for (`keyedNeedles`) still make it parse the line.
 */
export interface KeyedFilter extends LineFilter {
  keyedNeedles: readonly string[];
  /** `found`: bit k for keyedNeedles[k]; `category`, `code`: JSON text as written ('\u0002': absent). */
  keepKeyed(line: string, found: number, category: string, code: string): LineDecision;
}

/** Does this filter decide a scanned document by its key's fields too? */
export function isKeyed(f: LineFilter): f is KeyedFilter {
  return typeof (f as Partial<KeyedFilter>).keepKeyed === 'function';
}

/**
 * Whether event.code written as `text` ('\u0002': absent) may be one of `codes`: as the text
 * check on the `code` key reads a value (text-checks.ts valueMeets: a plain string compared
 * ignoring case; a number, or anything not read here, may be).
 */
function codeWanted(text: string, codes: readonly unknown[]): boolean {
  const c = text.charCodeAt(0);
  if (c === 2 /* absent */) return false;
  if (c !== 34 /* " */ || text.charCodeAt(text.length - 1) !== 34 || text.length < 2) return true;
  const v = text.slice(1, -1);
  if (v.includes('\\')) return true;
  const low = v.toLowerCase();
  for (const x of codes) if (typeof x !== 'string' || x === low) return true;
  return false;
}

/**
 * The needs' checks, simplified (anyOf) once per Needs: a hunt builds a filter for every file it
 * reads, and simplifying again for each of 3,000 small files took 8% of the hunt. A Needs is
 * complete before its first filter is made (ruleLineFilters) and not changed afterwards.
 */
const simplifiedNeeds = new WeakMap<Needs, { categories: Map<string, TextCheck | null>; joins: Map<string, TextCheck | null> }>();

function simplified(n: Needs): { categories: Map<string, TextCheck | null>; joins: Map<string, TextCheck | null> } {
  let s = simplifiedNeeds.get(n);
  if (s === undefined) {
    const simplify = (m: Map<string, (TextCheck | null)[]>): Map<string, TextCheck | null> => new Map([...m].map(([c, alternatives]) => [c, anyOf(alternatives)]));
    s = { categories: simplify(n.categories), joins: simplify(n.joins) };
    simplifiedNeeds.set(n, s);
  }
  return s;
}

/** The reader's filter for these needs (see LineFilter). */
export function lineKeeper(n: Needs): Keeper {
  if (n.categories.size === 0 && n.joins.size === 0) {
    // Only event codes. Every shape writes them as plain digits (event.code, winlog.event_id,
    // EventID), so the reader's search for the codes alone finds every line that can match.
    const codeList = [...n.codes];
    return {
      needles: codeList,
      keep: (line, found) => (found !== 0 || !complete(line) ? PARSE : SKIP),
      keyedNeedles: [],
      keepKeyed: (line, _found, _category, code) => (codeWanted(code, codeList) || !complete(line) ? PARSE : SKIP),
    };
  }
  const { categories, joins } = simplified(n);
  const checks = [...categories.values(), ...joins.values()].filter((c): c is TextCheck => c !== null);
  const escapes = escapesFor(checks);
  const always = [...OTHER_SHAPES, ...escapes];
  const parseAll = (1 << always.length) - 1;
  const windowsShape0 = (1 << WINDOWS_SHAPES.length) - 1;
  const windowsShape = windowsShape0 << always.length;
  const windows = windowsKeeper(categories, joins, n.codes, (cats, ids, timeOf) => {
    filter.deferredCategories = cats;
    filter.deferredIds = ids;
    filter.deferredTimeOf = timeOf;
  });
  // Lines without a `code"` key cannot have a wanted event.code: skip the check on them.
  const codes: TextCheck | null = n.codes.size > 0 ? { kind: 'value', key: 'code', values: [...n.codes], ci: true } : null;
  const codeKey = 1 << (always.length + WINDOWS_SHAPES.length);
  const filter: Keeper = {
    needles: codes ? [...always, ...WINDOWS_SHAPES, 'code"'] : [...always, ...WINDOWS_SHAPES],
    keep(line, found) {
      if ((found & parseAll) !== 0 || !complete(line)) return PARSE;
      // xmltodict's records (`"Data":[{"@Name":"Image","#text":…}]`) hold EventData values under no
      // key of their own: the raw-key checks cannot read them, so such a line is parsed. Searched
      // from its rare `@` (with the leading quote, the search cost 1 µs per nxlog line, 10× more).
      if ((found & windowsShape) !== 0) return line.includes('@Name"') ? PARSE : windows(line, (found >> always.length) & windowsShape0);
      const end = line.indexOf(CATEGORY_END);
      // Exactly one key named "category" (a second one, or a "subcategory", keeps the line).
      if (end < 5 || !line.startsWith('"cate', end - 5) || line.indexOf(CATEGORY_END, end + 5) >= 0) return PARSE;
      return decide(line, categoryValues(line, end + CATEGORY_END.length), found, null);
    },
    keyedNeedles: escapes,
    keepKeyed(line, found, category, code) {
      if (found !== 0 || !complete(line)) return PARSE;
      return decide(line, valuesAt(category, 0), 0, code);
    },
  };
  /**
   * The decision for a line whose event.category values are `values` (null: not read); its
   * event.code is `keyedCode` as written (keepKeyed), or null: looked for in the text.
   */
  const decide = (line: string, values: string[] | null, found: number, keyedCode: string | null): LineDecision => {
    if (values === null) return PARSE;
    let joinsHeld = false;
    for (const v of values) {
      const check = categories.get(v);
      if (check === null || (check !== undefined && textMeets(check, line))) return PARSE;
      const join = joins.get(v);
      if (join === null || (join !== undefined && textMeets(join, line))) joinsHeld = true;
    }
    // An `any where event.code : …` stage, or the writer context, wants the event by its code.
    if (codes !== null && (keyedCode !== null ? codeWanted(keyedCode, codes.values) : (found & codeKey) !== 0 && textMeets(codes, line))) return PARSE;
    if (!joinsHeld) return SKIP;
    filter.deferredCategories = values;
    filter.deferredIds = undefined;
    filter.deferredTimeOf = undefined;
    return DEFER;
  };
  return filter;
}

/**
 * The decision for a line that may be a Windows record: PARSE when one of its EventIDs (every
 * occurrence of every key a shape writes it under) has a table row whose category — or a
 * category the document names itself — some stage wants and whose carried-over check the text
 * meets, or when it is a wanted event code; PARSE too when no EventID or category can be read.
 * A line only stages that join held state want is DEFERRED (`deferred` gets its categories and
 * EventIDs; the join gate reads its key through the same table rows), with how its exact time is
 * read: a line that holds no `Event` (so it cannot be an evtx_dump or flat record, whose time
 * normalization takes from other fields) by its leading `@timestamp`, as any deferred line (the
 * reader parses it when that is not its first key); any other by `recordTime` (normalization's
 * own time of the parsed record; the event itself is dropped until the join gate wants it).
 */
function windowsKeeper(
  categories: ReadonlyMap<string, TextCheck | null>,
  joins: ReadonlyMap<string, TextCheck | null>,
  codes: ReadonlySet<string>,
  deferred: (categories: readonly string[], ids: readonly string[], timeOf: DeferredTimer | undefined) => void,
): (line: string, found: number) => LineDecision {
  interface Row {
    categories: readonly string[];
    checks: Map<string, RowCheck>;
    joins: Map<string, RowCheck>;
  }
  const perId = new Map<string, Row[]>();
  const noRow: RawRow = { module: '', id: '', categories: [], constants: new Map(), sources: () => [], derived: false };
  const onRow = (m: ReadonlyMap<string, TextCheck | null>, row: RawRow): Map<string, RowCheck> => {
    const checks = new Map<string, RowCheck>();
    for (const [c, alternative] of m) checks.set(c, checkOnRow(alternative, row));
    return checks;
  };
  const rowsOf = (id: string): Row[] => {
    let rows = perId.get(id);
    if (rows === undefined) {
      const found = rawRows(id);
      rows = (found.length > 0 ? found : [noRow]).map((row) => ({ categories: row.categories, checks: onRow(categories, row), joins: onRow(joins, row) }));
      perId.set(id, rows);
    }
    return rows;
  };
  const meets = (t: RowCheck | undefined, line: string): boolean => t !== undefined && t !== false && (t === true || textMeets(t, line));
  return (line, found) => {
    const winlogbeat = (found & WINLOG_BIT) !== 0;
    const event = (found & EVENT_BIT) !== 0;
    const ids = eventIdsOf(line, event, winlogbeat, (found & EVENT_DATA_BIT) !== 0);
    if (ids === null || ids.length === 0) return PARSE;
    // A document's own event.category wins only in Winlogbeat 7+ (completed in place); other
    // Windows shapes get a new view whose category comes from the table.
    const own = winlogbeat ? ownCategories(line) : [];
    if (own === null) return PARSE;
    let joinsHeld = false;
    for (const id of ids) {
      if (codes.has(id)) return PARSE;
      for (const row of rowsOf(id)) {
        for (const list of [row.categories, own]) {
          for (const c of list) {
            if (meets(row.checks.get(c), line)) return PARSE;
            if (!joinsHeld && meets(row.joins.get(c), line)) joinsHeld = true;
          }
        }
      }
    }
    if (!joinsHeld) return SKIP;
    const cats = new Set<string>(own);
    for (const id of ids) for (const row of rowsOf(id)) for (const c of row.categories) cats.add(c);
    deferred([...cats], ids, event ? recordTime : undefined);
    return DEFER;
  };
}

/**
 * Every EventID value in the text, or null when one cannot be read. Keys are searched only where
 * normalization reads them (each search reads the whole line, as costly as a tenth of parsing
 * it): `EventID` (evtx, flat; `EventId` only when there is no `EventID`, as fromFlat reads
 * them) only in lines holding `Event` (`event`, from the reader's block search); `event_id` for
 * Winlogbeat (`winlog`) and Winlogbeat 6 (`event_data`); `code` — the document's own
 * event.code, kept by normalization — only for Winlogbeat 7+.
 */
function eventIdsOf(line: string, event: boolean, winlogbeat: boolean, winlogbeat6: boolean): string[] | null {
  const out: string[] = [];
  if (event && !readIds(line, 'EventID"', out)) return null;
  if (event && out.length === 0 && !readIds(line, 'EventId"', out)) return null;
  if ((winlogbeat || winlogbeat6) && !readIds(line, 'event_id"', out)) return null;
  if (winlogbeat && !readIds(line, 'code"', out)) return null;
  return out;
}

/** Add the values of every `needle` key to `out`; false when one cannot be read. */
function readIds(line: string, needle: string, out: string[]): boolean {
  for (let j = valueAfterKey(line, needle, 0); j >= 0; j = valueAfterKey(line, needle, j)) {
    let at = j;
    if (line.charCodeAt(at) === 123 /* { */) {
      // evtx_dump: {"#attributes":{…},"#text":N}
      const close = line.indexOf('}', at);
      if (close < 0 || !line.startsWith('{"#attributes":{', at) || !line.startsWith(',"#text":', close + 1)) return false;
      at = close + 1 + ',"#text":'.length;
    }
    const v = scalarText(line, at);
    if (v === null) return false;
    out.push(v);
  }
  return true;
}

/** A plain string's or a number's text at `i`; null otherwise. */
function scalarText(line: string, i: number): string | null {
  const ch = line.charCodeAt(i);
  if (ch === 34) {
    const close = line.indexOf('"', i + 1);
    if (close < 0) return null;
    const v = line.slice(i + 1, close);
    return v.includes('\\') ? null : v.trim();
  }
  let j = i;
  while (j < line.length) {
    const c = line.charCodeAt(j);
    if (!(c >= 48 && c <= 57)) break;
    j++;
  }
  return j > i ? line.slice(i, j) : null;
}

/** The values of every `"category"` key (a Winlogbeat document's own); null when one cannot be read. */
function ownCategories(line: string): string[] | null {
  const out: string[] = [];
  for (let j = valueAfterKey(line, 'category"', 0); j >= 0; j = valueAfterKey(line, 'category"', j)) {
    let k = j - 1;
    while (line.charCodeAt(k) !== 58 /* : */) k--;
    const v = categoryValues(line, k);
    if (v === null) return null;
    out.push(...v);
  }
  return out;
}

/**
 * The exact time of a deferred Windows record whose time is not its leading `@timestamp`: the
 * line parsed as the reader parses it (exactly; unwrapped as parseDeferred unwraps it) and timed
 * by normalization itself (eventTime: the clock counts the zone-less time it read, once — when
 * the join gate has the line parsed again, its time is settled without counting), with its host
 * (for the blind-spot tally of a line never parsed again). The parsed
 * event is dropped: keeping it would cost the garbage collector more than parsing again the few
 * lines the join gate wants. Null when the line does not give one event with a time: the reader
 * then parses it for good.
 */
const recordTime: DeferredTimer = Object.assign(
  (line: string): { time: Instant; host: string | null } | null => {
    if (jsonDepthExceeds(line)) return null;
    let value: unknown;
    try {
      value = mayHoldBigLiteral(line) ? parseJsonExact(line) : JSON.parse(line);
    } catch {
      return null;
    }
    const out: SourceEvent[] = [];
    if (valueToEvents(value, '', 0, out) !== undefined || out.length !== 1) return null;
    const ev = out[0]!.event;
    const time = eventTime(ev);
    return time === null ? null : { time, host: eventHost(ev) };
  },
  { parsed: settleEventTime },
);

/**
 * `k`, parsing too the lines some Sigma rule can match (sigma-text.ts). A line `k` defers but a
 * Sigma rule wants is parsed: every rule sees a parsed line, as without the prefilter.
 */
function withSigma(k: Keeper, sigma: SigmaTextGate): Keeper {
  const f: Keeper = {
    needles: k.needles,
    keep(line, found) {
      const d = k.keep(line, found);
      if (d === PARSE || sigma.wants(line, nativeEventIds)) return PARSE;
      if (d === DEFER) {
        f.deferredCategories = k.deferredCategories;
        f.deferredIds = k.deferredIds;
        f.deferredTimeOf = k.deferredTimeOf;
      }
      return d;
    },
  };
  return f;
}

/**
 * Every EventID the native view of this line may have, or null when one cannot be read: the
 * values of every key a shape writes it under (normalize/raw-keys.ts EVENT_ID_KEYS: `EventID`,
 * `EventId`, `event_id`, and `code` — an ECS document's event.code), read as normalization reads them (toInt), plus the Sysmon
 * equivalents an ECS document without a code may be given for its `category` values (all of
 * them when one cannot be read; normalize/ecs.ts sysmonEquivalent).
 */
function nativeEventIds(line: string): number[] | null {
  const texts: string[] = [];
  for (const key of NATIVE_ID_KEYS) if (!readIds(line, key, texts)) return null;
  const out: number[] = [];
  const cats = ownCategories(line);
  for (const e of SYSMON_EQUIVALENT) if (cats === null || cats.includes(e.category)) out.push(e.id);
  for (const t of texts) {
    const n = toInt(t);
    if (n === undefined) return null;
    out.push(n);
  }
  return out;
}
/** The keys of normalize/raw-keys.ts EVENT_ID_KEYS as they stand in a line (name + closing quote). */
const NATIVE_ID_KEYS = EVENT_ID_KEYS.map((k) => `${k}"`);

/** `keep`, letting one rejected line in TIME_PROBE_EVERY through (see there). */
function withTimeProbes(keep: LineFilter['keep']): LineFilter['keep'] {
  let rejected = 0;
  return (line, found) => {
    const d = keep(line, found);
    if (d !== SKIP || ++rejected < TIME_PROBE_EVERY) return d;
    rejected = 0;
    return PARSE;
  };
}

/** A line that does not end with `}` may be truncated: parsing it reports it. */
function complete(line: string): boolean {
  return line.charCodeAt(line.length - 1) === 125 /* } */;
}

/** One-off decision for a line, as the reader makes it, wanting every line of `categories` (tests, tools). */
export function keepLine(line: string, categories: ReadonlySet<string>, codes: readonly string[] = []): boolean {
  const n = needs(codes);
  for (const c of categories) addCheck(n.categories, c, null);
  return filterKeeps({ skipped: 0, ...lineKeeper(n) }, line);
}

/** The plain string values of the `"category"` key whose name ends at `i`; null: not a shape we read. */
function categoryValues(line: string, i: number): string[] | null {
  while (line.charCodeAt(i) === 32) i++;
  if (line.charCodeAt(i) !== 58 /* : */) return null;
  i++;
  while (line.charCodeAt(i) === 32) i++;
  return valuesAt(line, i);
}

/** The plain string values of the JSON string or array of strings at `i`; null: not a shape we read. */
function valuesAt(line: string, i: number): string[] | null {
  const open = line.charCodeAt(i);
  if (open === 34 /* " */) {
    const v = readString(line, i);
    return v === null ? null : [v.value];
  }
  if (open !== 91 /* [ */) return null;
  i++;
  const out: string[] = [];
  for (;;) {
    while (line.charCodeAt(i) === 32) i++;
    if (line.charCodeAt(i) === 93 /* ] */) return out;
    const v = readString(line, i);
    if (v === null) return null;
    out.push(v.value);
    i = v.end;
    while (line.charCodeAt(i) === 32) i++;
    const c = line.charCodeAt(i);
    if (c === 44 /* , */) i++;
    else return c === 93 ? out : null;
  }
}

/** A plain JSON string starting at `i` (the quote); null when it holds an escape or is unterminated. */
function readString(line: string, i: number): { value: string; end: number } | null {
  if (line.charCodeAt(i) !== 34) return null;
  const close = line.indexOf('"', i + 1);
  if (close < 0) return null;
  const value = line.slice(i + 1, close);
  if (value.includes('\\')) return null;
  return { value, end: close + 1 };
}
