/** Glob text → IR Pattern: `*` any run, `?` one character (when `withOne`), everything else literal. */
import type { Pattern } from './types.js';

export function globToPattern(text: string, withOne = true): Pattern {
  const out: Pattern = [];
  let lit = '';
  for (const ch of text) {
    if (ch === '*' || (withOne && ch === '?')) {
      if (lit) out.push({ t: 'lit', v: lit });
      lit = '';
      out.push(ch === '*' ? { t: 'star' } : { t: 'one' });
    } else lit += ch;
  }
  if (lit) out.push({ t: 'lit', v: lit });
  return out;
}
