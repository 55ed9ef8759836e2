/**
 * One matcher for thousands of single-event rules: which rules can match this event?
 *
 * Rules stay exact: each rule is still decided by its own compiled test. What is shared is the
 * work that rules one by one would repeat: per event, each field some rule needs is read and
 * lower-cased once, every equality needle of that field is one Map lookup and every
 * starts/ends/contains needle is found by one Aho–Corasick pass (aho-corasick.ts); a rule is
 * handed back for evaluation only when each of its necessary clauses (necessary.ts) saw an atom
 * hold. Rules with no necessary clause (only negations, regexes, keywords…) are always handed back.
 *
 * Rules are also bucketed by a key the caller computes (Windows EventID): an event meets only the
 * rules of its key's bucket plus the unkeyed ones, and only reads the fields those rules need.
 *
 * Hand-written for the hot path (Sigma with 2,407 rules): typed arrays and epoch stamps instead of
 * per-event sets, and no allocation per event beyond the lower-cased texts and the result list.
 */
import type { Expr, PathStep } from '../../ir/types.js';
import type { Event } from '../../events/field.js';
import { compileAccessor } from '../expr.js';
import { scalarText } from '../values.js';
import { joinedText } from '../../events/multi-value.js';
import { AhoCorasick, type Needle } from './aho-corasick.js';
import { SkipScanner } from './skip-scan.js';
import { textSlot } from '../text-slot.js';
import { KEYWORD_PATH, atomKey, necessaryClauses, pathKey, type Atom, type Clause } from './necessary.js';

export { necessaryClauses, type Atom, type Clause } from './necessary.js';

/**
 * The texts a keyword search looks at, as the engine's keyword walk (engine/expr.ts
 * `compileKeyword`): every string and number (bigint) of the event, through arrays and objects,
 * down to depth 32. (The engine does not lower-case number texts; lower-casing them here only
 * lets more rules through, never fewer.)
 */
export function forEachEventText(v: unknown, depth: number, each: (text: string) => void): void {
  if (typeof v === 'string') each(v);
  else if (typeof v === 'number' || typeof v === 'bigint') each(String(v));
  else if (v === null || typeof v !== 'object' || depth > 32) return;
  else if (Array.isArray(v)) for (const x of v) forEachEventText(x, depth + 1, each);
  else for (const k in v as Record<string, unknown>) forEachEventText((v as Record<string, unknown>)[k], depth + 1, each);
}

export interface MultiRuleInput {
  /** The rule's whole condition (for a Sigma rule, its event query's `where`). */
  where: Expr;
  /** Bucket keys the rule belongs to; null or empty: every event (unkeyed). */
  keys: readonly number[] | null;
  /**
   * For an unkeyed rule: the only texts of the event's channel (select's `channel`) it can match
   * on, compared exactly (a Sigma rule of a service-only logsource: `Channel` in these names).
   * Null, absent or empty: any channel. Ignored for a keyed rule.
   */
  channels?: readonly string[] | null;
  /** `necessaryClauses(where)` when the caller has it already (a rule's derived facts, sigma/derived.ts). */
  clauses?: Clause[];
}

interface FieldScan {
  /** index in MultiMatcher.fields (-1: a keyword scan) */
  id: number;
  path: readonly PathStep[];
  /** keyword atoms: every string and number of the event (forEachEventText), not one field */
  keyword: boolean;
  access: (ev: unknown) => unknown;
  /** exact lowered text → atom ids */
  exact: Map<string, number[]>;
  ac: AhoCorasick | null;
  /**
   * The automaton's needles until it is built: on the first event that reads the field (most
   * fields of 2,407 rules are never met in a given hunt, and building every automaton up front
   * was ~45% of the matcher's build time).
   */
  pending: Needle[] | null;
  /** keyword fields whose needles suit it: the Wu–Manber scan (skip-scan.ts), built with the automaton */
  skip: SkipScanner | null;
  /** keyword fields: whether some needle could occur in a number's text (else numbers are not scanned) */
  numbers: boolean;
  /** per AC payload: atom id and anchor (0 contains, 1 prefix, 2 suffix) */
  acAtom: Int32Array;
  acAnchor: Uint8Array;
  /** the automaton's hit callback, bound once */
  onHit: (payload: number, start: number, end: number) => void;
  /**
   * Atoms each text of this field hit, by text (TextMemo): field values repeat (process names,
   * paths, event types), and a text's atoms depend on the text alone. Null once turned off.
   */
  memo: TextMemo | null;
  /** The last text the memo answered, and its atoms (null: none yet; a text's atoms depend on the text alone). */
  lastText: string | null;
  lastAtoms: Int32Array;
  /**
   * The memo's front (null: no memo): a two-way table of recent texts and their atoms, by a few
   * characters and the length (engine/text-slot.ts). A hit costs a string comparison or two where
   * the memo's Map must hash the text first — and a parsed event's texts are fresh strings, hashed
   * anew.
   */
  frontText: (string | undefined)[] | null;
  frontAtoms: Int32Array[];
}

/**
 * A field's texts and the atoms they hit. Bounded: cleared when full; turned off for a field
 * whose texts rarely repeat (after MEMO_PROBATION lookups, fewer than 1 in 4 hits).
 */
interface TextMemo {
  /**
   * Text → the text as first met (the key string itself; the front table keeps only these, so it
   * holds no string the Map does not: a field's text may be a slice of its whole line or read
   * buffer, which a fresh copy in the front would keep alive) and its atoms.
   */
  map: Map<string, MemoEntry>;
  lookups: number;
  hits: number;
}
interface MemoEntry {
  text: string;
  atoms: Int32Array;
}
const MEMO_MAX_ENTRIES = 4096;
const MEMO_MAX_TEXT = 512;
const MEMO_PROBATION = 4096;
const NO_ATOMS = new Int32Array(0);
/** Slots of a field's front table (FieldScan.frontText): a power of two. */
const FRONT_SLOTS = 256;


interface Bucket {
  fields: FieldScan[];
  /** select calls on this bucket while the matcher samples clause hit rates (see adapt) */
  events: number;
  /** rule indices always evaluated, ascending */
  always: number[];
  member: Uint8Array;
  /**
   * The matcher's atom → clauses table without the clauses of rules outside the bucket (a whole
   * pack's shared atoms belong mostly to other buckets' rules), as CSR: atom a's clauses are
   * `clauseList[clauseStart[a] .. clauseStart[a + 1])`. Built on the bucket's first select (two
   * flat arrays, not an array per atom), emptied when adapt rebuilds the table.
   */
  clauseStart: Int32Array | null;
  clauseList: Int32Array;
}

export interface MultiMatchOptions {
  /** Selects after which nearly-always-true clauses stop being counted (MultiMatcher.adapt); 0: never. Default 8192. */
  adaptAfter?: number;
  /** Remember each field text's atoms (TextMemo). Default true. */
  memo?: boolean;
  /**
   * Which clauses a rule's first-phase fields come from (planGuards): 'all' (default) every clause
   * on the guard fields (fields of at least GUARD_MIN_CLAUSES single-field clauses); 'one' one
   * clause per rule, on the most shared field (planPrimaries). Same selections; fields read differ.
   */
  guards?: 'all' | 'one';
}

export interface MultiMatchStats {
  rules: number;
  /** rules with no necessary clause: evaluated for every event of their buckets */
  alwaysEvaluated: number;
  atoms: number;
  clauses: number;
  automatonNodes: number;
  /** fields whose automaton is not built yet */
  automataPending: number;
  /** clauses no longer counted because they held for nearly every event (MultiMatcher.adapt) */
  droppedClauses: number;
}

function build(f: FieldScan): void {
  const needles = f.pending!;
  f.ac = new AhoCorasick(needles);
  if (f.keyword && SkipScanner.suits(needles)) f.skip = new SkipScanner(needles);
  f.pending = null;
}

/** Every character String() gives a number or bigint (digits, sign, point, exponent, Infinity, NaN), lower-cased. */
const NUMBER_CHARS = /^[0-9+\-.eintfyal]*$/;

/** MultiMatcher.adapt: when (selects), from how many events of a rule's buckets, at what hit rate. */
const ADAPT_AFTER = 8192;
const ADAPT_MIN_EVENTS = 256;
const ADAPT_RATE = 0.9;
/** planGuards: a field is a guard field when it alone makes up at least this many clauses. */
const GUARD_MIN_CLAUSES = 5;
const NO_FIELDS = new Int32Array(0);

export class MultiMatcher {
  private readonly fields: FieldScan[] = [];
  private readonly buckets = new Map<number, Bucket>();
  private readonly unkeyed: Bucket;
  /** atom id → clause ids (CSR) */
  private atomClauseStart: Int32Array;
  private atomClauses: Int32Array;
  private readonly clauseRule: Int32Array;
  private readonly ruleNeed: Int32Array;
  private readonly atomStamp: Int32Array;
  private readonly clauseStamp: Int32Array;
  private readonly ruleStamp: Int32Array;
  private readonly ruleHave: Int32Array;
  private epoch = 0;
  private scanLength = 0;
  private current: Bucket | null = null;
  private readonly found: number[] = [];

  /**
   * `adaptAfter`: select calls after which clauses that hold for nearly every event of their rule's
   * buckets stop being counted (see adapt); 0: never. `memo: false`: no TextMemo (tests compare).
   */
  constructor(rules: readonly MultiRuleInput[], dialect: 'elasticsearch' | 'endgame' = 'elasticsearch', opts: MultiMatchOptions = {}) {
    this.memoize = opts.memo !== false;
    this.oneGuard = opts.guards === 'one';
    this.ruleCount = rules.length;
    const atomIds = new Map<string, number>();
    /** the same atom objects recur in an OR's clauses: interned by identity before by content */
    const atomOf = new Map<Atom, number>();
    const atoms: Atom[] = [];
    const atomClauseLists: number[][] = [];
    const clauseRule: number[] = [];
    const ruleNeed = new Int32Array(rules.length);
    const ruleFields: Set<number>[] = [];
    /** per rule: its keyword atoms (scanned by a keyword scan of the rule's bucket, not by a field) */
    const ruleKeywordAtoms: Set<number>[] = [];
    const fieldIds = new Map<string, number>();
    const fieldAtoms: number[][] = [];
    const always: boolean[] = [];
    const clauseAtomLists: number[][] = [];
    this.dialect = dialect;
    rules.forEach((r, ri) => {
      const clauses: Clause[] = r.clauses ?? necessaryClauses(r.where);
      ruleNeed[ri] = clauses.length;
      always.push(clauses.length === 0);
      const fs = new Set<number>();
      const kw = new Set<number>();
      for (const clause of clauses) {
        const cid = clauseRule.length;
        clauseRule.push(ri);
        const ids: number[] = [];
        clauseAtomLists.push(ids);
        for (const a of clause) {
          let id = atomOf.get(a);
          if (id === undefined) id = atomIds.get(atomKey(a));
          if (id === undefined) {
            const k = atomKey(a);
            id = atoms.length;
            atomIds.set(k, id);
            atoms.push(a);
            atomClauseLists.push([]);
            if (a.path !== KEYWORD_PATH) {
              const pk = pathKey(a.path);
              let fid = fieldIds.get(pk);
              if (fid === undefined) {
                fid = fieldAtoms.length;
                fieldIds.set(pk, fid);
                fieldAtoms.push([]);
              }
              fieldAtoms[fid]!.push(id);
            }
          }
          atomOf.set(a, id);
          ids.push(id);
          atomClauseLists[id]!.push(cid);
          if (a.path === KEYWORD_PATH) kw.add(id);
          else fs.add(fieldIds.get(pathKey(a.path))!);
        }
      }
      ruleFields.push(fs);
      ruleKeywordAtoms.push(kw);
    });
    this.atoms = atoms;
    for (const ids of fieldAtoms) this.fields.push(this.makeScan(atoms[ids[0]!]!.path, false, ids));
    for (const [k, v] of fieldIds) this.fieldIds.set(k, v);
    // CSR of atom → clauses.
    const start = new Int32Array(atoms.length + 1);
    let total = 0;
    atomClauseLists.forEach((l, i) => {
      start[i] = total;
      total += l.length;
    });
    start[atoms.length] = total;
    const flat = new Int32Array(total);
    atomClauseLists.forEach((l, i) => flat.set(l, start[i]!));
    this.atomClauseStart = start;
    this.atomClauses = flat;
    this.clauseRule = Int32Array.from(clauseRule);
    this.ruleNeed = ruleNeed;
    this.atomStamp = new Int32Array(atoms.length);
    this.clauseStamp = new Int32Array(clauseRule.length);
    this.ruleStamp = new Int32Array(rules.length);
    this.ruleHave = new Int32Array(rules.length);
    this.always = always;
    this.ruleFields = ruleFields;
    this.ruleKeywordAtoms = ruleKeywordAtoms;
    this.fieldStamp = new Int32Array(this.fields.length);
    this.gNeed = new Int32Array(rules.length);
    this.gHave = new Int32Array(rules.length);
    this.isGuard = new Uint8Array(clauseRule.length);
    this.ruleLate = rules.map(() => NO_FIELDS);
    this.clauseAtoms = clauseAtomLists;
    this.planGuards(new Uint8Array(clauseRule.length));

    // Buckets: each key's rules plus the unkeyed ones; unkeyed rules limited to some channels
    // join a bucket only for their channels when select is told the event's channel.
    rules.forEach((r, ri) => {
      if (r.keys && r.keys.length > 0) for (const k of new Set(r.keys)) (this.keyed.get(k) ?? this.keyed.set(k, []).get(k)!).push(ri);
      else if (r.channels && r.channels.length > 0) {
        this.channelGated.push(ri);
        for (const c of new Set(r.channels)) (this.byChannel.get(c) ?? this.byChannel.set(c, []).get(c)!).push(ri);
      } else this.free.push(ri);
    });
    this.unkeyed = this.makeBucket([...this.free, ...this.channelGated]);
    for (const [k, members] of this.keyed) this.buckets.set(k, this.makeBucket([...members, ...this.free, ...this.channelGated]));
    this.clauseHits = new Int32Array(clauseRule.length);
    this.adaptAt = opts.adaptAfter ?? ADAPT_AFTER;
    this.alwaysCount = always.filter(Boolean).length;
    this.atomCount = atoms.length;
  }

  private readonly dialect: 'elasticsearch' | 'endgame';
  private readonly memoize: boolean;
  /** Clauses no longer counted since adapt (stats). */
  private droppedClauses = 0;
  /** clause → its atom ids */
  private readonly clauseAtoms: number[][];
  /** While sampling (selects < adaptAt): per clause, selects in which it held for a member rule */
  private readonly clauseHits: Int32Array;
  private selects = 0;
  private adaptAt: number;
  private readonly atoms: Atom[];
  private readonly always: boolean[];
  private readonly ruleFields: Set<number>[];
  /** field id → path key (for planGuards) */
  private readonly fieldIds = new Map<string, number>();
  /** planGuards: guard fields; per clause whether it is a guard clause; per rule guard clauses needed / held; late fields */
  private guardField = new Uint8Array(0);
  private readonly isGuard: Uint8Array;
  private readonly gNeed: Int32Array;
  private readonly gHave: Int32Array;
  private ruleLate: Int32Array[];
  /** guards 'one': per rule, the fields of its guard clause */
  private rulePrimary: Int32Array[] = [];
  /** MultiMatchOptions.guards === 'one' */
  private readonly oneGuard: boolean;
  /** adapt's per-rule count of sampled events (null before) */
  private ruleEvents: Float64Array | null = null;
  /** rules whose guard clauses all held in this select (their late fields are read) */
  private readonly alive: number[] = [];
  /** the select (epoch) in which a field was last read */
  private readonly fieldStamp: Int32Array;
  private readonly ruleKeywordAtoms: Set<number>[];
  /** keyed rules by key; unkeyed rules for any channel; unkeyed rules for some channels (and by channel) */
  private readonly keyed = new Map<number, number[]>();
  private readonly free: number[] = [];
  private readonly channelGated: number[] = [];
  private readonly byChannel = new Map<string, number[]>();
  /** buckets for a known channel: key (-1: unkeyed) → channel ('' : none of the rules' channels) → bucket */
  private readonly channelBuckets = new Map<number, Map<string, Bucket>>();
  /** keyword scans by their atom ids, shared by the buckets with the same keyword atoms */
  private readonly keywordScans = new Map<string, FieldScan>();
  private readonly ruleCount: number = 0;
  private readonly alwaysCount: number;
  private readonly atomCount: number;

  /** The scan of `path`'s atoms `ids` (for the keyword path, of those atoms only); its automaton is built on first use. */
  private makeScan(path: readonly PathStep[], keyword: boolean, ids: readonly number[]): FieldScan {
    const f: FieldScan = {
      id: keyword ? -1 : this.fields.length,
      path,
      keyword,
      access: keyword ? (o) => o : compileAccessor(path, this.dialect),
      exact: new Map(),
      ac: null,
      pending: null,
      skip: null,
      numbers: false,
      acAtom: new Int32Array(0),
      acAnchor: new Uint8Array(0),
      onHit: () => {},
      memo: keyword || !this.memoize ? null : { map: new Map(), lookups: 0, hits: 0 },
      lastText: null,
      lastAtoms: NO_ATOMS,
      frontText: keyword || !this.memoize ? null : new Array<string | undefined>(FRONT_SLOTS).fill(undefined),
      frontAtoms: keyword || !this.memoize ? [] : new Array<Int32Array>(FRONT_SLOTS).fill(NO_ATOMS),
    };
    f.onHit = (p, s, e) => this.acHit(f, p, s, e);
    const needles: Needle[] = [];
    const acAtom: number[] = [];
    const acAnchor: number[] = [];
    for (const id of ids) {
      const a = this.atoms[id]!;
      if (keyword && NUMBER_CHARS.test(a.text)) f.numbers = true;
      if (a.kind === 'exact') {
        const l = f.exact.get(a.text);
        if (l) l.push(id);
        else f.exact.set(a.text, [id]);
      } else {
        needles.push({ text: a.text, payload: acAtom.length });
        acAtom.push(id);
        acAnchor.push(a.kind === 'contains' ? 0 : a.kind === 'prefix' ? 1 : 2);
      }
    }
    if (needles.length > 0) {
      f.pending = needles;
      f.acAtom = Int32Array.from(acAtom);
      f.acAnchor = Uint8Array.from(acAnchor);
    }
    return f;
  }

  private makeBucket(members: number[]): Bucket {
    const member = new Uint8Array(this.always.length);
    const fs = new Set<number>();
    const kw = new Set<number>();
    const alw: number[] = [];
    for (const ri of members.sort((a, b) => a - b)) {
      member[ri] = 1;
      if (this.always[ri]) alw.push(ri);
      for (const a of this.ruleKeywordAtoms[ri]!) kw.add(a);
    }
    const fields = this.earlyFields(member);
    if (kw.size > 0) {
      const ids = [...kw].sort((a, b) => a - b);
      const sig = ids.join(',');
      let scan = this.keywordScans.get(sig);
      if (!scan) {
        scan = this.makeScan(KEYWORD_PATH, true, ids);
        this.keywordScans.set(sig, scan);
      }
      fields.push(scan);
    }
    return { fields, always: alw, member, events: 0, clauseStart: null, clauseList: NO_ATOMS };
  }

  /** The bucket of an event of key `key` (already a bucket's key, or null) on channel `channel`. */
  private channelBucket(key: number | null, channel: string): Bucket {
    const k = key === null ? -1 : key;
    let byChan = this.channelBuckets.get(k);
    if (!byChan) {
      byChan = new Map();
      this.channelBuckets.set(k, byChan);
    }
    const c = this.byChannel.has(channel) ? channel : '';
    let b = byChan.get(c);
    if (!b) {
      const members = [...(key === null ? [] : this.keyed.get(key)!), ...this.free];
      if (c !== '') for (const ri of this.byChannel.get(c)!) if (!members.includes(ri)) members.push(ri);
      b = this.makeBucket(members);
      byChan.set(c, b);
    }
    return b;
  }

  /** Sizes; `automatonNodes` counts the automata built so far (see buildAutomata). */
  get stats(): MultiMatchStats {
    let nodes = 0;
    let pending = 0;
    for (const f of [...this.fields, ...this.keywordScans.values()]) {
      if (f.ac) nodes += f.ac.nodeCount;
      if (f.pending) pending++;
    }
    return { rules: this.ruleCount, alwaysEvaluated: this.alwaysCount, atoms: this.atomCount, clauses: this.clauseRule.length, automatonNodes: nodes, automataPending: pending, droppedClauses: this.droppedClauses };
  }

  /** Builds every automaton not built yet (they are otherwise built when an event first needs them). */
  buildAutomata(): void {
    for (const f of [...this.fields, ...this.keywordScans.values()]) if (f.pending) build(f);
  }

  /**
   * Indices (ascending, into the constructor's list) of the rules that can match `ev`, whose
   * bucket key is `key` (null: unkeyed rules only) and whose channel is `channel` (the native
   * view's `Channel`; when it is not a string, every rule limited to some channels is a
   * candidate, as for a matcher without such rules). The array is reused by the next call.
   */
  select(ev: Event, key: number | null, channel?: unknown): readonly number[] {
    let bucket: Bucket;
    if (typeof channel === 'string' && this.channelGated.length > 0) bucket = this.channelBucket(key !== null && this.keyed.has(key) ? key : null, channel);
    else bucket = key === null ? this.unkeyed : (this.buckets.get(key) ?? this.unkeyed);
    const found = this.found;
    found.length = 0;
    if (++this.epoch === 0x7fffffff) this.resetStamps();
    if (this.adaptAt > 0) {
      bucket.events++;
      if (++this.selects === this.adaptAt) this.adapt();
    }
    if (bucket.clauseStart === null) this.bucketClauses(bucket);
    this.current = bucket;
    const alive = this.alive;
    alive.length = 0;
    const fields = bucket.fields;
    const stamp = this.fieldStamp;
    const epoch = this.epoch;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.keyword) {
        if (f.pending !== null) build(f);
        this.scanEvent(f, ev, 0);
        continue;
      }
      stamp[f.id] = epoch;
      this.readField(f, ev);
    }
    // Second phase: the late fields of the rules whose guard clauses all held (planGuards).
    for (let i = 0; i < alive.length; i++) {
      const late = this.ruleLate[alive[i]!]!;
      for (let j = 0; j < late.length; j++) {
        const id = late[j]!;
        if (stamp[id] === epoch) continue;
        stamp[id] = epoch;
        this.readField(this.fields[id]!, ev);
      }
    }
    this.current = null;
    const always = bucket.always;
    if (always.length === 0) return found.length > 1 ? sortSmall(found) : found;
    if (found.length === 0) return always;
    for (let i = 0; i < always.length; i++) found.push(always[i]!);
    return sortSmall(found);
  }

  /** Read one field of the event and scan its texts. */
  private readField(f: FieldScan, ev: Event): void {
    if (f.pending !== null) build(f);
    const v = f.access(ev);
    if (v !== undefined && v !== null) this.scanValue(f, v);
  }

  /**
   * The texts a field's value offers to a wildcard or regex test, exactly as the engine's text
   * matcher sees them (engine/expr.ts `textMatcher` and `anyOf`): a string, a number, bigint or
   * boolean as its text, and for an array each element that is one of those (one level), plus the
   * joined text a multi-valued field carries (events/multi-value.ts `joinedText`, as the engine's
   * `anyOf` reads it; no per-array symbol listing, which allocated on every array field).
   * This is the one place the matcher reads a field's value: change it with the engine's rule.
   */
  private scanValue(f: FieldScan, v: unknown): void {
    if (typeof v === 'string') this.scanText(f, v);
    else if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) {
        const t = scalarText(v[j]);
        if (t !== null) this.scanText(f, t);
      }
      const joined = joinedText(v);
      if (joined !== undefined) this.scanText(f, joined);
    } else {
      const t = scalarText(v);
      if (t !== null) this.scanText(f, t);
    }
  }

  /**
   * forEachEventText, unrolled into the scan: each text by the Wu–Manber scan when the needles
   * suit it (else, or for a text it declines, as any field's text); numbers only when some needle
   * could occur in a number's text.
   */
  private scanEvent(f: FieldScan, v: unknown, depth: number): void {
    if (typeof v === 'string') {
      const skip = f.skip;
      if (skip !== null) {
        // The Wu–Manber scan takes the needles; exact keyword atoms (a keyword without
        // wildcards) are a lookup of the lower-cased text.
        if (f.exact.size > 0) {
          const ex = f.exact.get(v.toLowerCase());
          if (ex) for (let i = 0; i < ex.length; i++) this.hitAtom(ex[i]!);
        }
        if (v.length >= skip.m) {
          this.scanLength = v.length;
          skip.scan(v, f.onHit);
        }
        return;
      }
      this.scanText(f, v);
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      if (f.numbers) this.scanText(f, String(v));
    }
    else if (v === null || typeof v !== 'object' || depth > 32) return;
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) this.scanEvent(f, v[i], depth + 1);
    else for (const k in v as Record<string, unknown>) this.scanEvent(f, (v as Record<string, unknown>)[k], depth + 1);
  }

  /** One text of field `f`: the atoms it hit before (TextMemo), else scanned (scanTextNow) and remembered. */
  private scanText(f: FieldScan, text: string): void {
    // The field's previous text again (`event.kind`, `host.os.type`, `event.action` repeat from
    // event to event): one string comparison instead of hashing the new string for the memo.
    if (text === f.lastText) {
      const atoms = f.lastAtoms;
      for (let i = 0; i < atoms.length; i++) this.hitAtom(atoms[i]!);
      return;
    }
    const memo = f.memo;
    if (memo === null || text.length > MEMO_MAX_TEXT) return this.scanTextNow(f, text);
    const front = f.frontText!;
    const slot = textSlot(text, FRONT_SLOTS - 1);
    memo.lookups++;
    // Two-way (text-slot.ts): the text's slot or its pair's.
    const at = front[slot] === text ? slot : front[slot ^ 1] === text ? slot ^ 1 : -1;
    if (at >= 0) {
      memo.hits++;
      const atoms = f.frontAtoms[at]!;
      f.lastText = text;
      f.lastAtoms = atoms;
      for (let i = 0; i < atoms.length; i++) this.hitAtom(atoms[i]!);
      return;
    }
    const entry = memo.map.get(text);
    if (entry !== undefined) {
      memo.hits++;
      const known = entry.atoms;
      f.lastText = text;
      f.lastAtoms = known;
      this.toFront(f, slot, entry.text, known);
      for (let i = 0; i < known.length; i++) this.hitAtom(known[i]!);
      return;
    }
    if (memo.lookups >= MEMO_PROBATION && memo.hits * 4 < memo.lookups) {
      f.memo = null;
      f.frontText = null;
      return this.scanTextNow(f, text);
    }
    const rec = this.recorded;
    rec.length = 0;
    this.recording = true;
    this.scanTextNow(f, text);
    this.recording = false;
    if (memo.map.size >= MEMO_MAX_ENTRIES) memo.map.clear();
    const atoms = rec.length === 0 ? NO_ATOMS : Int32Array.from(rec);
    memo.map.set(text, { text, atoms });
    f.lastText = text;
    f.lastAtoms = atoms;
    this.toFront(f, slot, text, atoms);
  }

  /** `text` into its slot of the front table, the text it displaces into the pair's other slot. */
  private toFront(f: FieldScan, slot: number, text: string, atoms: Int32Array): void {
    const front = f.frontText!;
    const other = slot ^ 1;
    front[other] = front[slot];
    f.frontAtoms[other] = f.frontAtoms[slot]!;
    front[slot] = text;
    f.frontAtoms[slot] = atoms;
  }

  /** While scanTextNow runs for the memo: every atom the text hits, in order (repeats allowed). */
  private recording = false;
  private readonly recorded: number[] = [];

  /** An atom of the text being scanned: recorded for the memo when asked, then counted. */
  private textAtom(atom: number): void {
    if (this.recording) this.recorded.push(atom);
    this.hitAtom(atom);
  }

  /** One text of field `f`: its exact atoms by lookup, the others by the automaton, on the lower-cased text. */
  private scanTextNow(f: FieldScan, text: string): void {
    if (f.exact.size > 0) {
      const lower = text.toLowerCase();
      const ex = f.exact.get(lower);
      if (ex) for (let i = 0; i < ex.length; i++) this.textAtom(ex[i]!);
      if (f.ac) {
        this.scanLength = lower.length;
        f.ac.scan(lower, f.onHit);
      }
    } else if (f.ac) {
      this.scanLength = text.length;
      if (!f.ac.scanFoldingAscii(text, f.onHit)) {
        const lower = text.toLowerCase();
        this.scanLength = lower.length;
        f.ac.scan(lower, f.onHit);
      }
    }
  }

  /** An automaton hit of `f`'s needle `p` at [s, e) of a text of length scanLength. */
  private acHit(f: FieldScan, p: number, s: number, e: number): void {
    const anchor = f.acAnchor[p]!;
    if (anchor === 0 || (anchor === 1 ? s === 0 : e === this.scanLength)) this.textAtom(f.acAtom[p]!);
  }

  private hitAtom(atom: number): void {
    const epoch = this.epoch;
    if (this.atomStamp[atom] === epoch) return;
    this.atomStamp[atom] = epoch;
    const bucket = this.current!;
    const list = bucket.clauseList;
    const end = bucket.clauseStart![atom + 1]!;
    for (let i = bucket.clauseStart![atom]!; i < end; i++) {
      const c = list[i]!;
      if (this.clauseStamp[c] === epoch) continue;
      this.clauseStamp[c] = epoch;
      const r = this.clauseRule[c]!;
      if (this.adaptAt > 0) this.clauseHits[c]!++;
      if (this.ruleStamp[r] !== epoch) {
        this.ruleStamp[r] = epoch;
        this.ruleHave[r] = 0;
        this.gHave[r] = 0;
      }
      if (this.isGuard[c] === 1 && ++this.gHave[r]! === this.gNeed[r]! && this.ruleLate[r]!.length > 0) this.alive.push(r);
      if (++this.ruleHave[r]! === this.ruleNeed[r]!) this.found.push(r);
    }
  }

  /** The bucket's atom → clauses table (Bucket.clauseStart): the matcher's, for its member rules. */
  private bucketClauses(bucket: Bucket): void {
    const member = bucket.member;
    const start = this.atomClauseStart;
    const all = this.atomClauses;
    const atoms = start.length - 1;
    const own = new Int32Array(atoms + 1);
    let n = 0;
    for (let i = 0; i < all.length; i++) if (member[this.clauseRule[all[i]!]!] === 1) n++;
    const list = new Int32Array(n);
    n = 0;
    for (let a = 0; a < atoms; a++) {
      own[a] = n;
      for (let i = start[a]!; i < start[a + 1]!; i++) {
        const c = all[i]!;
        if (member[this.clauseRule[c]!] === 1) list[n++] = c;
      }
    }
    own[atoms] = n;
    bucket.clauseStart = own;
    bucket.clauseList = list;
  }

  /**
   * Guard clauses: a clause whose atoms all lie in guard fields (fields that alone make up the
   * clauses of several rules: `event.action`, `process.name`, `event.dataset`…). A rule with
   * guard clauses can only be selected when all of them hold, so its other fields (`ruleLate`)
   * are read only for events where they do (select's second phase): with a whole pack, most of
   * the ~90 fields a bucket's rules read belong to rules whose `event.dataset` or `process.name`
   * clause already failed. `dropped`: clauses no longer counted (adapt).
   */
  private planGuards(dropped: Uint8Array): void {
    const fieldOfAtom = (a: number): number => (this.atoms[a]!.path === KEYWORD_PATH ? -1 : this.fieldIds.get(pathKey(this.atoms[a]!.path))!);
    const sole = new Int32Array(this.fields.length);
    const clauseFields = this.clauseAtoms.map((as) => new Set(as.map(fieldOfAtom)));
    clauseFields.forEach((fs, c) => {
      if (dropped[c] === 0 && fs.size === 1 && !fs.has(-1)) sole[[...fs][0]!]!++;
    });
    this.gNeed.fill(0);
    this.isGuard.fill(0);
    if (this.oneGuard) return this.planPrimaries(dropped, clauseFields);
    const guard = new Uint8Array(this.fields.length);
    for (let f = 0; f < guard.length; f++) if (sole[f]! >= GUARD_MIN_CLAUSES) guard[f] = 1;
    this.guardField = guard;
    clauseFields.forEach((fs, c) => {
      if (dropped[c] === 1 || fs.size === 0 || fs.has(-1) || ![...fs].every((f) => guard[f] === 1)) return;
      this.isGuard[c] = 1;
      this.gNeed[this.clauseRule[c]!]!++;
    });
    this.ruleLate = this.ruleFields.map((fs, r) => (this.gNeed[r] === 0 ? NO_FIELDS : Int32Array.from([...fs].filter((f) => guard[f] === 0).sort((a, b) => a - b))));
  }

  /**
   * `guards: 'one'` (MultiMatchOptions): each rule's guard is one clause, on the fields that make up
   * the most clauses of all rules (so a bucket's rules share few first-phase fields:
   * `event.action`, `process.name`, `event.dataset`…): preferring, once the matcher has sampled
   * hit rates (adapt), a clause that holds for under half of the rule's events, then one whose
   * fields are all in at least GUARD_MIN_CLAUSES clauses, then the fewest fields, then the most
   * shared. Only those fields are read first; a rule whose guard held reads its other fields
   * after. A rule with no clause on fields (keyword atoms only) reads all its fields first. The
   * selection is the same as with every guard read first (each clause is still necessary); the
   * fields read differ.
   */
  private planPrimaries(dropped: Uint8Array, clauseFields: Set<number>[]): void {
    const rules = this.ruleCount;
    /** per field: the clauses (kept, of fields only) it is part of */
    const shared = new Int32Array(this.fields.length);
    clauseFields.forEach((fs, c) => {
      if (dropped[c] === 0 && !fs.has(-1)) for (const f of fs) shared[f]!++;
    });
    const primary = new Int32Array(rules).fill(-1);
    const rate = (c: number): number => {
      const n = this.ruleEvents === null ? 0 : this.ruleEvents[this.clauseRule[c]!]!;
      return n > 0 ? this.clauseHits[c]! / n : 0;
    };
    // Lexicographic: held for under half of the rule's events, all fields shared (guard fields),
    // fewest fields, most shared.
    const key = (c: number): number[] => {
      const fs = [...clauseFields[c]!];
      const least = Math.min(...fs.map((f) => shared[f]!));
      return [rate(c) < 0.5 ? 0 : 1, least >= GUARD_MIN_CLAUSES ? 0 : 1, fs.length, -least];
    };
    const better = (x: number[], y: number[]): boolean => {
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
      return false;
    };
    const keys: (number[] | null)[] = new Array<number[] | null>(rules).fill(null);
    clauseFields.forEach((fs, c) => {
      if (dropped[c] === 1 || fs.size === 0 || fs.has(-1)) return;
      const r = this.clauseRule[c]!;
      const k = key(c);
      if (primary[r]! >= 0 && !better(k, keys[r]!)) return;
      primary[r] = c;
      keys[r] = k;
    });
    const guard = new Uint8Array(this.fields.length);
    const primaryFields: Int32Array[] = [];
    for (let r = 0; r < rules; r++) {
      const c = primary[r]!;
      if (c < 0) {
        primaryFields.push(NO_FIELDS);
        continue;
      }
      this.isGuard[c] = 1;
      this.gNeed[r] = 1;
      const fs = Int32Array.from(clauseFields[c]!);
      for (const f of fs) guard[f] = 1;
      primaryFields.push(fs);
    }
    this.guardField = guard;
    this.rulePrimary = primaryFields;
    this.ruleLate = this.ruleFields.map((fs, r) => (this.gNeed[r] === 0 ? NO_FIELDS : Int32Array.from([...fs].filter((f) => !primaryFields[r]!.includes(f)).sort((a, b) => a - b))));
  }

  /** A bucket's first-phase fields: the guard fields of its rules, and every field of its rules without guard clauses. */
  private earlyFields(member: Uint8Array): FieldScan[] {
    const fs = new Set<number>();
    for (let r = 0; r < member.length; r++) {
      if (member[r] === 0) continue;
      const all = this.gNeed[r] === 0;
      if (!all && this.oneGuard) for (const f of this.rulePrimary[r]!) fs.add(f);
      else for (const f of this.ruleFields[r]!) if (all || this.guardField[f] === 1) fs.add(f);
    }
    return [...fs].sort((a, b) => a - b).map((f) => this.fields[f]!);
  }

  /**
   * Once, after `adaptAt` selects: a clause that held in at least ADAPT_RATE of the selects of its
   * rule's buckets (`host.os.type == "windows"` on Windows data, `event.type == "start"`) narrows
   * almost nothing, yet each event it holds for walks it for every rule that has it (hundreds in a
   * whole pack). Such clauses stop being counted: each rule keeps at least its rarest clause, and
   * clauses of keyword atoms are kept. Dropping a clause only lets more rules through, never fewer
   * (a rule is still decided by its own test); the fields read only for dropped clauses are no
   * longer read.
   */
  private adapt(): void {
    this.adaptAt = 0;
    const rules = this.ruleCount;
    const ruleEvents = new Float64Array(rules);
    const buckets = [this.unkeyed, ...this.buckets.values()];
    for (const byChan of this.channelBuckets.values()) buckets.push(...byChan.values());
    for (const b of buckets) if (b.events > 0) for (let r = 0; r < rules; r++) if (b.member[r] === 1) ruleEvents[r] += b.events;
    this.ruleEvents = ruleEvents;
    const clausesOf: number[][] = Array.from({ length: rules }, () => []);
    for (let c = 0; c < this.clauseRule.length; c++) clausesOf[this.clauseRule[c]!]!.push(c);
    const dropped = new Uint8Array(this.clauseRule.length);
    let any = false;
    for (let r = 0; r < rules; r++) {
      const cs = clausesOf[r]!;
      const n = ruleEvents[r]!;
      if (cs.length < 2 || n < ADAPT_MIN_EVENTS) continue;
      const rate = (c: number): number => this.clauseHits[c]! / n;
      const keyword = (c: number): boolean => this.clauseAtoms[c]!.some((a) => this.atoms[a]!.path === KEYWORD_PATH);
      const rarest = cs.reduce((a, b) => (rate(b) < rate(a) ? b : a));
      for (const c of cs) {
        if (c === rarest || keyword(c) || rate(c) < ADAPT_RATE) continue;
        dropped[c] = 1;
        this.droppedClauses++;
        this.ruleNeed[r]!--;
        any = true;
      }
    }
    if (!any) return;
    // atom → clauses without the dropped ones; each rule's fields from its kept clauses.
    const start = this.atomClauseStart;
    const kept: number[] = [];
    const newStart = new Int32Array(start.length);
    for (let a = 0; a + 1 < start.length; a++) {
      newStart[a] = kept.length;
      for (let i = start[a]!; i < start[a + 1]!; i++) if (dropped[this.atomClauses[i]!] === 0) kept.push(this.atomClauses[i]!);
    }
    newStart[start.length - 1] = kept.length;
    this.atomClauseStart = newStart;
    this.atomClauses = Int32Array.from(kept);
    for (const b of buckets) {
      b.clauseStart = null;
      b.clauseList = NO_ATOMS;
    }
    const pathField = this.fieldIds;
    for (let r = 0; r < rules; r++) {
      const fs = new Set<number>();
      for (const c of clausesOf[r]!) {
        if (dropped[c] === 1) continue;
        for (const a of this.clauseAtoms[c]!) if (this.atoms[a]!.path !== KEYWORD_PATH) fs.add(pathField.get(pathKey(this.atoms[a]!.path))!);
      }
      this.ruleFields[r] = fs;
    }
    this.planGuards(dropped);
    for (const b of buckets) {
      const keywordScans = b.fields.filter((f) => f.keyword);
      b.fields = [...this.earlyFields(b.member), ...keywordScans];
    }
  }

  private resetStamps(): void {
    this.atomStamp.fill(0);
    this.fieldStamp.fill(0);
    this.clauseStamp.fill(0);
    this.ruleStamp.fill(0);
    this.epoch = 1;
  }
}

const ascending = (a: number, b: number): number => a - b;

/** `xs.sort(ascending)`, by insertion for the short lists a select returns (no comparator calls). */
function sortSmall(xs: number[]): number[] {
  if (xs.length > 32) return xs.sort(ascending);
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    let j = i - 1;
    while (j >= 0 && xs[j]! > x) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = x;
  }
  return xs;
}
