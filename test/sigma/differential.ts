/**
 * Differential check of the multi-rule matcher (engine/multi-match) against rule-by-rule
 * evaluation: every rule is evaluated on every event its EventID gate admits (the old dispatch),
 * and the matcher's selection followed by the same per-rule tests must give exactly the same
 * (event, rule) matches. Used by test/sigma/multi-match.slow.ts (a sample) and by
 * differential-full.ts (every event of ../shared/datasets and the Sigma regression data).
 */
import type { Event } from '../../src/events/field.js';
import type { Rule } from '../../src/ir/types.js';
import { compilePredicate } from '../../src/engine/index.js';
import { MultiMatcher } from '../../src/engine/multi-match/index.js';
import { readInputs } from '../../src/sources/index.js';
import { toNative } from '../../src/normalize/index.js';

/** Native views of every event under `paths` (readers' problems are counted, not fatal). */
export async function nativeEvents(paths: string[]): Promise<{ events: Event[]; problems: number }> {
  const events: Event[] = [];
  let problems = 0;
  for await (const batch of readInputs(paths, () => problems++)) for (const se of batch) events.push(toNative(se.event));
  return { events, problems };
}

export function eventKey(ev: Event): number | null {
  const id = ev.EventID;
  return typeof id === 'number' ? id : typeof id === 'string' ? Number(id) : null;
}

export interface DifferentialResult {
  events: number;
  rules: number;
  /** rule tests the old dispatch ran / the matcher let through */
  oldTests: number;
  newTests: number;
  matches: number;
  /** "event#i rule-id" found by one side only */
  missing: string[];
  extra: string[];
}

/** `stride`: test every stride-th event only (1 = all). */
export function compareWithRuleByRule(rules: Rule[], events: Event[], stride = 1): DifferentialResult {
  const stateless = rules.filter((r) => r.query.kind === 'event' && r.query.pipes.length === 0);
  const tests = stateless.map((r) => compilePredicate((r.query as Extract<Rule['query'], { kind: 'event' }>).query.where));
  const byKey = new Map<number, number[]>();
  const unkeyed: number[] = [];
  stateless.forEach((r, i) => {
    const ids = r.gate?.eventIds;
    if (!ids || ids.length === 0) unkeyed.push(i);
    else for (const id of ids) (byKey.get(id) ?? byKey.set(id, []).get(id)!).push(i);
  });
  const matcher = new MultiMatcher(stateless.map((r) => ({ where: (r.query as Extract<Rule['query'], { kind: 'event' }>).query.where, keys: r.gate?.eventIds ?? null, channels: r.gate?.channels ?? null })));
  const out: DifferentialResult = { events: 0, rules: stateless.length, oldTests: 0, newTests: 0, matches: 0, missing: [], extra: [] };
  for (let e = 0; e < events.length; e += stride) {
    const ev = events[e]!;
    out.events++;
    const key = eventKey(ev);
    const old = new Set<number>();
    for (const list of [(key !== null ? byKey.get(key) : undefined) ?? [], unkeyed]) {
      for (const i of list) {
        out.oldTests++;
        if (tests[i]!(ev)) old.add(i);
      }
    }
    const now = new Set<number>();
    for (const i of matcher.select(ev, key, ev.Channel)) {
      out.newTests++;
      if (tests[i]!(ev)) now.add(i);
    }
    out.matches += old.size;
    for (const i of old) if (!now.has(i)) out.missing.push(`event#${e} ${stateless[i]!.id}`);
    for (const i of now) if (!old.has(i)) out.extra.push(`event#${e} ${stateless[i]!.id}`);
  }
  return out;
}
