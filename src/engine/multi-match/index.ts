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
import { AhoCorasick, type Needle } from './aho-corasick.js';
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
}

interface FieldScan {
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
  /** per AC payload: atom id and anchor (0 contains, 1 prefix, 2 suffix) */
  acAtom: Int32Array;
  acAnchor: Uint8Array;
  /** the automaton's hit callback, bound once */
  onHit: (payload: number, start: number, end: number) => void;
}

interface Bucket {
  fields: FieldScan[];
  /** rule indices always evaluated, ascending */
  always: number[];
  member: Uint8Array;
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
}

function build(f: FieldScan): void {
  f.ac = new AhoCorasick(f.pending!);
  f.pending = null;
}

export class MultiMatcher {
  private readonly fields: FieldScan[] = [];
  private readonly buckets = new Map<number, Bucket>();
  private readonly unkeyed: Bucket;
  /** atom id → clause ids (CSR) */
  private readonly atomClauseStart: Int32Array;
  private readonly atomClauses: Int32Array;
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

  constructor(rules: readonly MultiRuleInput[], dialect: 'elasticsearch' | 'endgame' = 'elasticsearch') {
    const atomIds = new Map<string, number>();
    const atoms: Atom[] = [];
    const atomClauseLists: number[][] = [];
    const clauseRule: number[] = [];
    const ruleNeed = new Int32Array(rules.length);
    const ruleFields: Set<number>[] = [];
    const fieldIds = new Map<string, number>();
    const fieldAtoms: number[][] = [];
    const always: boolean[] = [];
    rules.forEach((r, ri) => {
      const clauses: Clause[] = necessaryClauses(r.where);
      ruleNeed[ri] = clauses.length;
      always.push(clauses.length === 0);
      const fs = new Set<number>();
      for (const clause of clauses) {
        const cid = clauseRule.length;
        clauseRule.push(ri);
        for (const a of clause) {
          const k = atomKey(a);
          let id = atomIds.get(k);
          if (id === undefined) {
            id = atoms.length;
            atomIds.set(k, id);
            atoms.push(a);
            atomClauseLists.push([]);
            const pk = pathKey(a.path);
            let fid = fieldIds.get(pk);
            if (fid === undefined) {
              fid = fieldAtoms.length;
              fieldIds.set(pk, fid);
              fieldAtoms.push([]);
              const keyword = a.path === KEYWORD_PATH;
              this.fields.push({ path: a.path, keyword, access: keyword ? (o) => o : compileAccessor(a.path, dialect), exact: new Map(), ac: null, pending: null, acAtom: new Int32Array(0), acAnchor: new Uint8Array(0), onHit: () => {} });
              const f = this.fields[this.fields.length - 1]!;
              f.onHit = (p, s, e) => this.acHit(f, p, s, e);
            }
            fieldAtoms[fid]!.push(id);
          }
          atomClauseLists[id]!.push(cid);
          fs.add(fieldIds.get(pathKey(a.path))!);
        }
      }
      ruleFields.push(fs);
    });
    this.fields.forEach((f, fid) => {
      const needles: Needle[] = [];
      const acAtom: number[] = [];
      const acAnchor: number[] = [];
      for (const id of fieldAtoms[fid]!) {
        const a = atoms[id]!;
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
    });
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

    // Buckets: each key's rules plus the unkeyed ones.
    const unkeyed: number[] = [];
    const byKey = new Map<number, number[]>();
    rules.forEach((r, ri) => {
      if (!r.keys || r.keys.length === 0) unkeyed.push(ri);
      else for (const k of new Set(r.keys)) (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(ri);
    });
    const makeBucket = (members: number[]): Bucket => {
      const member = new Uint8Array(rules.length);
      const fs = new Set<number>();
      const alw: number[] = [];
      for (const ri of members.sort((a, b) => a - b)) {
        member[ri] = 1;
        if (always[ri]) alw.push(ri);
        for (const f of ruleFields[ri]!) fs.add(f);
      }
      return { fields: [...fs].sort((a, b) => a - b).map((f) => this.fields[f]!), always: alw, member };
    };
    this.unkeyed = makeBucket([...unkeyed]);
    for (const [k, members] of byKey) this.buckets.set(k, makeBucket([...members, ...unkeyed]));
    this.ruleCount = rules.length;
    this.alwaysCount = always.filter(Boolean).length;
    this.atomCount = atoms.length;
  }

  private readonly ruleCount: number;
  private readonly alwaysCount: number;
  private readonly atomCount: number;

  /** Sizes; `automatonNodes` counts the automata built so far (see buildAutomata). */
  get stats(): MultiMatchStats {
    let nodes = 0;
    let pending = 0;
    for (const f of this.fields) {
      if (f.ac) nodes += f.ac.nodeCount;
      if (f.pending) pending++;
    }
    return { rules: this.ruleCount, alwaysEvaluated: this.alwaysCount, atoms: this.atomCount, clauses: this.clauseRule.length, automatonNodes: nodes, automataPending: pending };
  }

  /** Builds every automaton not built yet (they are otherwise built when an event first needs them). */
  buildAutomata(): void {
    for (const f of this.fields) if (f.pending) build(f);
  }

  /**
   * Indices (ascending, into the constructor's list) of the rules that can match `ev`, whose
   * bucket key is `key` (null: unkeyed rules only). The array is reused by the next call.
   */
  select(ev: Event, key: number | null): readonly number[] {
    const bucket = key === null ? this.unkeyed : (this.buckets.get(key) ?? this.unkeyed);
    const found = this.found;
    found.length = 0;
    if (++this.epoch === 0x7fffffff) this.resetStamps();
    this.current = bucket;
    const fields = bucket.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.pending !== null) build(f);
      if (f.keyword) {
        this.scanEvent(f, ev, 0);
        continue;
      }
      const v = f.access(ev);
      if (v !== undefined && v !== null) this.scanValue(f, v);
    }
    this.current = null;
    const always = bucket.always;
    if (always.length === 0) return found.length > 1 ? found.sort(ascending) : found;
    if (found.length === 0) return always;
    for (let i = 0; i < always.length; i++) found.push(always[i]!);
    return found.sort(ascending);
  }

  /**
   * The texts a field's value offers to a wildcard or regex test, exactly as the engine's text
   * matcher sees them (engine/expr.ts `textMatcher` and `anyOf`): a string, a number, bigint or
   * boolean as its text, and for an array each element that is one of those (one level), plus any
   * text the array carries under a symbol key (a multi-valued field's joined text, as
   * events/multi-value.ts attaches it; scanning an extra text can only let more rules through).
   * This is the one place the matcher reads a field's value: change it with the engine's rule.
   */
  private scanValue(f: FieldScan, v: unknown): void {
    if (typeof v === 'string') this.scanText(f, v);
    else if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) {
        const t = scalarText(v[j]);
        if (t !== null) this.scanText(f, t);
      }
      for (const sym of Object.getOwnPropertySymbols(v)) {
        const t = (v as unknown as Record<symbol, unknown>)[sym];
        if (typeof t === 'string') this.scanText(f, t);
      }
    } else {
      const t = scalarText(v);
      if (t !== null) this.scanText(f, t);
    }
  }

  /** forEachEventText, unrolled into the scan. */
  private scanEvent(f: FieldScan, v: unknown, depth: number): void {
    if (typeof v === 'string') this.scanText(f, v);
    else if (typeof v === 'number' || typeof v === 'bigint') this.scanText(f, String(v));
    else if (v === null || typeof v !== 'object' || depth > 32) return;
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) this.scanEvent(f, v[i], depth + 1);
    else for (const k in v as Record<string, unknown>) this.scanEvent(f, (v as Record<string, unknown>)[k], depth + 1);
  }

  /** One text of field `f`: its exact atoms by lookup, the others by the automaton, on the lower-cased text. */
  private scanText(f: FieldScan, text: string): void {
    if (f.exact.size > 0) {
      const lower = text.toLowerCase();
      const ex = f.exact.get(lower);
      if (ex) for (let i = 0; i < ex.length; i++) this.hitAtom(ex[i]!);
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
    if (anchor === 0 || (anchor === 1 ? s === 0 : e === this.scanLength)) this.hitAtom(f.acAtom[p]!);
  }

  private hitAtom(atom: number): void {
    const epoch = this.epoch;
    if (this.atomStamp[atom] === epoch) return;
    this.atomStamp[atom] = epoch;
    const member = this.current!.member;
    const end = this.atomClauseStart[atom + 1]!;
    for (let i = this.atomClauseStart[atom]!; i < end; i++) {
      const c = this.atomClauses[i]!;
      if (this.clauseStamp[c] === epoch) continue;
      this.clauseStamp[c] = epoch;
      const r = this.clauseRule[c]!;
      if (member[r] === 0) continue;
      if (this.ruleStamp[r] !== epoch) {
        this.ruleStamp[r] = epoch;
        this.ruleHave[r] = 0;
      }
      if (++this.ruleHave[r]! === this.ruleNeed[r]!) this.found.push(r);
    }
  }

  private resetStamps(): void {
    this.atomStamp.fill(0);
    this.clauseStamp.fill(0);
    this.ruleStamp.fill(0);
    this.epoch = 1;
  }
}

const ascending = (a: number, b: number): number => a - b;
