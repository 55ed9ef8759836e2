/**
 * Telemetry presence per host, for the hunt summary's blind spots: for each stage of each rule,
 * what telemetry it needs (ir/analyze.ts `telemetryNeeds`) and how many events of each host met
 * that need. Counted on the events the detector sees; lines the prefilter left unparsed are
 * counted apart (host unknown) so the summary can say what it could not check.
 */
import type { Expr, Literal, PathStep, Rule } from '../ir/types.js';
import { requiredEventIds, telemetryNeeds, TELEMETRY_FIELDS, type TelemetryNeed } from '../ir/analyze.js';
import type { Event } from '../events/field.js';
import { compilePredicate } from '../engine/index.js';
import { compileAccessor } from '../engine/expr.js';
import { getField } from '../events/field.js';
import { forEachExpr } from '../ir/walk.js';

/**
 * Events per host and unparsed lines, per distinct need: `groupOf[i]` is the group counted for the
 * i-th need of `needsOf(rules)` (-1: none). Needs shared by many rules are held once, so the counts
 * stay small with a whole rule pack and thousands of hosts (a copy per need cost seconds and
 * hundreds of MB with Elastic's 592 rules over 5,000 hosts).
 */
export interface TelemetryCounts {
  /** Events seen per host (any telemetry). */
  hosts: Record<string, number>;
  /**
   * The host name seen for a host key that is not itself a name (host.id): events of one host
   * without host.name still count under its id, and summaries name it by the name seen elsewhere.
   */
  names?: Record<string, string>;
  groupOf: number[];
  groups: { byHost: Record<string, number>; unparsed: number }[];
}

/** Every rule's needs, in rule order: the same list in every thread, so counts line up by index. */
export function needsOf(rules: readonly Rule[]): TelemetryNeed[] {
  return rules.flatMap(telemetryNeeds);
}

/** One distinct need (rules often share one: every file-share rule's first stage), tested once per event. */
interface CompiledNeed {
  /** Index of the distinct need; `CompiledNeeds.groupOf[i]` maps each listed need to it. */
  index: number;
  test: (ev: Event) => boolean;
}

/** Needs compiled once per thread (CompiledRuleSet holds one). */
export class CompiledNeeds {
  readonly needs: TelemetryNeed[];
  /** For each need (in `needs` order), the distinct need counted for it; -1 when it could not compile. */
  readonly groupOf: number[] = [];
  groups = 0;
  readonly ecsByCategory = new Map<string, CompiledNeed[]>();
  readonly ecsAny: CompiledNeed[] = [];
  /** Native needs indexed by the EventIDs they require (as the detector indexes Sigma rules). */
  readonly nativeByEventId = new Map<number, CompiledNeed[]>();
  readonly nativeAny: CompiledNeed[] = [];
  /**
   * The fields the ECS needs read, each with how its value enters the memo key (memoLeaf): needs
   * only test telemetry fields (ir/analyze.ts TELEMETRY_FIELDS) against literals, so events with
   * the same categories and the same values of these fields meet the same needs.
   */
  private readonly keyFields: { read: (ev: unknown) => unknown; only: KeyOnly | null }[] = [];
  /** Whether the ECS needs could be keyed (every field they read is a telemetry field). */
  readonly keyed: boolean;

  constructor(rules: readonly Rule[]) {
    this.needs = needsOf(rules);
    const byKey = new Map<string, number>();
    this.needs.forEach((need) => {
      const key = JSON.stringify([need.view, need.category, need.condition], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      const known = byKey.get(key);
      if (known !== undefined) {
        this.groupOf.push(known);
        return;
      }
      let test: (ev: Event) => boolean;
      try {
        test = need.condition ? compilePredicate(need.condition, { dialect: 'elasticsearch' }) : () => true;
      } catch {
        this.groupOf.push(-1); // a condition the engine cannot compile is the rule's problem, reported by the detector
        return;
      }
      const index = this.groups++;
      byKey.set(key, index);
      this.groupOf.push(index);
      const c: CompiledNeed = { index, test };
      if (need.view === 'native') {
        const ids = need.condition ? requiredEventIds(need.condition) : null;
        if (!ids) this.nativeAny.push(c);
        else for (const id of ids) push(this.nativeByEventId, id, c);
      } else if (need.category !== null) {
        push(this.ecsByCategory, need.category, c);
      } else this.ecsAny.push(c);
    });
    // The fields of the ECS needs' conditions, for the memo key.
    const paths = new Map<string, PathStep[]>();
    let keyed = true;
    this.needs.forEach((need) => {
      if (need.view === 'native' || !need.condition) return;
      forEachExpr(need.condition, (e: Expr) => {
        if (e.kind === 'field') paths.set(JSON.stringify(e.path), e.path);
        else if (e.kind === 'call' || e.kind === 'lineage' || e.kind === 'keyword') keyed = false;
      });
    });
    for (const path of paths.values()) {
      const t = TELEMETRY_FIELDS.find((f) => f.path.length === path.length && f.path.every((s, i) => s === path[i]));
      if (!t) keyed = false;
      this.keyFields.push({ read: compileAccessor(path, 'elasticsearch'), only: t?.values ? keyOnly(t.values) : null });
    }
    this.keyed = keyed;
  }

  /**
   * The memo leaf of an ECS event (TelemetryTally): a path of Map lookups, one per key part — its
   * categories, then the value of each field the needs read (no key text is built: building one
   * cost more than the needs it saved). A field tested only against some values (the writer PID 4,
   * `System`) enters as OTHER when its value cannot equal any of them, so the memo does not grow
   * with every PID. The caller keeps the needs met under LEAF in the returned Map.
   */
  memoLeaf(root: Map<unknown, unknown>, ecs: Event, categories: readonly string[]): Map<unknown, unknown> {
    let node = step(root, categories.length === 1 ? categories[0]! : '\u0000c' + categories.join('\u0002'));
    const fs = this.keyFields;
    for (let i = 0; i < fs.length; i++) {
      const f = fs[i]!;
      const v = f.read(ecs);
      if (Array.isArray(v) && v.length === 1 && (typeof v[0] === 'string' || typeof v[0] === 'number')) node = step(step(node, ARRAY1), keyValue(v[0], f.only));
      else node = step(node, keyValue(v, f.only));
    }
    return node;
  }
}

/** Memo trie markers (TelemetryTally): an array of one scalar; a value none of a field's values; the leaf's needs. */
const ARRAY1 = Symbol('array of one');
const OTHER = Symbol('other value');
const LEAF = Symbol('needs met');

function step(node: Map<unknown, unknown>, k: unknown): Map<unknown, unknown> {
  let next = node.get(k) as Map<unknown, unknown> | undefined;
  if (next === undefined) node.set(k, (next = new Map()));
  return next;
}

/** A field's `only` values as keyValue tests them: texts lower-cased, numbers as numbers (computed once). */
interface KeyOnly {
  texts: string[];
  numbers: number[];
}

function keyOnly(values: readonly Literal[]): KeyOnly {
  const texts: string[] = [];
  const numbers: number[] = [];
  for (const w of values) {
    if (w === null) continue;
    texts.push(String(w).toLowerCase());
    // NaN equals nothing (Number(w) === Number(v) never held for it).
    if (typeof w !== 'boolean' && !Number.isNaN(Number(w))) numbers.push(Number(w));
  }
  return { texts, numbers };
}

/** Whether the ASCII text `v`, lower-cased, contains `needle` (lower-case ASCII), without building the lower-cased copy. */
function asciiIncludesLower(v: string, needle: string): boolean {
  const n = needle.length;
  outer: for (let i = 0; i + n <= v.length; i++) {
    for (let j = 0; j < n; j++) {
      let c = v.charCodeAt(i + j);
      if (c >= 65 && c <= 90) c |= 32;
      if (c !== needle.charCodeAt(j)) continue outer;
    }
    return true;
  }
  return false;
}

const NOT_ASCII = /[^\x00-\x7f]/;

/** `v.toLowerCase().includes(t)` for some text `t` of `only` (no copy of `v` when both are ASCII, as they are in practice). */
function textMayEqual(v: string, only: KeyOnly): boolean {
  let lower: string | undefined;
  for (const t of only.texts) {
    if (!NOT_ASCII.test(t) && !NOT_ASCII.test(v)) {
      if (asciiIncludesLower(v, t)) return true;
    } else if ((lower ??= v.toLowerCase()).includes(t)) return true;
  }
  return false;
}

/** A value as a memo key: scalars as themselves (Map keys compare them by value), others as tagged JSON text. */
function keyValue(v: unknown, only: KeyOnly | null): unknown {
  if (only !== null) {
    if (typeof v === 'string') {
      if (!textMayEqual(v, only)) return OTHER;
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      const x = Number(v);
      if (!only.numbers.includes(x)) return OTHER;
    }
  }
  if (v === null || typeof v !== 'object') return v;
  try {
    return '\u0000j' + JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  } catch {
    return Symbol('unkeyable'); // never shared
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/** Events counted at a time (TelemetryTally.observe). */
const BATCH = 1024;

/** Set ids below this are counted in a host's array (TelemetryTally.observe). */
const DENSE_SETS = 256;

/** One host's tally: events, events per need, and events per set of ECS needs met (memo). */
interface HostTally {
  events: number;
  byNeed: Int32Array;
  /** Events per set of ECS needs met, by set id (TelemetryTally.sets): an array, no hashing per event. */
  bySet: number[];
  /** Sets with ids from DENSE_SETS on (many distinct sets): counted in a Map, so a host's array stays short. */
  bySetMore?: Map<number, number>;
  /** A name was recorded for it (or it needs none). */
  named: boolean;
}

const NAME_PATH = ['host', 'name'];
const HOSTNAME_PATH = ['host', 'hostname'];

/** One unit's tally. */
export class TelemetryTally {
  /** Per host: events seen, and events per distinct need (one Map lookup per event, not per need). */
  private readonly hosts = new Map<string, HostTally>();
  /** Host key → a name seen with it (only for keys that are not the name, e.g. host.id). */
  private readonly names = new Map<string, string>();
  private readonly unparsed: number[];
  /**
   * ECS needs met per memo leaf (CompiledNeeds.memoLeaf): the needs are tested once per distinct
   * key, not once per event (with Elastic's pack, ~100 needs per event were ~9% of a hunt).
   */
  private memo = new Map<unknown, unknown>();
  private memoLeaves = 0;
  private readonly useMemo: boolean;
  /**
   * The memo's sets of needs met, one array per distinct set: a host counts events per set (one
   * Map update per event), and the sets are spread over their needs only by counts().
   */
  private readonly setIds = new Map<string, number>();
  /** The distinct sets of needs met, by id (a memo leaf holds its set's id; -1: no need met). */
  private readonly sets: Int32Array[] = [];

  /** `memo: false` tests every need on every event (the reference the memo is tested against). */
  constructor(
    private readonly compiled: CompiledNeeds,
    opts: { memo?: boolean } = {},
  ) {
    this.unparsed = new Array<number>(compiled.groups).fill(0);
    this.useMemo = opts.memo !== false && compiled.keyed;
  }

  /** The ECS needs `ecs` meets, by testing them. */
  private ecsMet(ecs: Event, categories: readonly string[]): Int32Array {
    const c = this.compiled;
    const met: number[] = [];
    for (const n of c.ecsAny) if (n.test(ecs)) met.push(n.index);
    for (const cat of categories) {
      const l = c.ecsByCategory.get(cat);
      if (l) for (const n of l) if (n.test(ecs)) met.push(n.index);
    }
    return Int32Array.from(met);
  }

  /** Whether observe() calls its `native` argument (some need reads the native view). */
  get readsNative(): boolean {
    return this.compiled.nativeAny.length > 0 || this.compiled.nativeByEventId.size > 0;
  }

  /**
   * Events waiting to be counted under their host (memo path, no native need): host, name seen
   * (undefined: none), set of needs met. Counting 1,024 at a time looks the per-host table up in
   * a tight loop rather than between two events' detection, where a table of 5,000 hosts misses
   * the CPU cache (tally inside a detector, 40k Defend events: 2.30 → 2.16 µs per event).
   */
  private readonly batchHosts: (string | null)[] = new Array<string | null>(BATCH).fill(null);
  private readonly batchNames: (string | undefined)[] = new Array<string | undefined>(BATCH).fill(undefined);
  private readonly batchSets: Int32Array = new Int32Array(BATCH);
  /** Events batched (the arrays keep their size: no growing and freeing per batch). */
  private batched = 0;

  private hostTally(host: string | null): HostTally {
    const h = host ?? '(no host)';
    let rec = this.hosts.get(h);
    if (!rec) this.hosts.set(h, (rec = { events: 0, byNeed: new Int32Array(this.compiled.groups), bySet: [], named: host === null }));
    return rec;
  }

  /** One event of host `host` (name seen: `name`) meeting the set of needs `set` (-1: none). */
  private count(host: string | null, name: unknown, set: number): HostTally {
    const rec = this.hostTally(host);
    rec.events++;
    if (!rec.named && typeof name === 'string' && name !== '') {
      this.names.set(host ?? '(no host)', name);
      rec.named = true;
    }
    if (set >= 0) {
      if (set < DENSE_SETS) {
        const by = rec.bySet;
        while (by.length <= set) by.push(0);
        by[set]!++;
      } else {
        const more = (rec.bySetMore ??= new Map());
        more.set(set, (more.get(set) ?? 0) + 1);
      }
    }
    return rec;
  }

  /** Count the batched events (before anything reads or adds to the per-host tallies). */
  private flush(): void {
    const hs = this.batchHosts;
    const ns = this.batchNames;
    const ss = this.batchSets;
    const n = this.batched;
    this.batched = 0;
    for (let i = 0; i < n; i++) {
      this.count(hs[i]!, ns[i], ss[i]!);
      hs[i] = null;
      ns[i] = undefined;
    }
  }

  /** The id of the set of ECS needs `ecs` meets (-1: none), through the memo. */
  private memoSet(ecs: Event, categories: readonly string[]): number {
    const c = this.compiled;
    if (this.memoLeaves >= 65536) {
      this.memo = new Map();
      this.memoLeaves = 0;
    }
    const leaf = c.memoLeaf(this.memo, ecs, categories);
    let set = leaf.get(LEAF) as number | undefined;
    if (set === undefined) {
      const met = this.ecsMet(ecs, categories);
      // One id per distinct set, so a host's tally has one entry per set, not per leaf.
      if (met.length === 0) set = -1;
      else {
        const key = met.join(',');
        set = this.setIds.get(key);
        if (set === undefined) {
          set = this.sets.length;
          this.sets.push(met);
          this.setIds.set(key, set);
        }
      }
      leaf.set(LEAF, set);
      this.memoLeaves++;
    }
    return set;
  }

  /** One event: its ECS view and categories, its native view on demand, its host. */
  observe(ecs: Event, categories: readonly string[], native: () => Event, host: string | null): void {
    const c = this.compiled;
    if (this.useMemo && !this.readsNative) {
      // The name is read now (the event is at hand), used only if its host has none yet.
      const name = getField(ecs, NAME_PATH) ?? getField(ecs, HOSTNAME_PATH);
      const i = this.batched++;
      this.batchHosts[i] = host;
      this.batchNames[i] = typeof name === 'string' ? name : undefined;
      this.batchSets[i] = this.memoSet(ecs, categories);
      if (this.batched >= BATCH) this.flush();
      return;
    }
    this.flush();
    let rec: HostTally;
    if (this.useMemo) rec = this.count(host, undefined, this.memoSet(ecs, categories));
    else {
      rec = this.count(host, undefined, -1);
      for (const n of c.ecsAny) if (n.test(ecs)) rec.byNeed[n.index]!++;
      for (const cat of categories) {
        const l = c.ecsByCategory.get(cat);
        if (l) for (const n of l) if (n.test(ecs)) rec.byNeed[n.index]!++;
      }
    }
    if (!rec.named) {
      const name = getField(ecs, NAME_PATH) ?? getField(ecs, HOSTNAME_PATH);
      if (typeof name === 'string' && name !== '') {
        this.names.set(host ?? '(no host)', name);
        rec.named = true;
      }
    }
    if (this.readsNative) {
      const counts = rec.byNeed;
      const nv = native();
      for (const n of c.nativeAny) if (n.test(nv)) counts[n.index]!++;
      const id = nv['EventID'];
      const l = typeof id === 'number' ? c.nativeByEventId.get(id) : typeof id === 'string' ? c.nativeByEventId.get(Number(id)) : undefined;
      if (l) for (const n of l) if (n.test(nv)) counts[n.index]!++;
    }
  }

  /**
   * A line left unparsed (deferred, then not needed) whose categories are known from its text.
   * When its host is known too (a Windows record timed by normalization), it counts for that host
   * and for the needs of its categories, whose conditions cannot be tested without its view (the
   * prefilter found the text checks it carries met); else it is counted as unparsed, host unknown.
   */
  observeUnparsed(categories: readonly string[], host?: string | null): void {
    if (host !== undefined) {
      this.flush();
      const rec = this.hostTally(host);
      rec.events++;
      for (const cat of categories) {
        const l = this.compiled.ecsByCategory.get(cat);
        if (l) for (const n of l) rec.byNeed[n.index]!++;
      }
      return;
    }
    for (const cat of categories) {
      const l = this.compiled.ecsByCategory.get(cat);
      if (l) for (const n of l) this.unparsed[n.index]!++;
    }
  }

  counts(): TelemetryCounts {
    this.flush();
    const hosts: Record<string, number> = {};
    const groups = this.unparsed.map((unparsed) => ({ byHost: {} as Record<string, number>, unparsed }));
    for (const [h, rec] of this.hosts) {
      hosts[h] = rec.events;
      const byNeed = rec.byNeed.slice();
      const by = rec.bySet;
      for (let set = 0; set < by.length; set++) {
        const n = by[set]!;
        if (n === 0) continue;
        const met = this.sets[set]!;
        for (let i = 0; i < met.length; i++) byNeed[met[i]!]! += n;
      }
      if (rec.bySetMore) for (const [set, n] of rec.bySetMore) for (const need of this.sets[set]!) byNeed[need]! += n;
      for (let g = 0; g < byNeed.length; g++) if (byNeed[g]! > 0) groups[g]!.byHost[h] = byNeed[g]!;
    }
    const names: Record<string, string> = {};
    for (const [k, n] of this.names) if (n.toLowerCase() !== k.toLowerCase()) names[k] = n;
    return { hosts, names, groupOf: this.compiled.groupOf, groups };
  }
}

/** Add `b` into `a` (units, threads: the same rules give the same groups everywhere). */
export function mergeTelemetry(a: TelemetryCounts, b: TelemetryCounts): void {
  for (const [h, n] of Object.entries(b.hosts)) a.hosts[h] = (a.hosts[h] ?? 0) + n;
  if (b.names) for (const [h, n] of Object.entries(b.names)) (a.names ??= {})[h] ??= n;
  if (a.groupOf.length === 0) a.groupOf = [...b.groupOf];
  b.groups.forEach((gb, i) => {
    const ga = (a.groups[i] ??= { byHost: {}, unparsed: 0 });
    ga.unparsed += gb.unparsed;
    for (const [h, n] of Object.entries(gb.byHost)) ga.byHost[h] = (ga.byHost[h] ?? 0) + n;
  });
}

export function emptyTelemetry(): TelemetryCounts {
  return { hosts: {}, groupOf: [], groups: [] };
}

