/**
 * Soundness checks of the NDJSON prefilter (hunt/prefilter.ts), shared by its tests: parse every
 * line a filter rejects, normalize it as the hunt does, and run every rule stage (and the writer
 * context's event codes) on it. Elasticsearch hits are unwrapped to their `_source`.
 */
import { compilePredicate } from '../../src/engine/index.js';
import { toEcs } from '../../src/normalize/index.js';
import { getField, type Event } from '../../src/events/field.js';
import type { EventQuery, Rule } from '../../src/ir/types.js';
import { filterKeeps, type LineFilter } from '../../src/sources/index.js';

export type Matcher = (ev: Event) => boolean;

export function matcher(q: EventQuery): Matcher {
  const where = compilePredicate(q.where);
  return (ev) => {
    if (q.category !== null) {
      const c = getField(ev, ['event', 'category']);
      if (!(c === q.category || (Array.isArray(c) && c.includes(q.category)))) return false;
    }
    return where(ev);
  };
}

export function stageQueries(rules: Rule[], continuationsOnly: boolean): EventQuery[] {
  const out: EventQuery[] = [];
  for (const r of rules) {
    const q = r.query;
    if (q.kind === 'event') {
      if (!continuationsOnly) out.push(q.query);
    } else if (q.kind === 'sequence') {
      const stages = continuationsOnly ? q.stages.slice(1) : q.stages;
      out.push(...stages.map((s) => s.query), ...(q.until ? [q.until.query] : []));
    }
  }
  return out;
}

export const WRITER_CODES = new Set(['5140', '5145', '4624']);

/** Lines the filter rejects although a stage (or the writer context) would take them. */
export function wronglySkipped(filter: LineFilter, lines: string[], matchers: Matcher[], writers: boolean): { bad: string[]; skipped: number } {
  const bad: string[] = [];
  let skipped = 0;
  for (const line of lines) {
    if (filterKeeps(filter, line)) continue;
    skipped++;
    const doc = JSON.parse(line) as Event;
    const ev = toEcs((doc['_source'] as Event | undefined) ?? doc);
    const code = getField(ev, ['event', 'code']);
    if (matchers.some((m) => m(ev)) || (writers && WRITER_CODES.has(String(code)))) bad.push(line);
  }
  return { bad, skipped };
}

