/**
 * Sigma detection conditions: `sel and not (filter1 or 1 of filter_*)`.
 *
 * Precedence, loosest to tightest: `or`, `and`, `not`; parentheses group. `1 of X` / `any of X`
 * and `all of X` take an identifier pattern (`sel*`) or `them` (every detection whose name does
 * not start with `_`).
 */
import type { Expr } from '../ir/types.js';
import { SigmaRuleError, and, or } from './modifiers.js';

type Token = { t: 'word'; v: string } | { t: '(' } | { t: ')' };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(/\(|\)|[^\s()]+/g)) {
    if (m[0] === '(') out.push({ t: '(' });
    else if (m[0] === ')') out.push({ t: ')' });
    else out.push({ t: 'word', v: m[0] });
  }
  return out;
}

/** Compile a condition given the compiled detections by name. */
export function compileCondition(text: string, detections: Map<string, Expr>): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const fail = (msg: string): never => {
    throw new SigmaRuleError(`condition '${text}': ${msg}`, 'error');
  };
  const peekWord = (): string | null => {
    const tok = tokens[i];
    return tok && tok.t === 'word' ? tok.v.toLowerCase() : null;
  };

  const parseOr = (): Expr => {
    const parts = [parseAnd()];
    while (peekWord() === 'or') {
      i++;
      parts.push(parseAnd());
    }
    return or(parts);
  };
  const parseAnd = (): Expr => {
    const parts = [parseNot()];
    while (peekWord() === 'and') {
      i++;
      parts.push(parseNot());
    }
    return and(parts);
  };
  const parseNot = (): Expr => {
    if (peekWord() === 'not') {
      i++;
      return { kind: 'not', expr: twoValued(parseNot()) };
    }
    return parsePrimary();
  };
  const parsePrimary = (): Expr => {
    const tok = tokens[i];
    if (!tok) return fail('unexpected end');
    if (tok.t === '(') {
      i++;
      const e = parseOr();
      if (tokens[i]?.t !== ')') fail('missing )');
      i++;
      return e;
    }
    if (tok.t === ')') return fail('unexpected )');
    const word = tok.v;
    const lower = word.toLowerCase();
    const next = tokens[i + 1];
    if ((lower === '1' || lower === 'any' || lower === 'all') && next?.t === 'word' && next.v.toLowerCase() === 'of') {
      const target = tokens[i + 2];
      if (!target || target.t !== 'word') return fail(`'${word} of' needs a name pattern or 'them'`);
      i += 3;
      const names = selectNames(target.v, detections);
      if (names.length === 0) fail(`'${target.v}' matches no detection`);
      const exprs = names.map((n) => detections.get(n)!);
      return lower === 'all' ? and(exprs) : or(exprs);
    }
    if (/^\d+$/.test(lower) && next?.t === 'word' && next.v.toLowerCase() === 'of') {
      throw new SigmaRuleError(`'${word} of' (only '1 of', 'any of' and 'all of' are defined)`, 'unsupported');
    }
    if (['and', 'or', 'not', 'of', 'them'].includes(lower)) fail(`unexpected '${word}'`);
    if (word === '|' || /^(count|near|min|max|avg|sum)\(/i.test(word)) {
      throw new SigmaRuleError(`legacy aggregation in condition (use a correlation rule)`, 'unsupported');
    }
    const d = detections.get(word);
    if (!d) fail(`unknown detection '${word}'`);
    i++;
    return d!;
  };

  const e = parseOr();
  if (i < tokens.length) {
    const rest = tokens[i]!;
    if (rest.t === 'word' && rest.v === '|') {
      throw new SigmaRuleError(`legacy aggregation in condition (use a correlation rule)`, 'unsupported');
    }
    fail(`unexpected '${rest.t === 'word' ? rest.v : rest.t}'`);
  }
  return e;
}

function selectNames(pattern: string, detections: Map<string, Expr>): string[] {
  const all = [...detections.keys()];
  if (pattern.toLowerCase() === 'them') return all.filter((n) => !n.startsWith('_'));
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return all.filter((n) => re.test(n));
}

const present = (e: Expr): Expr => ({ kind: 'compare', op: '!=', left: e, right: { kind: 'literal', value: null }, caseInsensitive: false });

/**
 * Sigma logic is two-valued: a test on a missing field is false, so `not filter` is true when
 * the filter's field is absent. The IR is three-valued (missing → null, and `not null` is null),
 * so every field test under a `not` is guarded by a presence test that turns null into false.
 */
export function twoValued(e: Expr): Expr {
  switch (e.kind) {
    case 'and':
      return { ...e, exprs: e.exprs.map(twoValued) };
    case 'or':
      return { ...e, exprs: e.exprs.map(twoValued) };
    case 'not':
      return { ...e, expr: twoValued(e.expr) };
    case 'wildcard':
    case 'regex':
    case 'cidr':
    case 'in':
      return e.expr.kind === 'field' ? and([present(e.expr), e]) : e;
    case 'compare': {
      if (e.right.kind === 'literal' && e.right.value === null) return e; // presence tests are two-valued
      const operands = [e.left, e.right].flatMap((x) => (x.kind === 'call' ? x.args : [x]));
      const guards = operands.filter((x) => x.kind === 'field').map(present);
      return guards.length > 0 ? and([...guards, e]) : e;
    }
    default:
      return e;
  }
}
