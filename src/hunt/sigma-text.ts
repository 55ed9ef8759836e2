/**
 * Which raw JSON lines a Sigma rule set can match, decided on the text before parsing (the Sigma
 * part of the prefilter, hunt/prefilter.ts).
 *
 * Each single-event native-view rule has necessary clauses (engine/multi-match/necessary.ts, the
 * multi-rule matcher's own analysis): a conjunction of disjunctions of atoms, each a lower-cased
 * text the lower-cased value of a field must equal, start, end with or contain. A rule can only
 * match an event whose raw line holds, for every clause, one atom's text — written as a JSON
 * writer writes it and compared ignoring case. A line is parsed when some rule that can see its
 * EventID has every clause met there; a rule with no clause usable on the text (below) parses
 * every line of its EventIDs (every line when the line's EventID cannot be read).
 *
 * Sound because the native view's values come from the raw text, with these exceptions
 * (FIELD_POLICIES, read from the normalization tables, not listed by hand):
 * - values the native view computes: an ECS document's EventID (its Sysmon equivalent: no
 *   needle), Channel and Provider_Name (Sysmon's constants: no needle inside them), fields a
 *   reverse table renders in another text (`User` as `DOMAIN\name`, `Hashes` as `MD5=…,…`: only
 *   the longest piece without the joining characters; registry `Details` from a number and a
 *   direction's `true`/`false`: no needle) or takes from an `opaque` derived ECS field (none);
 * - keyword searches read every value, computed ones included: all of the above, and no digits;
 * - joined multi-values (events/multi-value.ts, evtx_dump's `"#text": [...]`): such a line is
 *   always parsed (an atom may span two values);
 * - case: ASCII is folded in the scan, any other line lower-cased whole, as the engine lower-cases
 *   a value (per character, but for the final sigma: atoms holding one give no needle);
 * - escapes: the atom's text is looked for as JSON.stringify writes it (`\\`, `\"`, `\n`,
 *   `\u001f`); a line with a `\u` or `\/` escape is first rewritten that way (canonicalEscapes);
 * - anchors: a prefix / suffix / exact atom stands at a value's start / end (after / before a
 *   string's quote, or a number's or boolean's delimiters: `3389.0` reads as 3389).
 * Needles the analysis cut to 20 characters are looked for as the rule's full literals (uncut).
 */
import type { Expr, PathStep, Pattern, Rule } from '../ir/types.js';
import { AhoCorasick, type Needle } from '../engine/multi-match/aho-corasick.js';
import { KEYWORD_PATH, necessaryClauses, score, type Atom, type Clause } from '../engine/multi-match/necessary.js';
import { ECS_DERIVED_FIELDS } from '../normalize/index.js';
import { REVERSE_BY_EVENT_ID, REVERSE_GENERIC, SYSMON_CHANNEL, SYSMON_PROVIDER } from '../normalize/tables/reverse.js';
import { valueAfterKey } from './text-checks.js';

/**
 * How the native view may compute a field's text from raw parts, per native field (lower-cased
 * name), read from the ECS → native tables (normalize/tables/reverse.ts): `split`: the raw parts
 * are joined with these characters (`User` as `DOMAIN\\name`, `Hashes` as `MD5=…,SHA1=…`), so
 * only a piece of an atom without them is looked for; `formatted`: an atom made only of these
 * characters may come from a number rendered in another text (registry `Details` as
 * `DWORD (0x00000001)`); `unusable`: the value bears no textual relation to the raw text.
 */
interface FieldPolicy {
  split: string;
  formatted?: RegExp;
  unusable?: boolean;
  /** Texts the native view may write here that are in no raw line (an atom inside one is not used). */
  constants?: string[];
}

/**
 * Every computed text joins raw parts with one of these (the keyword search reads them all); a
 * line with joined multi-values (`"#text": [`) is parsed whatever its text (hasTextArray).
 */
const ALL_SPLITS = '\\=,';
const REG_DETAILS = /^[dworqx0-9a-f() -]*$/;

export const FIELD_POLICIES: ReadonlyMap<string, FieldPolicy> = (() => {
  // An ECS document's EventID is the Sysmon equivalent of its category (SYSMON_EQUIVALENT).
  // Its Channel and Provider_Name are Sysmon's (ecsNative).
  const out = new Map<string, FieldPolicy>([
    ['eventid', { split: '', unusable: true }],
    ['channel', { split: '', constants: [SYSMON_CHANNEL.toLowerCase()] }],
    ['provider_name', { split: '', constants: [SYSMON_PROVIDER.toLowerCase()] }],
  ]);
  for (const fields of [...Object.values(REVERSE_BY_EVENT_ID), REVERSE_GENERIC]) {
    for (const f of fields) {
      const name = f.native.toLowerCase();
      const have = out.get(name) ?? { split: '' };
      if (ECS_DERIVED_FIELDS.get(f.ecs) === 'opaque') have.unusable = true;
      if (f.format === 'user') have.split += '\\';
      if (f.format === 'hashes') have.split += '=,';
      if (f.format === 'regDetails') have.formatted = REG_DETAILS;
      if (f.format === 'direction') have.constants = ['true', 'false'];
      out.set(name, have);
    }
  }
  return out;
})();

/** Every text FIELD_POLICIES lists as a constant: what a keyword search may find in no raw line. */
const ALL_CONSTANTS = [SYSMON_CHANNEL, SYSMON_PROVIDER, 'true', 'false'].map((s) => s.toLowerCase());

/**
 * A text looked for in a line: JSON-escaped, lower-cased. `anchor`: where in a value it must
 * stand — bit 1: at the start (after a value's opening delimiter, EXACT_BEFORE), bit 2: at the
 * end (before its closing one, EXACT_AFTER); 3: the whole value. A value's own text (an atom
 * `exact`, `prefix`, `suffix`) stands so in the raw text too; a piece of it (split) does not.
 */
export interface TextNeedle {
  text: string;
  anchor: number;
}

/** The needle an atom gives on raw text, or null when it cannot be used (see the header). */
export function atomNeedle(a: Atom): TextNeedle | null {
  let split = '';
  let formatted: RegExp | null = null;
  let constants: readonly string[] = [];
  if (a.path === KEYWORD_PATH) {
    // Any value of the native view, computed ones included.
    split = ALL_SPLITS;
    formatted = REG_DETAILS;
    constants = ALL_CONSTANTS;
  } else {
    const field = a.path[0];
    if (typeof field !== 'string') return null;
    const p = FIELD_POLICIES.get(field.toLowerCase());
    if (p?.unusable) return null;
    if (p) {
      split = p.split;
      formatted = p.formatted ?? null;
      constants = p.constants ?? [];
    }
  }
  let best = a.text;
  if (split !== '') {
    best = '';
    let from = 0;
    for (let i = 0; i <= a.text.length; i++) {
      if (i === a.text.length || split.includes(a.text[i]!)) {
        if (i - from > best.length) best = a.text.slice(from, i);
        from = i + 1;
      }
    }
  }
  // A needle cut at MAX_NEEDLE may end inside a surrogate pair: the half is dropped.
  if (/[\ud800-\udbff]$/.test(best)) best = best.slice(0, -1);
  if (/^[\udc00-\udfff]/.test(best)) best = best.slice(1);
  if (best === '') return null;
  // The keyword search reads numbers too, the EventID an ECS document is given among them.
  if (a.path === KEYWORD_PATH && /^[-+0-9.e]*$/.test(best)) return null;
  if (formatted !== null && formatted.test(best)) return null;
  if (constants.some((c) => c.includes(best))) return null;
  // Lower-casing a whole line maps each character as lower-casing a value does, but for the
  // final sigma (its form depends on the next character).
  if (/[\u03c2\u03c3]/.test(best)) return null;
  const anchor = best !== a.text ? 0 : a.kind === 'exact' ? 3 : a.kind === 'prefix' ? 1 : a.kind === 'suffix' ? 2 : 0;
  return { text: JSON.stringify(best).slice(1, -1), anchor };
}

/**
 * What may stand before and after a whole value in JSON text: a string's quotes, or a number's
 * neighbours (`:3389,`, `[3389]`; `3389.0` and `3.389e3` are read as 3389 too, so `.`, `e` may follow).
 */
const EXACT_BEFORE = new Set([...'":[, \t\n\r'].map((c) => c.charCodeAt(0)));
const EXACT_AFTER = new Set([...'",}] \t\n\r.eE'].map((c) => c.charCodeAt(0)));
/** Around a text no number can be: a string's quotes (or white space, should a reader trim it). */
const STRING_EDGE = new Set([...'" \t\n\r'].map((c) => c.charCodeAt(0)));
/** A text that may be written unquoted: a number, or a boolean (its text is `true`/`false`). */
const NUMERIC = /^(?:[-+0-9.e]+|true|false)$/;

/** The anchors an occurrence of a needle at start..end meets: bits as TextNeedle.anchor, plus 4 (always). */
function anchorsAt(text: string, start: number, end: number, numeric: boolean): number {
  const before = numeric ? EXACT_BEFORE : STRING_EDGE;
  const after = numeric ? EXACT_AFTER : STRING_EDGE;
  return 4 | (before.has(text.charCodeAt(start - 1)) ? 1 : 0) | (after.has(text.charCodeAt(end)) ? 2 : 0);
}

/** Does some occurrence of the needle in `text` stand where its anchor says? */
function holds(text: string, n: TextNeedle): boolean {
  for (let i = text.indexOf(n.text); i >= 0; i = text.indexOf(n.text, i + 1)) {
    if ((anchorsAt(text, i, i + n.text.length, NUMERIC.test(n.text)) & n.anchor) === n.anchor) return true;
  }
  return false;
}

interface TextRule {
  /** EventIDs the matcher selects the rule for (null: any). */
  keys: readonly number[] | null;
  /** The needles of its most selective clause: the automata look for them. */
  trigger: readonly TextNeedle[];
  /** Its other clauses: one needle of each must be in the line too (checked after a trigger). */
  rest: readonly (readonly TextNeedle[])[];
}

/** The rules a line of some EventIDs can meet, and one automaton for their trigger needles. */
interface Group {
  ac: AhoCorasick | null;
  /** needle payload * 4 + anchor → indices of the rules it triggers so anchored. */
  byTrigger: number[][];
  seen: Uint32Array;
  /** Per payload, the anchors (bits of anchorsAt, combined as ANCHOR_MET) its occurrences met in this line. */
  met: Uint8Array;
  /** Per payload: its text could be a number's. */
  numeric: Uint8Array;
}

/** Beyond this many EventID sets seen, a line's group is the one of every rule (a superset). */
const MAX_GROUPS = 256;

/** How a Sigma rule set judges raw lines; see the file header. */
export class SigmaTextGate {
  private readonly rules: TextRule[] = [];
  /** Rules with no usable clause: any EventID (`alwaysAny`) or these. */
  private readonly alwaysAny: boolean;
  private readonly alwaysIds = new Set<number>();
  /** Some rule with usable clauses is keyed by EventID. */
  private readonly keyed: boolean;
  private readonly groups = new Map<string, Group>();
  private everyRule: Group | null = null;
  private stamp = 0;
  private readonly found: number[] = [];
  private group: Group | null = null;
  private text = '';
  private readonly hit: (payload: number, start: number, end: number) => void;
  /** Rules with no usable clause. */
  readonly unconstrained: number;
  /** Why `wants` last said yes: the index (in `sources`) of the rule whose clauses the line met; -1: a rule with none. */
  lastRule = -1;
  /** The rules with usable clauses, by the indices lastRule gives. */
  readonly sources: Rule[] = [];

  /** The gate of these rules, or null when one is not a single-event native-view rule. */
  static of(rules: readonly Rule[]): SigmaTextGate | null {
    return SigmaTextGate.applies(rules) ? new SigmaTextGate(rules) : null;
  }

  /** Whether `of` gives a gate for these rules (cheap: the gate itself is built by `of`). */
  static applies(rules: readonly Rule[]): boolean {
    for (const r of rules) if (r.view !== 'native' || r.query.kind !== 'event') return false;
    return true;
  }

  private constructor(rules: readonly Rule[]) {
    let always = false;
    let unconstrained = 0;
    // Atoms repeat across clauses (an OR's clauses are products of its branches'): one needle each.
    const needleOf = new Map<Atom, TextNeedle | null>();
    for (const r of rules) {
      const q = r.query as Extract<Rule['query'], { kind: 'event' }>;
      const clauses: Clause[] = uncut(carriedClauses(r) ?? necessaryClauses(q.query.where), q.query.where);
      const usable: { needles: TextNeedle[]; score: number }[] = [];
      for (const c of clauses) {
        const needles: TextNeedle[] = [];
        const have = new Set<string>();
        let s = 0;
        for (const a of c) {
          let n = needleOf.get(a);
          if (n === undefined) needleOf.set(a, (n = atomNeedle(a)));
          if (n === null) {
            needles.length = 0;
            break;
          }
          const key = `${n.anchor}${n.text}`;
          if (!have.has(key)) {
            have.add(key);
            needles.push(n);
            s += score({ path: a.path as PathStep[], kind: (['contains', 'prefix', 'suffix', 'exact'] as const)[n.anchor]!, text: n.text });
          }
        }
        if (needles.length > 0) usable.push({ needles, score: s });
      }
      const keys = r.gate?.eventIds && r.gate.eventIds.length > 0 ? r.gate.eventIds : null;
      if (usable.length === 0) {
        unconstrained++;
        if (keys === null) always = true;
        else for (const k of keys) this.alwaysIds.add(k);
        continue;
      }
      usable.sort((x, y) => x.score - y.score);
      this.rules.push({ keys, trigger: usable[0]!.needles, rest: usable.slice(1).map((u) => u.needles) });
      this.sources.push(r);
    }
    this.alwaysAny = always;
    this.unconstrained = unconstrained;
    this.keyed = this.rules.some((r) => r.keys !== null);
    this.hit = (payload: number, start: number, end: number): void => {
      const g = this.group!;
      if (g.seen[payload] !== this.stamp) {
        g.seen[payload] = this.stamp;
        g.met[payload] = 0;
        this.found.push(payload);
      }
      const at = anchorsAt(this.text, start, end, g.numeric[payload] === 1);
      // Bit k set: anchor k (0: none, 1: start, 2: end, 3: both) met by some occurrence.
      g.met[payload]! |= 1 | (at & 1 ? 2 : 0) | (at & 2 ? 4 : 0) | ((at & 3) === 3 ? 8 : 0);
    };
  }

  /** The group of the rules a line of these EventIDs (null: unknown) can meet (cached). */
  private groupOf(ids: readonly number[] | null): Group {
    if (ids === null || (this.groups.size >= MAX_GROUPS && !this.groups.has(groupKey(ids)))) {
      return (this.everyRule ??= this.build(null));
    }
    const key = groupKey(ids);
    let g = this.groups.get(key);
    if (g === undefined) {
      g = this.build(ids);
      this.groups.set(key, g);
    }
    return g;
  }

  private build(ids: readonly number[] | null): Group {
    const payloads = new Map<string, number>();
    const needles: Needle[] = [];
    const byTrigger: number[][] = [];
    this.rules.forEach((r, ri) => {
      if (ids !== null && r.keys !== null && !r.keys.some((k) => ids.includes(k))) return;
      for (const t of r.trigger) {
        let p = payloads.get(t.text);
        if (p === undefined) {
          p = needles.length;
          payloads.set(t.text, p);
          needles.push({ text: t.text, payload: p });
          byTrigger.push([], [], [], []);
        }
        byTrigger[p * 4 + t.anchor]!.push(ri);
      }
    });
    const n = needles.length;
    const numeric = Uint8Array.from(needles, (x) => (NUMERIC.test(x.text) ? 1 : 0));
    return { ac: n > 0 ? new AhoCorasick(needles) : null, byTrigger, seen: new Uint32Array(n), met: new Uint8Array(n), numeric };
  }

  /**
   * Can a rule match the event of this line? `idsOf`: the EventIDs the line's native view may
   * have, null when they cannot be read (called only when some rule is keyed by EventID).
   */
  wants(line: string, idsOf: (line: string) => readonly number[] | null): boolean {
    this.lastRule = -1;
    if (this.alwaysAny) return true;
    let ids: readonly number[] | null = null;
    if (this.keyed || this.alwaysIds.size > 0) {
      ids = idsOf(line);
      if (ids === null) {
        if (this.alwaysIds.size > 0) return true;
      } else for (const id of ids) if (this.alwaysIds.has(id)) return true;
    }
    const g = this.groupOf(ids);
    const ac = g.ac;
    if (ac === null) return false;
    // Joined multi-values (an evtx_dump `"#text": [...]`): an atom may span two values.
    if (hasTextArray(line)) return true;
    if (++this.stamp === 0xffffffff) {
      for (const x of [...this.groups.values(), ...(this.everyRule ? [this.everyRule] : [])]) x.seen.fill(0);
      this.stamp = 1;
    }
    this.group = g;
    this.found.length = 0;
    const text = hasEscape(line) ? canonicalEscapes(line) : line;
    let lowered: string | null = null;
    this.text = text;
    if (!ac.scanFoldingAscii(text, this.hit)) {
      lowered = text.toLowerCase();
      this.text = lowered;
      ac.scan(lowered, this.hit);
    }
    const found = this.found;
    for (let f = 0; f < found.length; f++) {
      const p = found[f]!;
      const met = g.met[p]!;
      for (let anchor = 0; anchor < 4; anchor++) {
        if ((met & (1 << anchor)) === 0) continue;
        const rs = g.byTrigger[p * 4 + anchor]!;
        next: for (let k = 0; k < rs.length; k++) {
          const r = this.rules[rs[k]!]!;
          if (ids !== null && r.keys !== null && !r.keys.some((x) => ids.includes(x))) continue;
          const rest = r.rest;
          if (rest.length > 0) {
            lowered ??= text.toLowerCase();
            for (let c = 0; c < rest.length; c++) {
              const clause = rest[c]!;
              let met = false;
              for (let j = 0; j < clause.length; j++) {
                if (holds(lowered, clause[j]!)) {
                  met = true;
                  break;
                }
              }
              if (!met) continue next;
            }
          }
          this.lastRule = rs[k]!;
          return true;
        }
      }
    }
    return false;
  }
}

/** Does the line hold a `"#text"` key whose value is an array (evtx_dump's unnamed `<Data>` values)? */
export function hasTextArray(line: string): boolean {
  if (line.indexOf('#text"') < 0) return false;
  for (let j = valueAfterKey(line, '#text"', 0); j >= 0; j = valueAfterKey(line, '#text"', j)) if (line.charCodeAt(j) === 91 /* [ */) return true;
  return false;
}

/**
 * The necessary clauses the rule carries from its load (Rule.derived, sigma/derived.ts; read here
 * without importing the Sigma front end, which `spoor query` must not load), or undefined.
 */
function carriedClauses(rule: Rule): Clause[] | undefined {
  const d = rule.derived;
  if (!d) return undefined;
  const atoms: Atom[] = d.atoms.map(([p, kind, text]) => ({ path: p === null ? KEYWORD_PATH : p, kind, text }));
  return d.clauses.map((c) => c.map((i) => atoms[i]!));
}

/** The length necessary.ts cuts a needle to (MAX_NEEDLE there). */
const CUT = 20;

/**
 * The clauses with each needle cut to CUT characters replaced by the rule's full literals it may
 * have been cut from (every literal part of a pattern on the same field, lower-cased, that starts
 * — or for a suffix ends — with it). A cut needle stands for one or more such literals, one per
 * pattern it came from; a disjunction of all of them is as necessary and far more selective
 * (`c:\windows\system32\` was `c:\windows\system32\spool\drivers\color\`).
 */
function uncut(clauses: Clause[], where: Expr): Clause[] {
  if (!clauses.some((c) => c.some((a) => a.kind !== 'exact' && a.text.length === CUT))) return clauses;
  const parts = new Map<string, Set<string>>();
  const add = (path: readonly PathStep[], patterns: readonly Pattern[]): void => {
    const k = JSON.stringify(path);
    const set = parts.get(k) ?? parts.set(k, new Set()).get(k)!;
    for (const p of patterns) for (const x of p) if (x.t === 'lit' && x.v.length > CUT) set.add(x.v.toLowerCase());
  };
  const walk = (e: Expr): void => {
    if (e.kind === 'wildcard' && e.expr.kind === 'field') add(e.expr.path, e.patterns);
    else if (e.kind === 'keyword') add(KEYWORD_PATH, e.patterns);
    else if (e.kind === 'and' || e.kind === 'or') e.exprs.forEach(walk);
    else if (e.kind === 'not') walk(e.expr);
  };
  walk(where);
  return clauses.map((c) =>
    c.flatMap((a) => {
      if (a.kind === 'exact' || a.text.length !== CUT) return [a];
      const full = [...(parts.get(JSON.stringify(a.path)) ?? [])].filter((t) => (a.kind === 'suffix' ? t.endsWith(a.text) : t.startsWith(a.text)));
      return full.length === 0 ? [a] : full.map((text) => ({ path: a.path, kind: a.kind, text }));
    }),
  );
}

function groupKey(ids: readonly number[]): string {
  return [...new Set(ids)].sort((a, b) => a - b).join(',');
}

/** Does the line hold a `\u` or `\/` escape (not an escaped backslash followed by `u` or `/`)? */
export function hasEscape(line: string): boolean {
  for (let i = line.indexOf('\\'); i >= 0; ) {
    // A run of backslashes: pairs are escaped backslashes; an odd one escapes what follows.
    let j = i;
    while (line.charCodeAt(j) === 92) j++;
    if ((j - i) % 2 === 1) {
      const c = line.charCodeAt(j);
      if (c === 117 /* u */ || c === 47 /* / */) return true;
    }
    i = line.indexOf('\\', j + 1);
  }
  return false;
}

/**
 * The line with every `\uXXXX` and `\/` escape written as JSON.stringify writes its character
 * (a run of `\u` escapes decoded together: a surrogate pair is one character).
 */
export function canonicalEscapes(line: string): string {
  let out = '';
  let from = 0;
  for (let i = line.indexOf('\\'); i >= 0 && i < line.length - 1; i = line.indexOf('\\', i)) {
    const c = line.charCodeAt(i + 1);
    if (c === 117 /* u */ && HEX4.test(line.slice(i + 2, i + 6))) {
      let decoded = '';
      let j = i;
      while (line.charCodeAt(j) === 92 && line.charCodeAt(j + 1) === 117 && HEX4.test(line.slice(j + 2, j + 6))) {
        decoded += String.fromCharCode(parseInt(line.slice(j + 2, j + 6), 16));
        j += 6;
      }
      out += line.slice(from, i) + JSON.stringify(decoded).slice(1, -1);
      i = j;
      from = j;
    } else if (c === 47 /* / */) {
      out += line.slice(from, i) + '/';
      i += 2;
      from = i;
    } else i += 2;
  }
  return out + line.slice(from);
}
const HEX4 = /^[0-9a-fA-F]{4}$/;
