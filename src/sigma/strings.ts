/**
 * Sigma string values: wildcard/escape parsing and the string transformations modifiers apply.
 *
 * Escaping follows pySigma: `*` and `?` are wildcards; a backslash makes the next `*`, `?` or `\`
 * literal; a backslash before any other character (or at the end) is itself literal, so
 * `C:\Windows\*` means the literal `C:\Windows\` followed by a wildcard.
 */
import type { Pattern, PatternPart } from '../ir/types.js';

export function parseSigmaString(text: string): Pattern {
  const out: Pattern = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') out.push({ t: 'lit', v: lit });
    lit = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        lit += next;
        i++;
      } else {
        lit += c;
      }
    } else if (c === '*') {
      flush();
      out.push({ t: 'star' });
    } else if (c === '?') {
      flush();
      out.push({ t: 'one' });
    } else {
      lit += c;
    }
  }
  flush();
  return out;
}

export function literalPattern(text: string): Pattern {
  return text === '' ? [] : [{ t: 'lit', v: text }];
}

/** The text of a pattern without wildcards, or null when it has any. */
export function plainText(p: Pattern): string | null {
  let s = '';
  for (const part of p) {
    if (part.t !== 'lit') return null;
    s += part.v;
  }
  return s;
}

export function hasWildcards(p: Pattern): boolean {
  return p.some((x) => x.t !== 'lit');
}

/** Merge adjacent literals and collapse runs of `*` (pre-tokenised patterns stay canonical). */
export function normalizePattern(p: Pattern): Pattern {
  const out: PatternPart[] = [];
  for (const part of p) {
    const last = out[out.length - 1];
    if (part.t === 'lit') {
      if (part.v === '') continue;
      if (last && last.t === 'lit') out[out.length - 1] = { t: 'lit', v: last.v + part.v };
      else out.push(part);
    } else if (part.t === 'star') {
      if (!(last && last.t === 'star')) out.push(part);
    } else {
      out.push(part);
    }
  }
  return out;
}

export function withLeadingStar(p: Pattern): Pattern {
  return p[0]?.t === 'star' ? p : [{ t: 'star' }, ...p];
}

export function withTrailingStar(p: Pattern): Pattern {
  return p[p.length - 1]?.t === 'star' ? p : [...p, { t: 'star' }];
}

/** The dash characters Windows command lines accept for flags (`windash`). */
export const WINDASH_CHARS = ['-', '/', '\u2013', '\u2014', '\u2015'] as const;

/**
 * `windash`: every flag dash/slash (one not preceded by a word character and followed by one, as
 * pySigma finds them) is replaced by each of the five dash variants; returns all permutations.
 */
export function windashVariants(p: Pattern, limit = 4096): Pattern[] | null {
  let variants: Pattern[] = [[]];
  for (const part of p) {
    if (part.t !== 'lit') {
      variants = variants.map((v) => [...v, part]);
      continue;
    }
    const pieces = splitOnFlagDashes(part.v);
    let partVariants: string[] = [pieces[0]!];
    for (let i = 1; i < pieces.length; i++) {
      const next: string[] = [];
      for (const prefix of partVariants) for (const d of WINDASH_CHARS) next.push(prefix + d + pieces[i]!);
      partVariants = next;
      if (partVariants.length * variants.length > limit) return null;
    }
    const merged: Pattern[] = [];
    for (const v of variants) for (const s of partVariants) merged.push([...v, { t: 'lit', v: s }]);
    variants = merged;
  }
  return variants.map(normalizePattern);
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /\w/.test(c);

/** Split text at flag dashes: `a -b /c` → ['a ', 'b ', 'c']. */
function splitOnFlagDashes(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if ((c === '-' || c === '/') && !isWordChar(text[i - 1]) && isWordChar(text[i + 1])) {
      pieces.push(text.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(text.slice(start));
  return pieces;
}

export function utf16le(text: string): Buffer {
  return Buffer.from(text, 'utf16le');
}

export function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.alloc(le.length);
  for (let i = 0; i + 1 < le.length; i += 2) {
    be[i] = le[i + 1]!;
    be[i + 1] = le[i]!;
  }
  return be;
}

/** `utf16`: little endian with a byte order mark, as pySigma. */
export function utf16WithBom(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(text)]);
}

/**
 * `base64offset`: the value may start at any of the three byte offsets inside a longer base64
 * string. Each variant drops the leading characters that depend on the preceding bytes and the
 * trailing characters that depend on the following bytes.
 */
export function base64OffsetVariants(data: Buffer): string[] {
  const startTrim = [0, 2, 3];
  const endTrim = [0, 3, 2]; // indexed by (length + offset) % 3
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset, 0x20), data]).toString('base64');
    const drop = endTrim[(data.length + offset) % 3]!;
    out.push(encoded.slice(startTrim[offset]!, drop === 0 ? undefined : encoded.length - drop));
  }
  return out;
}
