/**
 * Wildcard patterns from EQL string literals. The string's own escapes are already resolved by
 * the lexer; what remains is wildcard syntax: `*` (any run) and, where the operator allows it,
 * `?` (one character). A backslash is an ordinary character here, so Windows paths such as
 * `"C:\\Windows\\*.exe"` keep their backslashes.
 */
import type { Pattern } from '../ir/types.js';

export function toPattern(text: string, questionMark: boolean): Pattern {
  const out: Pattern = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') out.push({ t: 'lit', v: lit });
    lit = '';
  };
  for (const ch of text) {
    if (ch === '*') {
      flush();
      // Consecutive stars mean the same as one.
      if (out[out.length - 1]?.t !== 'star') out.push({ t: 'star' });
    } else if (ch === '?' && questionMark) {
      flush();
      out.push({ t: 'one' });
    } else {
      lit += ch;
    }
  }
  flush();
  return out;
}

export function hasWildcard(text: string, questionMark: boolean): boolean {
  return text.includes('*') || (questionMark && text.includes('?'));
}
