/**
 * Recursive-descent EQL parser producing the shared rule IR, for the Elasticsearch and the
 * Endgame (Python `eql`) dialects. Dialect differences are checked where they arise so that each
 * error points at the construct the dialect lacks.
 */
import type { EventQuery, Expr, Literal, PathStep, Pattern, Pipe, Query, Stage } from '../ir/types.js';
import { checkRegex } from '../ir/regex.js';
import { type SourceMap } from './errors.js';
import { durationNs, durationUnits } from './duration.js';
import { functionNames, lookupFunction, maxArgs, minArgs, paramType, type FunctionSpec } from './functions.js';
import type { Token } from './lexer.js';
import { toPattern } from './pattern.js';
import { didYouMean } from './suggest.js';
import { OPERATOR_WORDS, RESERVED } from './keywords.js';
import { isCidr, negate, staticType, wildcardSide } from './values.js';
import type { EqlDialect } from './types.js';

const ES_PIPES = ['head', 'tail'];
const ENDGAME_PIPES = ['count', 'unique', 'unique_count', 'filter', 'sort', 'head', 'tail'];

/** Default row count of `| head` / `| tail` without a number (Endgame only, as in Python eql). */
const DEFAULT_HEAD = 50;

/** Upper bound of `with runs=N`, as in Elasticsearch. */
const MAX_RUNS = 100;

/** Deepest nesting of parentheses, `not`, signs and function calls accepted. */
const MAX_DEPTH = 200;

type PipedQuery = Exclude<Query, { kind: 'correlation' }>;

export class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly toks: Token[],
    private readonly map: SourceMap,
    private readonly dialect: EqlDialect,
  ) {}

  // ---- token helpers -------------------------------------------------------------------------

  private peek(k = 0): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  private isOp(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'op' && t.text === text;
  }
  private isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' && t.text === word && !t.tilde;
  }
  private eatOp(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.next();
    return true;
  }
  private eatKw(word: string): boolean {
    if (!this.isKw(word)) return false;
    this.next();
    return true;
  }
  private expectOp(text: string, what?: string): Token {
    if (!this.isOp(text)) this.fail(this.peek(), [what ?? `'${text}'`]);
    return this.next();
  }

  private describe(t: Token): string {
    if (t.kind === 'eof') return 'end of query';
    const text = t.kind === 'ident' && t.tilde ? `${t.text}~` : t.text;
    return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
  }

  /** "expected X or Y, got Z" at token `t`. */
  fail(t: Token, expected: string[]): never {
    const list =
      expected.length <= 1
        ? (expected[0] ?? 'something else')
        : `${expected.slice(0, -1).join(', ')} or ${expected[expected.length - 1]}`;
    throw this.map.error(t.start, `expected ${list}, got ${this.describe(t)}`, expected);
  }

  /** A semantic error at token `t`. */
  error(t: Token, reason: string): never {
    throw this.map.error(t.start, reason);
  }

  private endgameOnly(t: Token, what: string): void {
    if (this.dialect !== 'endgame') {
      this.error(t, `${what} is only available in the Endgame dialect, not in Elasticsearch EQL`);
    }
  }

  // ---- queries -------------------------------------------------------------------------------

  parseQuery(): Query {
    const query = this.parseBaseQuery();
    while (this.isOp('|')) query.pipes.push(this.parsePipe());
    if (this.peek().kind !== 'eof') this.fail(this.peek(), this.continuation());
    return query;
  }

  parseStandaloneExpression(): Expr {
    const e = this.parseExpr();
    if (this.peek().kind !== 'eof') this.fail(this.peek(), ['an operator', "'and'", "'or'", 'end of expression']);
    return e;
  }

  /** What may follow a complete query: operators, `|`, end. */
  private continuation(): string[] {
    return ['an operator', "'and'", "'or'", "'|'", 'end of query'];
  }

  private parseBaseQuery(): PipedQuery {
    if (this.isKw('sequence')) return this.parseSequence();
    if (this.isKw('sample')) return this.parseSample();
    if (this.isKw('join')) {
      this.endgameOnly(this.peek(), "'join'");
      return this.parseJoin();
    }
    return { kind: 'event', query: this.parseEventQuery(), pipes: [] };
  }

  private parseEventQuery(): EventQuery {
    const t = this.peek();
    if (this.isKw('any') && this.isKw('where', 1)) {
      this.next();
      this.next();
      return { category: null, where: this.parseExpr() };
    }
    if ((t.kind === 'ident' && !t.tilde && !RESERVED.has(t.text)) || t.kind === 'string') {
      if (this.isKw('where', 1)) {
        this.next();
        this.next();
        return { category: String(t.value ?? t.text), where: this.parseExpr() };
      }
    }
    const next = this.peek(1);
    const looksLikeCategory = t.kind === 'ident' && next.kind === 'ident' && !OPERATOR_WORDS.has(next.text);
    if (this.dialect === 'endgame' && !looksLikeCategory) {
      // Endgame allows a bare condition, meaning `any where <condition>`.
      return { category: null, where: this.parseExpr() };
    }
    if ((t.kind === 'ident' && !RESERVED.has(t.text)) || t.kind === 'string') {
      this.next();
      const got = this.peek();
      if (got.kind === 'op' || (got.kind === 'ident' && OPERATOR_WORDS.has(got.text))) {
        // `a == 1` alone: the user left out the category.
        throw this.map.error(
          got.start,
          `expected 'where', got ${this.describe(got)}: a query starts with an event category, as in 'any where ${this.map.text.slice(t.start, got.end)} …'`,
          ["'where'"],
        );
      }
      this.fail(got, ["'where'"]);
    }
    this.fail(t, ["an event category (or 'any')", "'sequence'", "'sample'"]);
  }

  private parseSequence(): PipedQuery {
    const kw = this.next();
    let by: Expr[] | undefined;
    let maxspanNs: number | undefined;
    for (;;) {
      if (by === undefined && this.isKw('by')) {
        if (maxspanNs !== undefined && this.dialect === 'elasticsearch') {
          this.error(this.peek(), "write 'sequence by …' before 'with maxspan=…' in Elasticsearch EQL");
        }
        this.next();
        by = this.parseExprList();
      } else if (maxspanNs === undefined && this.isKw('with')) {
        this.next();
        const key = this.peek();
        if (!(key.kind === 'ident' && key.text === 'maxspan')) this.fail(key, ["'maxspan'"]);
        this.next();
        this.expectOp(this.dialect === 'endgame' && this.isOp('==') ? '==' : '=');
        maxspanNs = this.parseDuration();
      } else break;
    }
    const stages: Stage[] = [];
    while (this.isOp('[') || (this.isOp('!') && this.isOp('[', 1))) stages.push(this.parseStage('sequence'));
    if (stages.length === 0) this.fail(this.peek(), ["'['", ...(by === undefined ? ["'by'"] : []), ...(maxspanNs === undefined ? ["'with'"] : [])]);
    let until: Stage | undefined;
    if (this.isKw('until')) {
      this.next();
      if (!this.isOp('[')) this.fail(this.peek(), ["'['"]);
      until = this.parseStage('until');
    }
    // Elasticsearch counts queries after expanding `with runs=N`: `sequence [q] with runs=3` is three.
    if (stages.reduce((n, s) => n + (s.runs ?? 1), 0) < 2) {
      this.error(kw, 'a sequence needs at least two [queries] (a single [query] needs with runs=N, N ≥ 2)');
    }
    if (stages.every((s) => s.missing)) this.error(kw, 'a sequence needs at least one [query] that is not a missing event ![...]');
    this.checkKeyCounts(kw, stages, until);
    return {
      kind: 'sequence',
      by: by ?? [],
      ...(maxspanNs !== undefined ? { maxspanNs } : {}),
      stages,
      ...(until ? { until } : {}),
      pipes: [],
    };
  }

  private parseSample(): PipedQuery {
    const kw = this.next();
    if (this.dialect === 'endgame') this.error(kw, "'sample' is only available in Elasticsearch EQL, not in the Endgame dialect");
    let by: Expr[] = [];
    if (this.eatKw('by')) by = this.parseExprList();
    if (this.isKw('with')) this.error(this.peek(), "'sample' takes no 'with' parameters (no maxspan)");
    const stages: Stage[] = [];
    while (this.isOp('[') || (this.isOp('!') && this.isOp('[', 1))) stages.push(this.parseStage('sample'));
    if (stages.length === 0) this.fail(this.peek(), ["'['"]);
    if (stages.length < 2) this.error(kw, 'a sample needs at least two [queries]');
    this.checkKeyCounts(kw, stages, undefined);
    return { kind: 'sample', by, stages, pipes: [] };
  }

  private parseJoin(): PipedQuery {
    const kw = this.next();
    let by: Expr[] = [];
    if (this.eatKw('by')) by = this.parseExprList();
    const stages: Stage[] = [];
    while (this.isOp('[') || (this.isOp('!') && this.isOp('[', 1))) stages.push(this.parseStage('join'));
    if (stages.length === 0) this.fail(this.peek(), ["'['"]);
    if (stages.length < 2) this.error(kw, 'a join needs at least two [queries]');
    let until: Stage | undefined;
    if (this.eatKw('until')) {
      if (!this.isOp('[')) this.fail(this.peek(), ["'['"]);
      until = this.parseStage('until');
    }
    this.checkKeyCounts(kw, stages, until);
    return { kind: 'join', by, stages, ...(until ? { until } : {}), pipes: [] };
  }

  private checkKeyCounts(kw: Token, stages: Stage[], until: Stage | undefined): void {
    const all = until ? [...stages, until] : stages;
    const first = all[0]!.by.length;
    const bad = all.findIndex((s) => s.by.length !== first);
    if (bad >= 0) {
      this.error(
        kw,
        `every [query] must have the same number of 'by' keys: the first has ${first}, ${bad === stages.length ? "the 'until' query" : `query ${bad + 1}`} has ${all[bad]!.by.length}`,
      );
    }
  }

  /** `[query] [by keys] [with runs=N]`, `![query] …` (missing event), Endgame `fork`. */
  private parseStage(role: 'sequence' | 'until' | 'sample' | 'join'): Stage {
    let missing = false;
    if (this.isOp('!')) {
      const bang = this.next();
      if (role !== 'sequence') this.error(bang, "a missing event ![...] is only allowed among a sequence's queries");
      if (this.dialect === 'endgame') this.error(bang, 'missing events ![...] are only available in Elasticsearch EQL, not in the Endgame dialect');
      missing = true;
    }
    this.expectOp('[');
    const query = this.parseEventQuery();
    if (!this.isOp(']')) this.fail(this.peek(), [...this.continuation().slice(0, 3), "']'"]);
    this.next();
    let by: Expr[] = [];
    let runs: number | undefined;
    let fork: boolean | undefined;
    for (;;) {
      if (this.isKw('by') && by.length === 0) {
        this.next();
        by = this.parseExprList();
      } else if (this.isKw('fork') && fork === undefined) {
        const t = this.next();
        this.endgameOnly(t, "'fork'");
        if (role !== 'sequence') this.error(t, "'fork' only applies to the queries of a sequence");
        fork = true;
        if (this.eatOp('=') || this.eatOp('==')) {
          const v = this.peek();
          if (!(this.isKw('true') || this.isKw('false'))) this.fail(v, ["'true'", "'false'"]);
          fork = this.next().text === 'true';
        }
      } else if (this.isKw('with') && runs === undefined && this.peek(1).text === 'runs') {
        if (this.dialect === 'endgame') this.error(this.peek(), "'with runs=N' is only available in Elasticsearch EQL, not in the Endgame dialect");
        if (role !== 'sequence') this.error(this.peek(), "'with runs=N' only applies to the queries of a sequence, not to 'until', 'sample' or 'join'");
        this.next();
        this.next();
        this.expectOp('=');
        const n = this.peek();
        if (n.kind !== 'int' || typeof n.value !== 'number' || n.value < 1) this.fail(n, ['a positive whole number of runs']);
        if (n.value > MAX_RUNS) this.error(n, `runs must be at most ${MAX_RUNS}`);
        runs = n.value;
        this.next();
      } else break;
    }
    return {
      query,
      by,
      ...(runs !== undefined ? { runs } : {}),
      ...(missing ? { missing } : {}),
      ...(fork !== undefined ? { fork } : {}),
    };
  }

  private parseDuration(): number {
    const num = this.peek();
    if (num.kind !== 'int' && num.kind !== 'decimal') this.fail(num, ['a duration such as 30s, 5m or 1h']);
    if (num.kind === 'decimal' && this.dialect === 'elasticsearch') this.error(num, 'maxspan must be a whole number of time units in Elasticsearch EQL');
    this.next();
    const value = Number(num.value);
    const unitTok = this.peek();
    // The unit must touch the number (`1m`) in Elasticsearch; Endgame allows `30 seconds`.
    if (unitTok.kind !== 'ident' || (unitTok.spaced && this.dialect === 'elasticsearch') || RESERVED.has(unitTok.text)) {
      if (this.dialect === 'endgame') return Math.round(value * 1e9); // Python eql: seconds by default
      this.error(num, `maxspan needs a time unit (${durationUnits(this.dialect).join(', ')}), as in ${num.text}s`);
    }
    const ns = durationNs(value, unitTok.text, this.dialect);
    if (ns === undefined) {
      this.error(unitTok, `unknown time unit '${unitTok.text}': expected one of ${durationUnits(this.dialect).join(', ')}`);
    }
    this.next();
    return ns;
  }

  // ---- pipes ---------------------------------------------------------------------------------

  private parsePipe(): Pipe {
    this.expectOp('|');
    const nameTok = this.peek();
    if (nameTok.kind !== 'ident') this.fail(nameTok, ['a pipe name']);
    this.next();
    const name = nameTok.text;
    const known = this.dialect === 'elasticsearch' ? ES_PIPES : ENDGAME_PIPES;
    if (!known.includes(name)) {
      const other = this.dialect === 'elasticsearch' && ENDGAME_PIPES.includes(name);
      this.error(
        nameTok,
        other
          ? `pipe '${name}' is only available in the Endgame dialect; Elasticsearch EQL supports ${ES_PIPES.join(' and ')}`
          : `unknown pipe '${name}'${didYouMean(name, known) || `: expected one of ${known.join(', ')}`}`,
      );
    }
    switch (name) {
      case 'head':
      case 'tail': {
        const n = this.peek();
        if (n.kind !== 'int') {
          if (this.dialect === 'endgame' && this.atPipeEnd()) return { kind: name, count: DEFAULT_HEAD };
          this.fail(n, ['a number of events']);
        }
        if (typeof n.value !== 'number') this.error(n, `${name} count is too large`);
        if (n.value === 0 && this.dialect === 'endgame') this.error(n, `${name} needs a count greater than zero`);
        this.next();
        return { kind: name, count: n.value };
      }
      case 'filter': {
        const expr = this.parseExpr();
        return { kind: 'filter', expr };
      }
      case 'count':
      case 'unique':
      case 'unique_count':
      case 'sort': {
        const by = this.parsePipeArgs();
        if (by.length === 0 && name !== 'count') this.fail(this.peek(), ['a field or expression']);
        return { kind: name, by };
      }
    }
    return this.error(nameTok, `unknown pipe '${name}'`);
  }

  private atPipeEnd(): boolean {
    return this.isOp('|') || this.peek().kind === 'eof';
  }

  /** Pipe arguments: comma-separated expressions, or (Endgame) space-separated ones. */
  private parsePipeArgs(): Expr[] {
    const out: Expr[] = [];
    while (!this.atPipeEnd()) {
      out.push(this.parseExpr());
      this.eatOp(',');
    }
    return out;
  }

  // ---- expressions ---------------------------------------------------------------------------

  private parseExprList(): Expr[] {
    const out = [this.parseExpr()];
    while (this.eatOp(',')) out.push(this.parseExpr());
    return out;
  }

  parseExpr(): Expr {
    this.enter();
    try {
      return this.parseOr();
    } finally {
      this.depth--;
    }
  }

  /** Guards recursion so that absurd nesting is a syntax error, not a stack overflow. */
  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      this.error(this.peek(), `the query is nested too deeply (more than ${MAX_DEPTH} levels)`);
    }
  }

  private parseOr(): Expr {
    const first = this.parseAnd();
    if (!this.isKw('or')) return first;
    const exprs = [first];
    while (this.eatKw('or')) exprs.push(this.parseAnd());
    return { kind: 'or', exprs };
  }

  private parseAnd(): Expr {
    const first = this.parseNot();
    if (!this.isKw('and')) return first;
    const exprs = [first];
    while (this.eatKw('and')) exprs.push(this.parseNot());
    return { kind: 'and', exprs };
  }

  private parseNot(): Expr {
    if (!this.isKw('not')) return this.parsePredicate();
    this.next();
    this.enter();
    try {
      return { kind: 'not', expr: this.parseNot() };
    } finally {
      this.depth--;
    }
  }

  /** A value optionally followed by one comparison, `in (…)`, `:`, `like` or `regex`. */
  private parsePredicate(): Expr {
    const left = this.parseSum();
    const t = this.peek();
    if (t.kind === 'op') {
      switch (t.text) {
        case '==':
        case '!=':
        case '<':
        case '<=':
        case '>':
        case '>=':
        case '=':
          return this.parseComparison(left);
        case ':':
          this.next();
          return this.parseStringPredicate(left, t, ':');
      }
    }
    if (t.kind === 'ident') {
      if (t.text === 'in') {
        this.next();
        return this.parseIn(left, t, false);
      }
      if (t.text === 'not' && this.peek(1).kind === 'ident' && this.peek(1).text === 'in') {
        this.next();
        const inTok = this.next();
        return this.parseIn(left, inTok, true);
      }
      if (t.text === 'like' || t.text === 'regex') {
        this.next();
        return this.parseStringPredicate(left, t, t.text);
      }
    }
    return left;
  }

  private parseComparison(left: Expr): Expr {
    const opTok = this.next();
    let op = opTok.text;
    if (op === '=') {
      if (this.dialect === 'elasticsearch') this.error(opTok, "'=' is not a comparison in Elasticsearch EQL: use '==' (or ':' for case-insensitive matching)");
      op = '==';
    }
    const right = this.parseSum();
    const cmp = op as '==' | '!=' | '<' | '<=' | '>' | '>=';
    // Endgame compares strings case-insensitively, ordering included (Python eql's default mode).
    if (this.dialect === 'endgame' && cmp !== '==' && cmp !== '!=') {
      return { kind: 'compare', op: cmp, left, right, caseInsensitive: true };
    }
    if (this.dialect === 'endgame') {
      // Endgame: `field == "a*b"` is a case-insensitive wildcard match.
      const wild = wildcardSide(left, right);
      if (wild) {
        const match: Expr = { kind: 'wildcard', expr: wild.expr, patterns: [toPattern(wild.pattern, false)], caseInsensitive: true };
        return cmp === '==' ? match : { kind: 'not', expr: match };
      }
      return { kind: 'compare', op: cmp, left, right, caseInsensitive: true };
    }
    return { kind: 'compare', op: cmp, left, right, caseInsensitive: false };
  }

  private parseIn(left: Expr, inTok: Token, negated: boolean): Expr {
    const caseInsensitive = this.dialect === 'endgame' || inTok.tilde === true;
    this.expectOp('(');
    const values: Expr[] = [];
    if (!this.isOp(')')) {
      values.push(this.parseExpr());
      while (this.eatOp(',')) {
        if (this.isOp(')') && this.dialect === 'endgame') break; // trailing comma
        values.push(this.parseExpr());
      }
    }
    if (!this.isOp(')')) this.fail(this.peek(), ["','", "')'"]);
    this.next();
    if (values.length === 0) this.error(inTok, `'${negated ? 'not in' : 'in'}' needs at least one value`);
    return { kind: 'in', expr: left, values, caseInsensitive, negated };
  }

  /** `:`, `like`, `like~`, `regex`, `regex~`: a constant or a parenthesised list of constants. */
  private parseStringPredicate(left: Expr, opTok: Token, op: ':' | 'like' | 'regex'): Expr {
    if (op === ':' && this.peek().kind === 'ident' && this.isOp('(', 1)) {
      this.error(opTok, "method calls such as x:length() are only available in the Endgame dialect: write length(x)");
    }
    const caseInsensitive = op === ':' || opTok.tilde === true;
    const consts: { tok: Token; value: Literal }[] = [];
    if (this.eatOp('(')) {
      consts.push(this.parseConstant(opTok));
      while (this.eatOp(',')) consts.push(this.parseConstant(opTok));
      if (!this.isOp(')')) this.fail(this.peek(), ["','", "')'"]);
      this.next();
    } else {
      consts.push(this.parseConstant(opTok));
    }
    const opName = op === ':' ? "':'" : `'${op}${opTok.tilde ? '~' : ''}'`;
    if (op === 'regex') {
      // `s`: like Lucene's regex syntax, `.` also matches line breaks.
      const flags = caseInsensitive ? 'is' : 's';
      const patterns = consts.map(({ tok, value }) => {
        if (typeof value !== 'string') this.error(tok, `${opName} needs string patterns`);
        try {
          new RegExp(value, 'u');
        } catch {
          try {
            new RegExp(value);
          } catch (e) {
            this.error(tok, `invalid regular expression for ${opName}: ${(e as Error).message}`);
          }
        }
        const pattern = `^(?:${value})$`;
        // Refused at load what could not run in linear time (see ir/regex.ts, docs/eql.md).
        const refused = checkRegex(pattern, flags);
        if (refused !== undefined) this.error(tok, `regular expression for ${opName} refused: ${refused}`);
        return pattern;
      });
      return { kind: 'regex', expr: left, patterns, flags };
    }
    const patterns: Pattern[] = [];
    const others: Expr[] = [];
    for (const { tok, value } of consts) {
      // Python eql's wildcards know only `*`; Elasticsearch adds `?` for one character.
      if (typeof value === 'string') patterns.push(toPattern(value, this.dialect === 'elasticsearch'));
      else if (op === 'like') this.error(tok, `${opName} needs string patterns`);
      else others.push({ kind: 'compare', op: '==', left, right: { kind: 'literal', value }, caseInsensitive: true });
    }
    const match: Expr[] = patterns.length > 0 ? [{ kind: 'wildcard', expr: left, patterns, caseInsensitive }] : [];
    const all = [...match, ...others];
    return all.length === 1 ? all[0]! : { kind: 'or', exprs: all };
  }

  /** A literal (with an optional sign) as required on the right of `:`, `like` and `regex`. */
  private parseConstant(opTok: Token): { tok: Token; value: Literal } {
    const tok = this.peek();
    let sign = 1;
    if (this.isOp('-') || this.isOp('+')) {
      sign = this.next().text === '-' ? -1 : 1;
    }
    const t = this.peek();
    const value = this.literalValue(t);
    if (value === undefined || (sign === -1 && typeof value !== 'number' && typeof value !== 'bigint')) {
      this.fail(t, [`a constant after '${opTok.text}${opTok.tilde ? '~' : ''}' (a string, number, true, false or null)`]);
    }
    this.next();
    return { tok, value: sign === -1 ? negate(value as number | bigint) : value };
  }

  private literalValue(t: Token): Literal | undefined {
    if (t.kind === 'string') return t.value as string;
    if (t.kind === 'int' || t.kind === 'decimal') return t.value as number | bigint;
    if (t.kind === 'ident' && !t.tilde) {
      if (t.text === 'true') return true;
      if (t.text === 'false') return false;
      if (t.text === 'null') return null;
    }
    return undefined;
  }

  private parseSum(): Expr {
    let left = this.parseProduct();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next().text as '+' | '-';
      left = { kind: 'arith', op, left, right: this.parseProduct() };
    }
    return left;
  }

  private parseProduct(): Expr {
    let left = this.parseUnary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.next().text as '*' | '/' | '%';
      left = { kind: 'arith', op, left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Expr {
    if (this.isOp('-') || this.isOp('+')) {
      this.enter();
      try {
        return this.parseSigned();
      } finally {
        this.depth--;
      }
    }
    return this.parsePostfix();
  }

  private parseSigned(): Expr {
    if (this.isOp('-')) {
      this.next();
      const e = this.parseUnary();
      if (e.kind === 'literal' && (typeof e.value === 'number' || typeof e.value === 'bigint')) {
        return { ...e, value: negate(e.value) };
      }
      return { kind: 'neg', expr: e };
    }
    if (this.isOp('+')) {
      this.next();
      return this.parseUnary();
    }
    return this.parsePostfix();
  }

  /** Endgame method chains: `x:length()` is `length(x)`. */
  private parsePostfix(): Expr {
    let e = this.parsePrimary();
    while (this.dialect === 'endgame' && this.isOp(':') && this.peek(1).kind === 'ident' && this.isOp('(', 2) && !this.peek(2).spaced) {
      this.next();
      const nameTok = this.next();
      this.next();
      const args = this.parseCallArgs();
      e = this.buildCall(nameTok, [{ tok: nameTok, expr: e }, ...args]);
    }
    return e;
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    if (this.isOp('(')) {
      this.next();
      const e = this.parseExpr();
      if (!this.isOp(')')) this.fail(this.peek(), [...this.continuation().slice(0, 3), "')'"]);
      this.next();
      return e;
    }
    const lit = this.literalValue(t);
    if (lit !== undefined) {
      this.next();
      return t.kind === 'decimal' ? { kind: 'literal', value: lit, float: true } : { kind: 'literal', value: lit };
    }
    if (t.kind === 'ident') {
      if (this.isOp('(', 1)) {
        this.next();
        this.next();
        return this.buildCall(t, this.parseCallArgs());
      }
      if ((t.text === 'descendant' || t.text === 'child' || t.text === 'event') && this.isKw('of', 1)) {
        this.endgameOnly(t, `'${t.text} of [...]'`);
        this.next();
        this.next();
        this.expectOp('[');
        const query = this.parseEventQuery();
        if (!this.isOp(']')) this.fail(this.peek(), [...this.continuation().slice(0, 3), "']'"]);
        this.next();
        return { kind: 'lineage', relation: t.text, query };
      }
      return this.parseField();
    }
    if (t.kind === 'quoted_ident' || (t.kind === 'op' && t.text === '?')) return this.parseField();
    return this.fail(t, ['an expression']);
  }

  private parseField(): Expr {
    let optional = false;
    if (this.isOp('?')) {
      const q = this.next();
      if (this.dialect === 'endgame') this.error(q, 'optional fields (?field) are only available in Elasticsearch EQL');
      const after = this.peek();
      if (after.spaced || (after.kind !== 'ident' && after.kind !== 'quoted_ident')) this.fail(after, ['a field name right after ?']);
      optional = true;
    }
    const first = this.next();
    if (first.kind === 'ident') {
      if (first.tilde) this.error(first, `'~' can only follow a function name, as in startsWith~(...), or an operator (like~, regex~, in~)`);
      if (RESERVED.has(first.text)) {
        this.error(first, `'${first.text}' is a reserved word and cannot start a field name here: write \`${first.text}\` (backticks) to use it as a field name`);
      }
    } else if (first.kind !== 'quoted_ident') {
      this.fail(first, ['a field name']);
    }
    const path: PathStep[] = [first.kind === 'ident' ? first.text : (first.value as string)];
    for (;;) {
      if (this.isOp('.') && (this.peek(1).kind === 'ident' || this.peek(1).kind === 'quoted_ident')) {
        this.next();
        const seg = this.next();
        if (seg.kind === 'ident' && seg.tilde) this.error(seg, `'~' can only follow a function name, as in startsWith~(...), or an operator (like~, regex~, in~)`);
        path.push(seg.kind === 'ident' ? seg.text : (seg.value as string));
      } else if (this.isOp('.')) {
        this.next();
        this.fail(this.peek(), ['a field name after .']);
      } else if (this.isOp('[') && !this.peek().spaced && this.peek(1).kind === 'int') {
        this.next();
        const idx = this.next();
        if (typeof idx.value !== 'number') this.error(idx, 'array index is too large');
        path.push(idx.value);
        this.expectOp(']');
      } else break;
    }
    return optional ? { kind: 'field', path, optional } : { kind: 'field', path };
  }

  private parseCallArgs(): { tok: Token; expr: Expr }[] {
    const args: { tok: Token; expr: Expr }[] = [];
    if (this.eatOp(')')) return args;
    for (;;) {
      const tok = this.peek();
      args.push({ tok, expr: this.parseExpr() });
      if (this.eatOp(',')) {
        if (this.dialect === 'endgame' && this.isOp(')')) {
          this.next();
          return args;
        }
        continue;
      }
      if (this.eatOp(')')) return args;
      this.fail(this.peek(), ["','", "')'"]);
    }
  }

  private buildCall(nameTok: Token, args: { tok: Token; expr: Expr }[]): Expr {
    const spec = lookupFunction(nameTok.text);
    if (!spec) {
      const known = functionNames(this.dialect);
      const hint = didYouMean(nameTok.text, known);
      this.error(nameTok, `unknown function '${nameTok.text}'${hint || `: known functions are ${known.join(', ')}`}`);
    }
    if (!spec.dialects.includes(this.dialect)) {
      this.error(nameTok, `function '${spec.name}' is only available in the Endgame dialect, not in Elasticsearch EQL`);
    }
    if (nameTok.tilde && !spec.tilde) {
      this.error(nameTok, `function '${spec.name}' has no case-insensitive '${spec.name}~' form`);
    }
    const max = maxArgs(spec, this.dialect);
    const min = minArgs(spec, this.dialect);
    if (args.length < min || args.length > max) {
      const want = max === Infinity ? `at least ${min}` : min === max ? `${max}` : `${min} to ${max}`;
      this.error(nameTok, `function '${spec.name}' takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`);
    }
    const name = spec.name.toLowerCase();
    const exprs = args.map((a, i) => this.checkArg(spec, a, i));
    if (spec.literalPatterns) {
      args.slice(1).forEach((a) => {
        if (!(a.expr.kind === 'literal' && typeof a.expr.value === 'string')) {
          this.error(a.tok, `the patterns of '${spec.name}' must be string literals`);
        }
      });
    }
    if (name === 'cidrmatch') {
      const cidrs = args.slice(1).map((a) => (a.expr.kind === 'literal' && typeof a.expr.value === 'string' ? a.expr.value : undefined));
      if (cidrs.every((c): c is string => c !== undefined)) {
        cidrs.forEach((c, i) => {
          if (!isCidr(c)) this.error(args[i + 1]!.tok, `invalid CIDR block '${c}' for cidrMatch`);
        });
        return { kind: 'cidr', expr: exprs[0]!, cidrs };
      }
    }
    const caseInsensitive = nameTok.tilde === true || (this.dialect === 'endgame' && spec.stringCompare);
    return { kind: 'call', name, args: exprs, caseInsensitive };
  }

  /** Literal arguments must have the declared type; a loop variable must be a bare name. */
  private checkArg(spec: FunctionSpec, arg: { tok: Token; expr: Expr }, i: number): Expr {
    const type = paramType(spec, i);
    const e = arg.expr;
    if (type === 'variable') {
      if (e.kind !== 'field' || e.path.length !== 1 || typeof e.path[0] !== 'string' || e.optional) {
        this.error(arg.tok, `argument ${i + 1} of '${spec.name}' must be a variable name`);
      }
      return { kind: 'literal', value: e.path[0] };
    }
    const actual = staticType(e);
    if (type !== 'any' && actual !== undefined && actual !== 'null' && actual !== type) {
      this.error(arg.tok, `argument ${i + 1} of '${spec.name}' must be a ${type}, got a ${actual}`);
    }
    return e;
  }
}
