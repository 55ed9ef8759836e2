/**
 * What `spoor query` does with each event, shared by its single-thread path (cli/query.ts) and
 * its workers (query-worker.ts): events of equal time wait for their tiebreaker order.
 */
import { compareTiebreakers } from '../engine/index.js';
import { getField, type Event } from '../events/field.js';
import type { Instant } from '../events/timestamp.js';
import type { PathStep, Query, Rule } from '../ir/types.js';

/**
 * Holds the events of one timestamp and releases them in tiebreaker order (missing last, stable)
 * when a later timestamp arrives; without a tiebreaker, passes events straight through.
 */
export class TieBuffer {
  private held: Event[] = [];
  private time: Instant | null = null;
  private readonly read: ((ev: Event) => unknown) | null;

  constructor(tiebreaker: PathStep[] | undefined, private readonly push: (ev: Event) => void) {
    this.read = tiebreaker ? (ev) => getField(ev, tiebreaker) : null;
  }

  add(ev: Event, time: Instant): void {
    if (!this.read) return this.push(ev);
    if (this.time !== null && (this.time.ms !== time.ms || this.time.ns !== time.ns)) this.flush();
    this.time = time;
    this.held.push(ev);
  }

  flush(): void {
    const held = this.held;
    this.held = [];
    this.time = null;
    if (held.length > 1) {
      const read = this.read!;
      const rows = held.map((ev, i) => ({ ev, i, tb: read(ev) }));
      rows.sort((a, b) => compareTiebreakers(a.tb, b.tb) || a.i - b.i);
      for (const r of rows) this.push(r.ev);
    } else if (held.length === 1) this.push(held[0]!);
  }
}

/** The fields a query names (except `?optional` ones), to warn about those no event has. */
export class FieldWatch {
  private readonly pending = new Map<string, PathStep[]>();

  constructor(query: unknown) {
    this.collect(query);
  }

  see(ev: Event): void {
    if (this.pending.size === 0) return;
    for (const [name, path] of this.pending) if (getField(ev, path) !== undefined) this.pending.delete(name);
  }

  /** Keep only these names pending (the fields no worker saw). */
  only(names: string[]): void {
    const keep = new Set(names);
    for (const k of [...this.pending.keys()]) if (!keep.has(k)) this.pending.delete(k);
  }

  missing(): string[] {
    return [...this.pending.keys()];
  }

  private collect(node: unknown): void {
    if (Array.isArray(node)) {
      for (const x of node) this.collect(x);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as { kind?: unknown; path?: unknown; optional?: unknown };
    if (n.kind === 'field' && Array.isArray(n.path)) {
      if (n.optional !== true) this.pending.set(fieldName(n.path as PathStep[]), n.path as PathStep[]);
      return;
    }
    for (const v of Object.values(node)) this.collect(v);
  }
}

function fieldName(path: PathStep[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The query as a rule, for what takes rules (its window, the line prefilter). */
export function queryRule(query: Query): Rule {
  return { id: 'query', name: 'query', source: '<command line>', language: 'eql', view: 'ecs', query, severity: 'low' };
}
