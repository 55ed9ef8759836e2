/**
 * The detection-state snapshot format: what `Detector.exportState()` returns and
 * `Detector.importState()` takes (hunt/detector.ts), in one place.
 *
 * API (stable; serve/ and cluster/ store it with their checkpoints):
 *
 *   const state: DetectorState = detector.exportState();     // plain JSON: JSON.stringify it
 *   const fresh = new Detector(rules, opts);                  // same (or changed) rules
 *   const report: ImportReport = fresh.importState(JSON.parse(text));
 *   // report.restored: rule keys whose state was loaded; report.dropped: with a reason each;
 *   // report.fresh: rules of the new set the snapshot has nothing for (they start empty).
 *
 * - Call `takeAlerts()` before exporting: alerts produced but not taken are carried in the
 *   snapshot and come out of the importing detector's next `takeAlerts()` (never lost, and never
 *   duplicated when the caller took them first).
 * - Import into a detector that has seen no event yet. A snapshot of another format or a newer
 *   version throws SnapshotError (nothing is imported).
 * - Rule-set change: each stateful rule's state is stored under its key (rule id, plus `#n` for
 *   the n-th repeat of an id) with a content hash of what the engine compiles (query, view,
 *   category field). A rule whose key and hash are unchanged gets its state back; a changed or
 *   removed rule's state is dropped and reported; the detector-wide parts (writer evidence, host
 *   context, held ties) are restored whatever the rules. `fingerprint` (all rules' keys and
 *   hashes) tells at a glance whether the rule set is the same.
 *
 * What a snapshot holds: every event referenced by some state, once, in `events` (its raw
 * document as parsed, 64-bit integers as bigints encoded exactly, its source file and position —
 * the serve/cluster log seq — and its time), so alerts built after an import carry the same
 * documents, sources and deterministic ids as an uninterrupted run; per stateful rule, the
 * engine's state (state.ts: sequence partials with until/missing-event bookkeeping, join/sample
 * slots, lineage sets, pipe buffers, correlation windows and chains, results not yet drained);
 * the SMB writer evidence per host (alert/writer-context.ts); the host context rings (the
 * events shown around an alert; alerts still collecting following events are not carried:
 * they were handed out already); events held for tiebreaker ordering; alerts not yet taken.
 * Not held: the telemetry tally (a hunt report, not detection state), and anything outside the
 * detector (reorder buffers, log offsets: the caller stores those alongside).
 */
import { createHash } from 'node:crypto';
import type { Rule } from '../ir/types.js';
import type { StateJson } from './state.js';

export const SNAPSHOT_FORMAT = 'spoor.detector-state';
/** Bumped when the layout changes; an importer refuses versions newer than its own. */
export const SNAPSHOT_VERSION = 1;

export class SnapshotError extends Error {}

/** One event referenced by the state: ECS/native views are rebuilt from `raw` on import. */
export interface SnapshotEvent {
  /** The raw document (encodeValue form: bigints exact). */
  raw: StateJson;
  file: string;
  position?: number;
  /** [ms, ns] */
  time: [number, number];
  /** Read past a split point only to complete sequences (hunt parts); absent: false. */
  overlap?: true;
}

export interface RuleState {
  /** Rule id, `#n` appended for the n-th (n ≥ 2) rule of the same id. */
  key: string;
  hash: string;
  view: 'ecs' | 'native';
  state: StateJson;
}

export interface DetectorState {
  format: typeof SNAPSHOT_FORMAT;
  version: number;
  /** Hash of every rule's key and hash, in order (the same rule set gives the same fingerprint). */
  fingerprint: string;
  /** Snapshot wall time (ms), for operators. */
  savedMs: number;
  events: SnapshotEvent[];
  rules: RuleState[];
  /** Detector-wide parts (see the header). */
  writers: StateJson;
  context: StateJson;
  ties: StateJson;
  alerts: StateJson;
  deferredSkipped: number;
}

export interface ImportReport {
  /** True when the snapshot was made with the same rule set (fingerprints equal). */
  sameRules: boolean;
  restored: string[];
  dropped: { key: string; reason: string }[];
  /** Stateful rules of this detector the snapshot had no state for. */
  fresh: string[];
}

/** Content hash of what the engine compiles from a rule (query, view, category field). */
export function ruleHash(rule: Rule): string {
  const text = JSON.stringify([rule.view, rule.meta?.categoryField ?? null, rule.query], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Keys of rules in order: the id, `#n` appended for repeats. */
export function ruleKeys(rules: readonly Rule[]): string[] {
  const seen = new Map<string, number>();
  return rules.map((r) => {
    const n = (seen.get(r.id) ?? 0) + 1;
    seen.set(r.id, n);
    return n === 1 ? r.id : `${r.id}#${n}`;
  });
}

export function ruleSetFingerprint(rules: readonly Rule[]): string {
  const keys = ruleKeys(rules);
  const h = createHash('sha256');
  rules.forEach((r, i) => h.update(`${keys[i]}\u0000${ruleHash(r)}\n`));
  return h.digest('hex').slice(0, 16);
}

/** Check the envelope of an untrusted snapshot (after JSON.parse). */
export function checkSnapshot(s: unknown): DetectorState {
  if (s === null || typeof s !== 'object') throw new SnapshotError('snapshot is not an object');
  const o = s as Partial<DetectorState>;
  if (o.format !== SNAPSHOT_FORMAT) throw new SnapshotError(`not a detector snapshot (format ${JSON.stringify(o.format)})`);
  if (typeof o.version !== 'number' || o.version > SNAPSHOT_VERSION || o.version < 1) throw new SnapshotError(`snapshot version ${String(o.version)} not supported (this build reads 1..${SNAPSHOT_VERSION})`);
  if (!Array.isArray(o.events) || !Array.isArray(o.rules)) throw new SnapshotError('snapshot lacks events or rules');
  return o as DetectorState;
}
