/** Reserved words of EQL (both dialects) and the words that continue a condition. */

/** Words that cannot start a field name unless it is written in backticks. */
export const RESERVED: ReadonlySet<string> = new Set([
  'and', 'or', 'not', 'in', 'like', 'regex', 'where', 'sequence', 'sample', 'join', 'by', 'with',
  'until', 'true', 'false', 'null', 'any', 'of',
]);

/** Words that may follow a value inside a condition (so `a in (…)` is not `category where`). */
export const OPERATOR_WORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'like', 'regex', 'of']);

/** A name that needs no backticks (unless reserved). */
export const IDENT = /^[A-Za-z_@][A-Za-z0-9_]*$/;
