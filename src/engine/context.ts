/** Types shared by the compiler modules. */
import type { PathStep } from '../ir/types.js';
import type { Event } from '../events/field.js';
import type { Instant } from '../events/timestamp.js';
import type { StateCell } from './state.js';

/** Values bound by `arraySearch(arr, x, …)`-style functions, by position. */
export type Scope = unknown[];
/** A compiled expression: value of the expression for one event (null = missing). */
export type Fn = (ev: Event, sc: Scope) => unknown;

export interface EngineOptions {
  /** Function semantics where dialects differ. Default 'elasticsearch'. */
  dialect?: 'elasticsearch' | 'endgame';
  /** Field holding the event time, or a function; default tries @timestamp then timestamp. */
  timestamp?: PathStep[] | ((ev: Event) => Instant | null);
  /** Orders events with equal timestamps (Elasticsearch: event.sequence). */
  tiebreaker?: PathStep[];
  /** Where the event category lives; default ['event','category'] (may be an array in ECS). */
  category?: PathStep[] | ((ev: Event) => unknown);
  /** Process identity for Endgame lineage (`descendant of`…); default unique_pid / unique_ppid. */
  lineage?: { pid: PathStep[]; ppid: PathStep[] };
  /**
   * How `and`/`or`/`not` of a `where` clause treat a null (missing) operand. 'elasticsearch' (the
   * default in that dialect): as Elasticsearch's query translation does — each leaf that compares a
   * field with literals is a term/range/wildcard query (missing field: no match, so `not` of it
   * and `field != literal` match), other leaves are scripts (null: no match, `not` stays inside
   * the script, so `not null` is null). 'three-valued': null propagates through every operator
   * (python eql, the Endgame dialect always).
   */
  nullLogic?: 'elasticsearch' | 'three-valued';
  /** `sample` queries: how many samples each join key may give (Elasticsearch max_samples_per_key; default 1). */
  maxSamplesPerKey?: number;
  /**
   * What a sequence holds of an event while a partial waits for later stages (default: the event
   * itself). A hunt holds a compact stand-in (the line's text) instead of the parsed object, which
   * otherwise outlives the garbage collector's young generation (hunt/detector.ts).
   */
  retain?: EventKeeper;
}

/**
 * Stand-ins for events held by sequence state. `keep` is called while `ev` is being pushed (the
 * caller's per-event data is still at hand); `restore` gives an event equal to the one kept
 * (matches are emitted with restored events) and returns any other event as it is. State writers
 * (EventWriter.event) receive the stand-ins.
 */
export interface EventKeeper {
  keep(ev: Event): Event;
  restore(kept: Event): Event;
}

export interface CompileContext {
  dialect: 'elasticsearch' | 'endgame';
  /** Names bound by enclosing arraySearch/arrayCount, innermost last. */
  vars: string[];
  /** State updaters (lineage tracking) to run on every event before predicates, in order. */
  observers: ((ev: Event) => void)[];
  lineage: { pid: PathStep[]; ppid: PathStep[] };
  category: (ev: Event) => unknown;
  /** Elasticsearch query-translation logic for `where` clauses (see EngineOptions.nullLogic). */
  esLogic: boolean;
  maxSamplesPerKey: number;
  /** EngineOptions.retain; null: events are held as they are. */
  retain: EventKeeper | null;
  /** The stateful parts compiled so far, in compile order (state export, state.ts). */
  cells: StateCell[];
}

export const EMPTY_SCOPE: Scope = [];
