/**
 * V8 settings for a hunt over a stream of events (`runHunt`: `spoor hunt`, `spoor demo`).
 *
 * Allocation-site pretenuring is turned off. V8 watches how many objects of each allocation site
 * survive a scavenge and, past a high rate, allocates that site's objects straight in the old
 * generation from then on. A detection run stalls on its first events (rules compiled, matchers
 * and automata built on first use, code optimized), so the first batch's per-event objects —
 * reader items, tags, views — all survive the first scavenges and their sites are tenured. From
 * then on every event's wrapper objects are born old, and the young event they point to stays
 * alive through the remembered set until the next full collection: with Elastic's EQL pack,
 * 5 MB of the 16 MB young generation survived each scavenge (V8's default, 200k Defend events:
 * 514 MB in 102 scavenges, 1.1 s of pauses and 2 s on the GC helper threads) against 2 MB
 * without pretenuring (177 MB in 84, 0.4–0.5 s and 0.4 s), the hunt's CPU −15 to −20% and its
 * peak RSS 400 → 310 MB. A pack of fewer than ~200 rules (or `spoor query`'s one rule) stalls
 * too little to trip it.
 * BENCHMARKS.md "Gates on numbers and booleans, one matcher per flavour, no pretenuring" (item 3)
 * has the measurements; "Fresh standard run; …" those for `spoor serve`, which keeps the default.
 *
 * V8 flags are process-wide (worker threads started later share them) and this one is read when
 * objects are allocated and at each scavenge, so setting it when a run starts takes effect for
 * the run. `SPOOR_V8_PRETENURING=1` keeps V8's default (for comparison).
 */
import { setFlagsFromString } from 'node:v8';

let applied: string[] | null = null;

/** Apply the settings above (once per process); the V8 flags set. */
export function tuneV8ForEventStreams(): readonly string[] {
  if (applied !== null) return applied;
  applied = process.env.SPOOR_V8_PRETENURING === '1' ? [] : ['--no-allocation-site-pretenuring'];
  for (const f of applied) setFlagsFromString(f);
  return applied;
}

/** The V8 flags this process has set (empty before the first run, or when kept at V8's default). */
export function v8FlagsApplied(): readonly string[] {
  return applied ?? [];
}
