/**
 * The EQL function catalogue (Elasticsearch and Endgame), compiled to closures.
 *
 * Null handling follows each dialect: Elasticsearch returns null when a required argument is
 * null; the Endgame (python eql) reference implementation differs in places (concat skips
 * nothing but renders null, indexOf treats a null start as 0, length(null) is 0 …), which
 * the conformance suites pin down.
 */
import type { Expr } from '../ir/types.js';
import { compileRegex, UnsupportedRegexError } from '../ir/regex.js';
import { compileCidrs } from './cidr.js';
import type { CompileContext, Fn } from './context.js';
import { compilePatterns, globToPattern } from './pattern.js';
import { isNullish, isNumeric, toText } from './values.js';

export class EngineError extends Error {}

type Impl = (args: Fn[], exprs: Expr[], ci: boolean, ctx: CompileContext) => Fn;

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

function arity(name: string, args: Fn[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min}-${max}`;
    throw new EngineError(`${name}() takes ${want} arguments, got ${args.length}`);
  }
}

function literalStrings(name: string, exprs: Expr[], from: number): string[] | null {
  const out: string[] = [];
  for (const e of exprs.slice(from)) {
    if (e.kind !== 'literal') return null;
    if (typeof e.value !== 'string') throw new EngineError(`${name}(): pattern arguments must be strings`);
    out.push(e.value);
  }
  return out;
}

/** Python-style slice index: negative counts from the end, clamped to [0, len]. */
function sliceIndex(i: number, len: number): number {
  if (i < 0) return Math.max(0, len + i);
  return Math.min(i, len);
}

function arith(op: (a: number, b: number) => number | null, bigOp?: (a: bigint, b: bigint) => bigint | null): Impl {
  return (args) => {
    const [a, b] = args as [Fn, Fn];
    return (ev, sc) => {
      const x = a(ev, sc);
      const y = b(ev, sc);
      if (typeof x === 'number' && typeof y === 'number') return op(x, y);
      if (isNumeric(x) && isNumeric(y)) {
        if (bigOp && typeof x === 'bigint' && typeof y === 'bigint') return bigOp(x, y);
        return op(Number(x), Number(y));
      }
      return null;
    };
  };
}

/**
 * A literal written with a decimal point (`2.0`). JS numbers cannot tell 2.0 from 2, so the front
 * end marks such literals `float: true`; division then stays floating point.
 */
function isDecimalLiteral(e: Expr | undefined): boolean {
  return e !== undefined && e.kind === 'literal' && e.float === true;
}

/** Integer division truncates (Java/Elasticsearch) or floors (python eql) when both operands are integers. */
function divide(dialect: CompileContext['dialect'], floating: boolean) {
  return (a: number, b: number): number | null => {
    if (b === 0) return null;
    if (!floating && Number.isInteger(a) && Number.isInteger(b)) return dialect === 'elasticsearch' ? Math.trunc(a / b) : Math.floor(a / b);
    return a / b;
  };
}

function stringTest(name: string, test: (s: string, sub: string) => boolean): Impl {
  return (args, _exprs, ci) => {
    arity(name, args, 2, 2);
    const [a, b] = args as [Fn, Fn];
    return (ev, sc) => {
      const s = str(a(ev, sc));
      const sub = str(b(ev, sc));
      if (s === null || sub === null) return null;
      return ci ? test(s.toLowerCase(), sub.toLowerCase()) : test(s, sub);
    };
  };
}

function between(source: string, left: string, right: string, greedy: boolean, ci: boolean): string {
  const hay = ci ? source.toLowerCase() : source;
  const l = ci ? left.toLowerCase() : left;
  const r = ci ? right.toLowerCase() : right;
  const at = hay.indexOf(l);
  if (at < 0) return '';
  const start = at + l.length;
  const end = greedy ? hay.lastIndexOf(r) : hay.indexOf(r, start);
  if (end < 0 || end < start) return '';
  return source.slice(start, end);
}

function parseNumber(text: string, base: number | null): number | null {
  const t = text.trim();
  if (t === '') return null;
  const m = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(t);
  if (m && (base === null || base === 16)) {
    const v = parseInt(m[2]!, 16);
    return m[1] === '-' ? -v : v;
  }
  const b = base ?? 10;
  if (b === 10) {
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
    return null;
  }
  if (b < 2 || b > 36) return null;
  const digits = t.replace(/^[+-]/, '');
  const valid = digits.split('').every((c) => {
    const d = parseInt(c, 36);
    return !Number.isNaN(d) && d < b;
  });
  if (!valid || digits === '') return null;
  return parseInt(t, b);
}

const catalogue: Record<string, Impl> = {
  add: arith((a, b) => a + b, (a, b) => a + b),
  subtract: arith((a, b) => a - b, (a, b) => a - b),
  multiply: arith((a, b) => a * b, (a, b) => a * b),
  divide: (args, exprs, ci, ctx) => {
    const floating = exprs.some(isDecimalLiteral);
    return arith(divide(ctx.dialect, floating), floating ? undefined : (a, b) => (b === 0n ? null : a / b))(args, exprs, ci, ctx);
  },
  modulo: arith((a, b) => (b === 0 ? null : a % b), (a, b) => (b === 0n ? null : a % b)),

  between: (args, _exprs, ci, ctx) => {
    arity('between', args, 3, 5);
    const [s, l, r, g, c] = args as [Fn, Fn, Fn, Fn | undefined, Fn | undefined];
    return (ev, sc) => {
      const source = str(s(ev, sc));
      const left = str(l(ev, sc));
      const right = str(r(ev, sc));
      if (source === null || left === null || right === null) return null;
      const greedy = g ? g(ev, sc) === true : false;
      const caseSensitive = c ? c(ev, sc) === true : !ci;
      if (ctx.dialect === 'endgame') {
        // python eql: an empty source or delimiters give '' / whole-source results as in ES,
        // but an unmatched delimiter yields null rather than ''.
        const hay = caseSensitive ? source : source.toLowerCase();
        const lft = caseSensitive ? left : left.toLowerCase();
        const rgt = caseSensitive ? right : right.toLowerCase();
        const at = hay.indexOf(lft);
        if (at < 0) return null;
        const start = at + lft.length;
        if (rgt === '') return greedy ? source.slice(start) : '';
        const end = greedy ? hay.lastIndexOf(rgt) : hay.indexOf(rgt, start);
        if (end < 0 || end < start) return null;
        return source.slice(start, end);
      }
      return between(source, left, right, greedy, !caseSensitive);
    };
  },

  cidrMatch: (args, exprs) => {
    arity('cidrMatch', args, 2, Infinity);
    const lits = literalStrings('cidrMatch', exprs, 1);
    const a = args[0]!;
    if (lits) {
      const test = compileCidrs(lits);
      return (ev, sc) => {
        const v = a(ev, sc);
        if (isNullish(v)) return null;
        if (Array.isArray(v)) return v.some((x) => typeof x === 'string' && test(x));
        return typeof v === 'string' ? test(v) : false;
      };
    }
    const rest = args.slice(1);
    return (ev, sc) => {
      const v = a(ev, sc);
      const blocks = rest.map((f) => f(ev, sc));
      if (isNullish(v) || blocks.some(isNullish)) return null;
      try {
        return typeof v === 'string' && compileCidrs(blocks.map(String))(v);
      } catch {
        return null;
      }
    };
  },

  // Both dialects: a null argument makes the result null.
  concat: (args) => {
    arity('concat', args, 1, Infinity);
    return (ev, sc) => {
      let out = '';
      for (const f of args) {
        const v = f(ev, sc);
        if (isNullish(v)) return null;
        out += toText(v);
      }
      return out;
    };
  },

  endsWith: stringTest('endsWith', (s, sub) => s.endsWith(sub)),
  startsWith: stringTest('startsWith', (s, sub) => s.startsWith(sub)),
  stringContains: (args, exprs, ci, ctx) => {
    const base = stringTest('stringContains', (s, sub) => (ctx.dialect === 'elasticsearch' && sub === '' ? false : s.includes(sub)));
    return base(args, exprs, ci, ctx);
  },

  indexOf: (args, _exprs, ci, ctx) => {
    arity('indexOf', args, 2, 3);
    const [a, b, c] = args as [Fn, Fn, Fn | undefined];
    return (ev, sc) => {
      let s = str(a(ev, sc));
      let sub = str(b(ev, sc));
      if (s === null || sub === null) return null;
      let start = 0;
      if (c) {
        const v = c(ev, sc);
        // A null start is 0 (IndexOfFunctionProcessor: `start == null ? 0 : start`), in both dialects.
        if (!isNullish(v)) {
          const n = num(v);
          if (n === null) return null;
          start = Math.max(0, Math.trunc(n));
        }
      }
      if (start > s.length) return null;
      if (ci) {
        s = s.toLowerCase();
        sub = sub.toLowerCase();
      }
      const at = s.indexOf(sub, start);
      return at < 0 ? null : at;
    };
  },

  length: (args, _exprs, _ci, ctx) => {
    arity('length', args, 1, 1);
    const a = args[0]!;
    return (ev, sc) => {
      const v = a(ev, sc);
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      if (isNullish(v)) return null;
      if (typeof v === 'object') return Object.keys(v as object).length;
      return ctx.dialect === 'endgame' ? 0 : null;
    };
  },

  number: (args) => {
    arity('number', args, 1, 2);
    const [a, b] = args as [Fn, Fn | undefined];
    return (ev, sc) => {
      const v = a(ev, sc);
      if (isNullish(v)) return null;
      if (isNumeric(v)) return v;
      if (typeof v !== 'string') return null;
      const base = b ? num(b(ev, sc)) : null;
      return parseNumber(v, base);
    };
  },

  string: (args) => {
    arity('string', args, 1, 1);
    const a = args[0]!;
    return (ev, sc) => toText(a(ev, sc));
  },

  substring: (args) => {
    arity('substring', args, 1, 3);
    const [a, b, c] = args as [Fn, Fn | undefined, Fn | undefined];
    return (ev, sc) => {
      const s = str(a(ev, sc));
      if (s === null) return null;
      const startV = b ? num(b(ev, sc)) : null;
      const endV = c ? num(c(ev, sc)) : null;
      const start = startV === null ? 0 : sliceIndex(Math.trunc(startV), s.length);
      const end = endV === null ? s.length : sliceIndex(Math.trunc(endV), s.length);
      return end > start ? s.slice(start, end) : '';
    };
  },

  wildcard: (args, exprs, ci) => {
    arity('wildcard', args, 2, Infinity);
    const lits = literalStrings('wildcard', exprs, 1);
    if (!lits) throw new EngineError('wildcard(): patterns must be string literals');
    const test = compilePatterns(
      lits.map((p) => globToPattern(p, false)),
      ci,
    );
    const a = args[0]!;
    return (ev, sc) => {
      const v = a(ev, sc);
      if (isNullish(v)) return null;
      if (typeof v !== 'string') return false;
      return test(ci ? v.toLowerCase() : v);
    };
  },

  match: (args, exprs, ci) => {
    arity('match', args, 2, Infinity);
    const lits = literalStrings('match', exprs, 1);
    if (!lits) throw new EngineError('match(): patterns must be string literals');
    // python eql: re.match (anchored at the start only), IGNORECASE | DOTALL.
    let re: { test(s: string): boolean };
    try {
      re = compileRegex(`^(?:${lits.join('|')})`, ci ? 'is' : 's');
    } catch (err) {
      if (err instanceof UnsupportedRegexError) throw new EngineError(`match(): ${err.message}`);
      throw err;
    }
    const a = args[0]!;
    return (ev, sc) => {
      const v = a(ev, sc);
      if (isNullish(v)) return null;
      return typeof v === 'string' && re.test(v);
    };
  },

  arrayContains: (args, _exprs, ci) => {
    arity('arrayContains', args, 2, Infinity);
    const [arr, ...vals] = args as [Fn, ...Fn[]];
    return (ev, sc) => {
      const a = arr(ev, sc);
      if (!Array.isArray(a)) return false;
      const wanted = vals.map((f) => {
        const v = f(ev, sc);
        return ci && typeof v === 'string' ? v.toLowerCase() : v;
      });
      for (const item of a) {
        const x = ci && typeof item === 'string' ? item.toLowerCase() : item;
        for (const w of wanted) if (x === w || (isNumeric(x) && isNumeric(w) && Number(x) === Number(w))) return true;
      }
      return false;
    };
  },
};
catalogue['matchLite'] = catalogue['match']!;

/**
 * Functions the front ends use internally, named with a `$` that EQL syntax cannot write.
 * `$isoWeek(date)`: the ISO 8601 week number (1-53) of a date given as text that starts with
 * `YYYY-MM-DD` (Sysmon `UtcTime`, ISO timestamps), or null; Sigma's `week` modifier.
 */
const internal: Record<string, Impl> = {
  $isoWeek: (args) => {
    arity('$isoWeek', args, 1, 1);
    const [f] = args as [Fn];
    return (ev, sc) => {
      const v = f(ev, sc);
      return typeof v === 'string' ? isoWeek(v) : null;
    };
  },
};

/** ISO week of the `YYYY-MM-DD` at the start of `text` (the date as written: no time zone shift). */
export function isoWeek(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  const day = Date.UTC(y, mo - 1, d);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0
  const thursday = day + (3 - weekday) * 86_400_000; // the week belongs to its Thursday's year
  const jan1 = Date.UTC(new Date(thursday).getUTCFullYear(), 0, 1);
  return 1 + Math.floor((thursday - jan1) / (7 * 86_400_000));
}

const byLowerName = new Map([...Object.entries(catalogue), ...Object.entries(internal)].map(([k, v]) => [k.toLowerCase(), v]));

/** Look up a function by name, case-insensitively (the EQL front end may normalise case). */
export function functionImpl(name: string): Impl | undefined {
  return byLowerName.get(name.toLowerCase());
}

export function knownFunctions(): string[] {
  return [...Object.keys(catalogue), 'arraySearch', 'arrayCount', 'safe'].sort();
}
