/**
 * IR → EQL text, for showing rules (`spoor rules`, debugging) and for round-trip tests of the
 * parser: for any query the parser produced in a dialect, `parseEql(formatQuery(q, d), d)` gives
 * the same IR back. IR that the dialect cannot express (a Sigma keyword search, a case-sensitive
 * `==` in Endgame, …) raises `EqlFormatError`.
 */
import type { EventQuery, Expr, Literal, Pattern, Pipe, Query, Stage } from '../ir/types.js';
import { lookupFunction } from './functions.js';
import { IDENT, RESERVED } from './keywords.js';
import type { EqlDialect } from './types.js';

export class EqlFormatError extends Error {
  override name = 'EqlFormatError';
}

// Binding strength, loosest first.
const OR = 1;
const AND = 2;
const NOT = 3;
const PREDICATE = 4;
const SUM = 5;
const PRODUCT = 6;
const UNARY = 7;
const PRIMARY = 8;

interface Printed {
  text: string;
  prec: number;
}

/** The query as EQL text in `dialect` (default Elasticsearch). */
export function formatQuery(q: Query, dialect: EqlDialect = 'elasticsearch'): string {
  return new Formatter(dialect).query(q);
}

/** One expression as EQL text in `dialect` (default Elasticsearch). */
export function formatExpr(e: Expr, dialect: EqlDialect = 'elasticsearch'): string {
  return new Formatter(dialect).expr(e, OR);
}

class Formatter {
  constructor(private readonly d: EqlDialect) {}

  private unsupported(what: string): never {
    throw new EqlFormatError(`${what} cannot be written in the ${this.d} dialect`);
  }

  query(q: Query): string {
    switch (q.kind) {
      case 'event':
        return this.eventQuery(q.query) + this.pipes(q.pipes);
      case 'sequence': {
        let head = 'sequence';
        if (q.by.length > 0) head += ` by ${this.list(q.by)}`;
        if (q.maxspanNs !== undefined) head += ` with maxspan=${this.duration(q.maxspanNs)}`;
        return head + this.stages(q.stages, q.until) + this.pipes(q.pipes);
      }
      case 'sample':
      case 'join': {
        let head = q.kind;
        if (q.by.length > 0) head += ` by ${this.list(q.by)}`;
        return head + this.stages(q.stages, q.kind === 'join' ? q.until : undefined) + this.pipes(q.pipes);
      }
      case 'correlation':
        return this.unsupported('a Sigma correlation');
    }
  }

  private eventQuery(q: EventQuery): string {
    const cat = q.category === null ? 'any' : IDENT.test(q.category) && !RESERVED.has(q.category) ? q.category : this.string(q.category);
    return `${cat} where ${this.expr(q.where, OR)}`;
  }

  private stages(stages: Stage[], until: Stage | undefined): string {
    let out = '';
    for (const s of stages) out += `\n  ${this.stage(s)}`;
    if (until) out += `\nuntil ${this.stage(until)}`;
    return out;
  }

  private stage(s: Stage): string {
    let out = `${s.missing ? '!' : ''}[${this.eventQuery(s.query)}]`;
    if (s.fork !== undefined) out += ` fork=${s.fork}`;
    if (s.by.length > 0) out += ` by ${this.list(s.by)}`;
    if (s.runs !== undefined) out += ` with runs=${s.runs}`;
    return out;
  }

  private duration(ns: number): string {
    for (const [unit, per] of [['d', 86400e9], ['h', 3600e9], ['m', 60e9], ['s', 1e9], ['ms', 1e6]] as const) {
      if (ns >= per && ns % per === 0) return `${ns / per}${unit}`;
    }
    if (ns === 0) return '0s';
    return this.d === 'endgame' ? `${ns / 1e9}s` : this.unsupported(`a maxspan of ${ns} ns`);
  }

  private pipes(pipes: Pipe[]): string {
    return pipes.map((p) => `\n| ${this.pipe(p)}`).join('');
  }

  private pipe(p: Pipe): string {
    switch (p.kind) {
      case 'head':
      case 'tail':
        return `${p.kind} ${p.count}`;
      case 'filter':
        return `filter ${this.expr(p.expr, OR)}`;
      default:
        return p.by.length > 0 ? `${p.kind} ${this.list(p.by)}` : p.kind;
    }
  }

  private list(es: Expr[]): string {
    return es.map((e) => this.expr(e, OR)).join(', ');
  }

  /** `e` as text, parenthesised unless it binds at least as tightly as `min`. */
  expr(e: Expr, min: number): string {
    const p = this.print(e);
    return p.prec >= min ? p.text : `(${p.text})`;
  }

  private print(e: Expr): Printed {
    switch (e.kind) {
      case 'literal':
        return this.literal(e.value, e.float === true);
      case 'field':
        return { text: this.field(e.path, e.optional === true), prec: PRIMARY };
      case 'not':
        return { text: `not ${this.expr(e.expr, NOT)}`, prec: NOT };
      case 'and':
      case 'or': {
        const own = e.kind === 'and' ? AND : OR;
        // Children of the same kind keep their parentheses so that nesting survives a round trip.
        return { text: e.exprs.map((x) => this.expr(x, own + 1)).join(` ${e.kind} `), prec: own };
      }
      case 'compare':
        return { text: this.compare(e), prec: PREDICATE };
      case 'in': {
        let op = e.negated ? 'not in' : 'in';
        if (e.caseInsensitive !== (this.d === 'endgame')) {
          if (this.d === 'endgame') this.unsupported("a case-sensitive 'in'");
          op += '~';
        }
        return { text: `${this.expr(e.expr, SUM)} ${op} (${this.list(e.values)})`, prec: PREDICATE };
      }
      case 'wildcard': {
        const pats = e.patterns.map((p) => this.string(this.pattern(p)));
        const op = e.caseInsensitive ? ':' : 'like';
        return { text: `${this.expr(e.expr, SUM)} ${op} ${pats.length === 1 ? pats[0] : `(${pats.join(', ')})`}`, prec: PREDICATE };
      }
      case 'regex': {
        const op = e.flags === 'is' ? 'regex~' : e.flags === 's' ? 'regex' : this.unsupported(`a regex with flags '${e.flags}'`);
        const pats = e.patterns.map((p) => {
          const m = /^\^\(\?:([\s\S]*)\)\$$/.exec(p);
          return m ? this.string(m[1]!) : this.unsupported('an unanchored regex');
        });
        return { text: `${this.expr(e.expr, SUM)} ${op} ${pats.length === 1 ? pats[0] : `(${pats.join(', ')})`}`, prec: PREDICATE };
      }
      case 'call':
        return { text: this.call(e), prec: PRIMARY };
      case 'cidr':
        return { text: `cidrMatch(${[this.expr(e.expr, OR), ...e.cidrs.map((c) => this.string(c))].join(', ')})`, prec: PRIMARY };
      case 'arith': {
        const own = e.op === '+' || e.op === '-' ? SUM : PRODUCT;
        return { text: `${this.expr(e.left, own)} ${e.op} ${this.expr(e.right, own + 1)}`, prec: own };
      }
      case 'neg': {
        const inner = this.expr(e.expr, UNARY);
        return { text: `-${inner.startsWith('-') ? ' ' : ''}${inner}`, prec: UNARY };
      }
      case 'lineage':
        if (this.d !== 'endgame') this.unsupported(`'${e.relation} of'`);
        return { text: `${e.relation} of [${this.eventQuery(e.query)}]`, prec: PRIMARY };
      case 'keyword':
        return this.unsupported('a Sigma keyword search');
    }
  }

  private compare(e: Extract<Expr, { kind: 'compare' }>): string {
    const left = this.expr(e.left, SUM);
    const right = this.expr(e.right, SUM);
    if (this.d === 'endgame') {
      if (!e.caseInsensitive) this.unsupported('a case-sensitive comparison');
      const starry = (x: Expr): boolean => x.kind === 'literal' && typeof x.value === 'string' && x.value.includes('*');
      if ((e.op === '==' || e.op === '!=') && (starry(e.left) || starry(e.right))) {
        this.unsupported("'==' with a string holding '*' (it would mean a wildcard)");
      }
      return `${left} ${e.op} ${right}`;
    }
    if (!e.caseInsensitive) return `${left} ${e.op} ${right}`;
    // Elasticsearch writes a case-insensitive equality only as `:` against a non-string constant.
    if (e.op === '==' && e.right.kind === 'literal' && typeof e.right.value !== 'string') return `${left} : ${right}`;
    return this.unsupported('a case-insensitive comparison');
  }

  private call(e: Extract<Expr, { kind: 'call' }>): string {
    const spec = lookupFunction(e.name);
    const name = spec?.name ?? e.name;
    const defaultCi = this.d === 'endgame' && spec?.stringCompare === true;
    let tilde = '';
    if (e.caseInsensitive !== defaultCi) {
      if (!e.caseInsensitive || spec?.tilde !== true) this.unsupported(`${name}() with caseInsensitive=${e.caseInsensitive}`);
      tilde = '~';
    }
    const args = e.args.map((a, i) => {
      // arraySearch/arrayCount: the loop variable travels as a string literal.
      if (i === 1 && (e.name === 'arraysearch' || e.name === 'arraycount') && a.kind === 'literal' && typeof a.value === 'string') {
        return this.field([a.value], false);
      }
      return this.expr(a, OR);
    });
    return `${name}${tilde}(${args.join(', ')})`;
  }

  private field(path: readonly (string | number)[], optional: boolean): string {
    if (optional && this.d === 'endgame') this.unsupported('an optional ?field');
    let out = optional ? '?' : '';
    path.forEach((step, i) => {
      if (typeof step === 'number') out += `[${step}]`;
      else {
        const bare = IDENT.test(step) && (i > 0 || !RESERVED.has(step));
        const name = bare ? step : this.quotedName(step);
        out += i === 0 ? name : `.${name}`;
      }
    });
    return out;
  }

  private quotedName(name: string): string {
    if (this.d === 'endgame' && /[`\r\n]/.test(name)) this.unsupported(`the field name ${JSON.stringify(name)}`);
    return `\`${name.replace(/`/g, '``')}\``;
  }

  private pattern(p: Pattern): string {
    return p
      .map((part) => {
        if (part.t === 'star') return '*';
        if (part.t === 'one') return this.d === 'endgame' ? this.unsupported("a '?' wildcard") : '?';
        if (part.v.includes('*') || (this.d === 'elasticsearch' && part.v.includes('?'))) {
          this.unsupported(`a literal '*' or '?' inside a wildcard pattern`);
        }
        return part.v;
      })
      .join('');
  }

  private literal(v: Literal, float: boolean): Printed {
    if (v === null) return { text: 'null', prec: PRIMARY };
    if (typeof v === 'boolean') return { text: String(v), prec: PRIMARY };
    if (typeof v === 'string') return { text: this.string(v), prec: PRIMARY };
    let text = String(v);
    if (float && typeof v === 'number' && /^-?\d+$/.test(text)) text += '.0';
    return { text, prec: text.startsWith('-') ? UNARY : PRIMARY };
  }

  private string(s: string): string {
    let out = '"';
    for (const ch of s) {
      switch (ch) {
        case '"': out += '\\"'; break;
        case '\\': out += '\\\\'; break;
        case '\n': out += '\\n'; break;
        case '\r': out += '\\r'; break;
        case '\t': out += '\\t'; break;
        default: {
          const cp = ch.codePointAt(0)!;
          if (cp < 0x20 && this.d === 'elasticsearch') out += `\\u{${cp.toString(16)}}`;
          else out += ch;
        }
      }
    }
    return `${out}"`;
  }
}
