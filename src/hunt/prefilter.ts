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

/** A factory of line filters for these rules, or null when prefiltering cannot be exact. */
export function categoryPrefilter(rules: Rule[], contextEvents: number): (() => LineFilter) | null {
  if (contextEvents > 0 || rules.length === 0) return null; // the report's timelines want every event
  const categories = new Set<string>();
  const codes = new Set<string>();
  for (const r of rules) {
    if (r.view !== 'ecs') return null;
    const q = r.query;
    const queries: EventQuery[] =
      q.kind === 'event' ? [q.query] : q.kind === 'sequence' ? [...q.stages, ...(q.until ? [q.until] : [])].map((s: Stage) => s.query) : [];
    if (queries.length === 0) return null;
    for (const eq of queries) {
      if (eq.category !== null) categories.add(eq.category);
      else {
        const c = eventCodes(eq.where);
        if (!c) return null;
        for (const x of c) codes.add(x);
      }
    }
  }
  const codeList = [...codes];
  return () => ({ skipped: 0, keep: (line) => keepLine(line, categories, codeList) });
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
 * safety scans (a second `"category"`, `"winlog"`, a wanted event code anywhere).
 */
export function keepLine(line: string, categories: ReadonlySet<string>, codes: readonly string[] = []): boolean {
  if (line.charCodeAt(line.length - 1) !== 125 /* } */) return true;
  const at = line.indexOf(CATEGORY);
  if (at < 0) return true;
  const wanted = firstCategoryWanted(line, at + CATEGORY.length, categories);
  if (wanted !== false) return true; // wanted, or not a plain value we can read
  if (line.indexOf(CATEGORY, at + CATEGORY.length) >= 0) return true;
  if (line.includes('"winlog"')) return true;
  for (const c of codes) if (line.includes(c)) return true;
  return false;
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
