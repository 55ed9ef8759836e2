/**
 * EQL tokenizer for both dialects. Single pass, linear in the input length.
 *
 * String literals are decoded here (escapes resolved) because the rules differ per dialect:
 * Elasticsearch has double-quoted strings with `\n \r \t \" \' \\ \u{X}` escapes and raw
 * `"""…"""`; Endgame adds single quotes and raw `?"…"` / `?'…'` strings.
 */
import type { SourceMap } from './errors.js';
import type { EqlDialect } from './types.js';

export type TokenKind = 'ident' | 'quoted_ident' | 'string' | 'int' | 'decimal' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text of the token (for ops: the operator; for idents: the name without `~`). */
  text: string;
  start: number;
  end: number;
  /** Decoded value of strings, numbers and quoted identifiers. */
  value: string | number | bigint | undefined;
  /** `name~`: the case-insensitive marker directly after an identifier. */
  tilde: boolean;
  /** True when whitespace or a comment separates this token from the previous one. */
  spaced: boolean;
}

const OPS2 = new Set(['==', '!=', '<=', '>=']);
const OPS1 = new Set(['(', ')', '[', ']', ',', '.', '|', ':', '!', '?', '=', '<', '>', '+', '-', '*', '/', '%', '~']);

function isIdentStart(c: string): boolean {
  return isIdentStartCode(c.charCodeAt(0));
}
function isIdentStartCode(k: number): boolean {
  return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95 || k === 64;
}
function isIdentPartCode(k: number): boolean {
  return isIdentStartCode(k) || (k >= 48 && k <= 57);
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

export function tokenize(text: string, dialect: EqlDialect, map: SourceMap): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaced = true;
  const n = text.length;
  // Every token has the same shape (all fields set), which keeps property access monomorphic.
  const push = (t: { kind: TokenKind; text: string; start: number; end: number; value?: string | number | bigint; tilde?: boolean }): void => {
    tokens.push({ kind: t.kind, text: t.text, start: t.start, end: t.end, value: t.value, tilde: t.tilde ?? false, spaced });
    spaced = false;
  };

  while (i < n) {
    const c = text[i]!;
    // Whitespace and comments.
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      spaced = true;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
      spaced = true;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      i = skipBlockComment(text, i, dialect, map);
      spaced = true;
      continue;
    }
    const start = i;

    if (isIdentStart(c)) {
      while (i < n && isIdentPartCode(text.charCodeAt(i))) i++;
      const name = text.slice(start, i);
      let tilde = false;
      if (text[i] === '~') {
        tilde = true;
        i++;
      }
      push({ kind: 'ident', text: name, start, end: i, tilde });
      continue;
    }

    if (c === '`') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n || (dialect === 'endgame' && (text[i] === '\n' || text[i] === '\r'))) {
          throw map.error(start, 'unterminated `quoted` field name: missing closing backtick');
        }
        if (text[i] === '`') {
          // Elasticsearch escapes a backtick inside a quoted name by doubling it.
          if (dialect === 'elasticsearch' && text[i + 1] === '`') {
            value += '`';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      if (value === '') throw map.error(start, 'empty `quoted` field name');
      push({ kind: 'quoted_ident', text: text.slice(start, i), start, end: i, value });
      continue;
    }

    if (isDigit(c) || (c === '.' && isDigit(text[i + 1]) && !followsOperand(tokens, spaced))) {
      let isDecimal = false;
      while (isDigit(text[i])) i++;
      if (text[i] === '.' && isDigit(text[i + 1])) {
        isDecimal = true;
        i++;
        while (isDigit(text[i])) i++;
      }
      if ((text[i] === 'e' || text[i] === 'E') && (isDigit(text[i + 1]) || ((text[i + 1] === '+' || text[i + 1] === '-') && isDigit(text[i + 2])))) {
        isDecimal = true;
        i += 2;
        while (isDigit(text[i])) i++;
      }
      const raw = text.slice(start, i);
      if (isDecimal) {
        push({ kind: 'decimal', text: raw, start, end: i, value: Number(raw) });
      } else {
        const big = BigInt(raw);
        const value = big > BigInt(Number.MAX_SAFE_INTEGER) ? big : Number(raw);
        push({ kind: 'int', text: raw, start, end: i, value });
      }
      continue;
    }

    if (c === '"' && text.startsWith('"""', i)) {
      const close = text.indexOf('"""', i + 3);
      if (close < 0) throw map.error(start, 'unterminated """raw""" string: missing closing """');
      let end = close + 3;
      let value = text.slice(i + 3, close);
      // Up to two extra quotes directly before the closing """ belong to the string ("""a""""").
      while (end < n && text[end] === '"' && end - close < 5) {
        value += '"';
        end++;
      }
      if (dialect === 'endgame' && /[\r\n]/.test(value)) {
        throw map.error(start, 'a """raw""" string cannot span lines in the Endgame dialect');
      }
      i = end;
      push({ kind: 'string', text: text.slice(start, i), start, end: i, value });
      continue;
    }

    if (c === '"' || c === "'") {
      if (c === "'" && dialect === 'elasticsearch') {
        throw map.error(
          start,
          `single-quoted strings are not supported in Elasticsearch EQL: use double quotes ("...") or triple quotes ("""...""")`,
        );
      }
      const { value, end } = readQuoted(text, i, c, dialect, map);
      i = end;
      push({ kind: 'string', text: text.slice(start, i), start, end: i, value });
      continue;
    }

    if (c === '?' && (text[i + 1] === '"' || text[i + 1] === "'")) {
      if (dialect === 'elasticsearch') {
        throw map.error(start, `?"..." raw strings are not supported in Elasticsearch EQL: use triple quotes ("""...""")`);
      }
      const q = text[i + 1]!;
      let j = i + 2;
      while (j < n && text[j] !== q && text[j] !== '\n' && text[j] !== '\r') {
        if (text[j] === '\\' && text[j + 1] === q) j++;
        j++;
      }
      if (j >= n || text[j] !== q) throw map.error(start, `unterminated raw string: missing closing ${q}`);
      const value = text.slice(i + 2, j);
      i = j + 1;
      push({ kind: 'string', text: text.slice(start, i), start, end: i, value });
      continue;
    }

    const two = text.slice(i, i + 2);
    if (OPS2.has(two)) {
      i += 2;
      push({ kind: 'op', text: two, start, end: i });
      continue;
    }
    if (OPS1.has(c)) {
      i++;
      push({ kind: 'op', text: c, start, end: i });
      continue;
    }
    throw map.error(start, `unexpected character '${c}'`);
  }
  tokens.push({ kind: 'eof', text: '<end of query>', start: n, end: n, value: undefined, tilde: false, spaced: true });
  return tokens;
}

/** Skips a block comment starting at `open`; Elasticsearch comments nest, Endgame ones end at the first closing mark. */
function skipBlockComment(text: string, open: number, dialect: EqlDialect, map: SourceMap): number {
  let depth = 0;
  let i = open;
  while (i < text.length) {
    if (text[i] === '/' && text[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (text[i] === '*' && text[i + 1] === '/') {
      i += 2;
      if (--depth === 0 || dialect === 'endgame') return i;
    } else i++;
  }
  throw map.error(open, 'unterminated comment: missing */');
}

/** A `.5` right after an operand (`a.5`, `x].5`) is a dot, not a decimal. */
function followsOperand(tokens: Token[], spaced: boolean): boolean {
  if (spaced) return false;
  const last = tokens[tokens.length - 1];
  if (last === undefined) return false;
  return last.kind === 'ident' || last.kind === 'quoted_ident' || (last.kind === 'op' && last.text === ']');
}

function readQuoted(
  text: string,
  open: number,
  quote: string,
  dialect: EqlDialect,
  map: SourceMap,
): { value: string; end: number } {
  let value = '';
  let i = open + 1;
  const n = text.length;
  const q = quote.charCodeAt(0);
  for (;;) {
    // Copy the run of plain characters in one slice.
    const runStart = i;
    let k = text.charCodeAt(i);
    while (i < n && k !== q && k !== 92 /* \\ */ && !(dialect === 'endgame' && (k === 10 || k === 13))) k = text.charCodeAt(++i);
    if (i > runStart) value += text.slice(runStart, i);
    if (i >= n) throw map.error(open, `unterminated string: missing closing ${quote}`);
    const c = text[i]!;
    if (c === quote) return { value, end: i + 1 };
    if (c === '\n' || c === '\r') {
      throw map.error(open, `unterminated string: missing closing ${quote} before the end of the line`);
    }
    const e = text[i + 1];
    switch (e) {
      case 'n': value += '\n'; break;
      case 'r': value += '\r'; break;
      case 't': value += '\t'; break;
      case 'b': value += '\b'; break;
      case 'f': value += '\f'; break;
      case '"': value += '"'; break;
      case "'": value += "'"; break;
      case '\\': value += '\\'; break;
      case 'u': {
        if (dialect === 'endgame' || text[i + 2] !== '{') {
          throw map.error(i, dialect === 'endgame' ? 'invalid escape sequence \\u: the Endgame dialect has no unicode escapes' : 'invalid unicode escape: expected \\u{XXXX}');
        }
        const close = text.indexOf('}', i + 3);
        const hex = close < 0 ? '' : text.slice(i + 3, close);
        if (!/^[0-9a-fA-F]{2,8}$/.test(hex)) throw map.error(i, 'invalid unicode escape: expected 2 to 8 hex digits in \\u{...}');
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw map.error(i, `invalid unicode code point \\u{${hex}}`);
        value += String.fromCodePoint(cp);
        i = close + 1;
        continue;
      }
      default:
        throw map.error(
          i,
          e === undefined
            ? `unterminated string: missing closing ${quote}`
            : `invalid escape sequence \\${e} in a string: write \\\\ for a backslash${dialect === 'elasticsearch' ? ' or use a """raw""" string' : ' or use a ?"raw" string'}`,
        );
    }
    i += 2;
  }
}
