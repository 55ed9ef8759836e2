/** Small facts about IR values the parser needs: signs, static types, Endgame wildcards, CIDRs. */
import type { Expr } from '../ir/types.js';
import { hasWildcard } from './pattern.js';

/** Negate an integer or float literal, keeping big integers exact. */
export function negate(v: number | bigint): number | bigint {
  if (typeof v === 'bigint') {
    const n = -v;
    return n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n;
  }
  return -v;
}

/** The type of an expression when it is known without data. */
export function staticType(e: Expr): 'string' | 'number' | 'boolean' | 'null' | undefined {
  switch (e.kind) {
    case 'literal':
      if (e.value === null) return 'null';
      if (typeof e.value === 'bigint') return 'number';
      return typeof e.value as 'string' | 'number' | 'boolean';
    case 'compare':
    case 'in':
    case 'wildcard':
    case 'regex':
    case 'and':
    case 'or':
    case 'not':
    case 'cidr':
    case 'lineage':
      return 'boolean';
    case 'arith':
    case 'neg':
      return 'number';
    default:
      return undefined;
  }
}

/** For an Endgame `==`: the side compared against a string literal holding `*`. */
export function wildcardSide(left: Expr, right: Expr): { expr: Expr; pattern: string } | undefined {
  if (right.kind === 'literal' && typeof right.value === 'string' && hasWildcard(right.value, false)) {
    return { expr: left, pattern: right.value };
  }
  if (left.kind === 'literal' && typeof left.value === 'string' && hasWildcard(left.value, false)) {
    if (!(right.kind === 'literal')) return { expr: right, pattern: left.value };
  }
  return undefined;
}

/** An IPv4 or IPv6 address with an optional prefix length in range. */
export function isCidr(text: string): boolean {
  const [addr, prefix, extra] = text.split('/');
  if (extra !== undefined || addr === undefined) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  let bits: number;
  if (v4) {
    if (v4.slice(1).some((o) => Number(o) > 255)) return false;
    bits = 32;
  } else if (/^[0-9a-fA-F:.]+$/.test(addr) && addr.includes(':')) {
    bits = 128;
  } else return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= bits;
}
