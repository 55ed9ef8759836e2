/**
 * Skipping the parse of NDJSON lines no rule can match.
 *
 * When every stage of every rule needs either an ECS event category (`process where …`) or an
 * `event.code` (`any where event.code : "5145" …`), as in the built-in pack, a line whose single
 * `"category"` value names none of those categories and whose text holds none of those codes
 * cannot produce a match: it is counted as read but never parsed. Anything unusual keeps the
 * line: no or several `"category"` keys, an escape, a line that does not end with `}` (it may be
 * truncated: parsing reports it), and Windows event log documents (`"winlog"`), whose category
 * normalization may derive.
 */
import type { EventQuery, Expr, Rule, Stage } from '../ir/types.js';
import type { LineFilter } from '../sources/index.js';

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

/** Line filters for these rules, or null when prefiltering cannot be exact. */
export function categoryPrefilter(rules: Rule[], contextEvents: number): PartFilters | null {
  if (contextEvents > 0 || rules.length === 0) return null; // the report's timelines want every event
  // The writer context (alert/writer-context.ts) reads share and logon events whatever the rules.
  const main: Needs = { categories: new Set<string>(), codes: new Set(WRITER_CODES) };
  const later = new Map<string, Needs>();
  for (const r of rules) {
    if (r.view !== 'ecs') return null;
    const q = r.query;
    let all: EventQuery[];
    let cont: EventQuery[];
    if (q.kind === 'event') {
      all = [q.query];
      cont = [];
    } else if (q.kind === 'sequence') {
      const until = q.until ? [q.until.query] : [];
      all = [...q.stages.map((s: Stage) => s.query), ...until];
      // A first stage repeated (runs=N) also continues a sequence.
      const first = q.stages[0]!;
      cont = [...((first.runs ?? 1) > 1 ? [first.query] : []), ...q.stages.slice(1).map((s: Stage) => s.query), ...until];
    } else return null;
    const n = later.get(r.id) ?? needs();
    later.set(r.id, n);
    if (!addNeeds(all, main) || !addNeeds(cont, n)) return null;
  }
  const keeper = (ids: ReadonlySet<string> | null): ((line: string) => boolean) => {
    const u = needs();
    for (const [id, n] of later) {
      if (ids !== null && !ids.has(id)) continue;
      for (const c of n.categories) u.categories.add(c);
      for (const c of n.codes) u.codes.add(c);
    }
    return lineKeeper(u.categories, [...u.codes]);
  };
  const all = keeper(null);
  return {
    main: () => ({ skipped: 0, keep: lineKeeper(main.categories, [...main.codes]) }),
    overlap: () => {
      const f: OverlapFilter = {
        skipped: 0,
        keep: all,
        narrow(pending) {
          f.keep = keeper(pending);
        },
      };
      return f;
    },
  };
}

/** Security events that name who wrote a file over SMB (alert/writer-context.ts). */
const WRITER_CODES = ['5140', '5145', '4624'];

const needs = (): Needs => ({ categories: new Set<string>(), codes: new Set<string>() });

interface Needs {
  categories: Set<string>;
  codes: Set<string>;
}

/** Add what these queries need to `n`; false when one needs neither a category nor an event code. */
function addNeeds(queries: EventQuery[], n: Needs): boolean {
  for (const eq of queries) {
    if (eq.category !== null) n.categories.add(eq.category);
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

const CATEGORY = '"category"';

/**
 * Must this line be parsed? Cheap for the lines that are kept: the first `"category"` value is
 * read and, when a rule wants it, that is the answer. Only a line about to be skipped pays for the
 * safety scan (a second `"category"`, `"winlog"`, a wanted event code anywhere), done as one
 * regular expression pass (about 1.5x faster than one `indexOf` per needle).
 */
export function lineKeeper(categories: ReadonlySet<string>, codes: readonly string[] = []): (line: string) => boolean {
  const escaped = codes.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const safety = new RegExp(['"category"', '"winlog"', ...escaped].join('|'), 'g');
  return (line) => {
    if (line.charCodeAt(line.length - 1) !== 125 /* } */) return true;
    const at = line.indexOf(CATEGORY);
    if (at < 0) return true;
    const wanted = firstCategoryWanted(line, at + CATEGORY.length, categories);
    if (wanted !== false) return true; // wanted, or not a plain value we can read
    safety.lastIndex = 0;
    while (safety.test(line)) {
      if (safety.lastIndex === at + CATEGORY.length) continue; // the first "category" itself
      return true;
    }
    return false;
  };
}

/** One-off form of lineKeeper (tests, tools). */
export function keepLine(line: string, categories: ReadonlySet<string>, codes: readonly string[] = []): boolean {
  return lineKeeper(categories, codes)(line);
}

/** true: a wanted category; false: plain values, none wanted; null: not a shape we read. */
function firstCategoryWanted(line: string, i: number, categories: ReadonlySet<string>): boolean | null {
  while (line.charCodeAt(i) === 32) i++;
  if (line.charCodeAt(i) !== 58 /* : */) return null;
  i++;
  while (line.charCodeAt(i) === 32) i++;
  const open = line.charCodeAt(i);
  if (open === 34 /* " */) {
    const v = readString(line, i);
    return v === null ? null : categories.has(v.value);
  }
  if (open !== 91 /* [ */) return null;
  i++;
  for (;;) {
    while (line.charCodeAt(i) === 32) i++;
    if (line.charCodeAt(i) === 93 /* ] */) return false;
    const v = readString(line, i);
    if (v === null) return null;
    if (categories.has(v.value)) return true;
    i = v.end;
    while (line.charCodeAt(i) === 32) i++;
    const c = line.charCodeAt(i);
    if (c === 44 /* , */) i++;
    else return c === 93 ? false : null;
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
