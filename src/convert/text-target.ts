/**
 * A text query language as a spec (after pySigma's TextQueryBackend): boolean tokens, how a
 * field is written, and one template hook per kind of test. The generic walker (walk.ts) does
 * the rest. A hook throws UnsupportedByTarget for what the language cannot say.
 */
import type { CompareOp, Literal, Pattern } from '../ir/types.js';

export interface TextTarget {
  name: string;
  and: string;
  or: string;
  not: (inner: string) => string;
  group: (inner: string) => string;
  /**
   * The language does not give AND precedence over OR: every AND inside an OR, OR inside an AND
   * and NOT inside an OR is put in a group. Lucene's classic query parser (Elasticsearch
   * query_string) reads `a AND b OR c AND d` as four required clauses and `a OR NOT b` as "a, not
   * b"; Splunk's search command evaluates OR before AND.
   */
  groupMixed?: boolean;
  /** How a field name is written. */
  field: (name: string) => string;
  /** field == literal (strings: case-insensitive when `ci`). */
  eq: (field: string, value: Literal, ci: boolean) => string;
  /** Ordering comparison with a number. */
  compare: (field: string, op: Exclude<CompareOp, '==' | '!='>, value: number) => string;
  isNull: (field: string) => string;
  notNull: (field: string) => string;
  /** field matches any of these values (each a wildcard pattern). */
  wildcard: (field: string, pattern: Pattern, ci: boolean) => string;
  /** Several values at once, when the language has a list form (else the walker ORs `eq`s). */
  inList?: (field: string, values: Literal[], ci: boolean) => string;
  regex: (field: string, re: string, flags: string) => string;
  cidr: (field: string, cidr: string) => string;
  /** Literal true/false as a whole condition. */
  always: string;
  never: string;
}

/** The shape of a wildcard pattern, for targets with startswith/endswith/contains forms. */
export type PatternShape =
  | { kind: 'exact'; text: string }
  | { kind: 'prefix'; text: string }
  | { kind: 'suffix'; text: string }
  | { kind: 'contains'; text: string }
  | { kind: 'general' };

export function patternShape(p: Pattern): PatternShape {
  const lit = (i: number): string | null => (p[i]?.t === 'lit' ? (p[i] as { v: string }).v : null);
  const star = (i: number): boolean => p[i]?.t === 'star';
  if (p.length === 0) return { kind: 'exact', text: '' };
  if (p.length === 1 && lit(0) !== null) return { kind: 'exact', text: lit(0)! };
  if (p.length === 2 && lit(0) !== null && star(1)) return { kind: 'prefix', text: lit(0)! };
  if (p.length === 2 && star(0) && lit(1) !== null) return { kind: 'suffix', text: lit(1)! };
  if (p.length === 3 && star(0) && lit(1) !== null && star(2)) return { kind: 'contains', text: lit(1)! };
  return { kind: 'general' };
}

/** The pattern as a regular expression body (anchored by the caller), literal parts escaped. */
export function patternRegex(p: Pattern, escape: (s: string) => string): string {
  return p.map((x) => (x.t === 'star' ? '.*' : x.t === 'one' ? '.' : escape(x.v))).join('');
}

/** JS/PCRE-style escaping of regex metacharacters. */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
