/**
 * The EQL front end: parses Elasticsearch EQL (default) or the Endgame / Python `eql` dialect
 * into the shared rule IR (`src/ir/types.ts`). See docs/eql.md for the language as supported.
 */
import type { Expr, Query } from '../ir/types.js';
import { EqlSyntaxError, SourceMap } from './errors.js';
import { tokenize } from './lexer.js';
import { Parser } from './parser.js';
import type { EqlDialect, EqlParseOptions } from './types.js';

export { EqlSyntaxError };
export type { EqlDialect, EqlParseOptions };

function withParser<T>(text: string, opts: EqlParseOptions | undefined, run: (p: Parser) => T): T {
  const dialect: EqlDialect = opts?.dialect ?? 'elasticsearch';
  if (dialect !== 'elasticsearch' && dialect !== 'endgame') {
    throw new EqlSyntaxError(`unknown EQL dialect '${String(dialect)}': use 'elasticsearch' or 'endgame'`, text, 1, 1);
  }
  const map = new SourceMap(text);
  try {
    return run(new Parser(tokenize(text, dialect, map), map, dialect));
  } catch (e) {
    // The depth guard should prevent it, but a stack overflow must still surface as a query error.
    if (e instanceof RangeError) throw map.error(0, `the query is too complex to parse (${e.message})`);
    throw e;
  }
}

/** Parse a complete EQL query. Throws `EqlSyntaxError` (with line, column and caret) on error. */
export function parseEql(text: string, opts?: EqlParseOptions): Query {
  return withParser(text, opts, (p) => p.parseQuery());
}

/** Parse a bare EQL expression (`a == 1 and b : "x*"`), e.g. for tests or a filter option. */
export function parseEqlExpression(text: string, opts?: EqlParseOptions): Expr {
  return withParser(text, opts, (p) => p.parseStandaloneExpression());
}

/** Optional constant folding of a parsed query or expression (see fold.ts). */
export { foldExpr, foldQuery } from './fold.js';

/** IR → EQL text in a dialect (throws EqlFormatError for IR the dialect cannot express). */
export { EqlFormatError, formatExpr, formatQuery } from './format.js';

/** "Did you mean …?" for misspelt names (also used for Sigma modifiers and CLI rule ids). */
export { closest, didYouMean } from './suggest.js';
