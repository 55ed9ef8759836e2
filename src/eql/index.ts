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

function parser(text: string, opts: EqlParseOptions | undefined): Parser {
  const dialect: EqlDialect = opts?.dialect ?? 'elasticsearch';
  const map = new SourceMap(text);
  return new Parser(tokenize(text, dialect, map), map, dialect);
}

/** Parse a complete EQL query. Throws `EqlSyntaxError` (with line, column and caret) on error. */
export function parseEql(text: string, opts?: EqlParseOptions): Query {
  return parser(text, opts).parseQuery();
}

/** Parse a bare EQL expression (`a == 1 and b : "x*"`), e.g. for tests or a filter option. */
export function parseEqlExpression(text: string, opts?: EqlParseOptions): Expr {
  return parser(text, opts).parseStandaloneExpression();
}
