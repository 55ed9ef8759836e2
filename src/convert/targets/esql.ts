/**
 * ES|QL (`FROM … | WHERE …`) for single-event rules. Case-insensitive tests lower-case both sides
 * (`TO_LOWER(f) LIKE "c:\\\\windows\\\\*"`); CIDR through TO_IP. Regular expressions (RLIKE is a
 * Lucene regexp, anchored) are reported.
 */
import type { Literal } from '../../ir/types.js';
import { UnsupportedByTarget } from '../errors.js';
import type { TextTarget } from '../text-target.js';

const str = (s: string): string => `"${s.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
const lit = (v: Literal, ci: boolean): string => (typeof v === 'string' ? str(ci ? v.toLowerCase() : v) : String(v));
const lhs = (f: string, v: Literal, ci: boolean): string => (typeof v === 'string' && ci ? `TO_LOWER(${f})` : f);

export const esqlTarget: TextTarget = {
  name: 'esql',
  and: ' AND ',
  or: ' OR ',
  not: (s) => `NOT ${s}`,
  group: (s) => `(${s})`,
  field: (n) => (/^[A-Za-z_@][A-Za-z0-9_.@]*$/.test(n) ? n : `\`${n.replace(/`/g, '``')}\``),
  eq: (f, v, ci) => `${lhs(f, v, ci)} == ${lit(v, ci)}`,
  compare: (f, op, n) => `${f} ${op} ${n}`,
  isNull: (f) => `${f} IS NULL`,
  notNull: (f) => `${f} IS NOT NULL`,
  inList: (f, values, ci) => (values.every((v) => typeof v === 'string') ? `${lhs(f, values[0]!, ci)} IN (${values.map((v) => lit(v, ci)).join(', ')})` : `${f} IN (${values.map((v) => lit(v, false)).join(', ')})`),
  wildcard: (f, p, ci) => {
    const pattern = p.map((x) => (x.t === 'star' ? '*' : x.t === 'one' ? '?' : (ci ? x.v.toLowerCase() : x.v).replace(/[\\*?]/g, '\\$&'))).join('');
    return `${ci ? `TO_LOWER(${f})` : f} LIKE ${str(pattern)}`;
  },
  regex: () => {
    throw new UnsupportedByTarget('esql', 'a regular expression (RLIKE takes an anchored Lucene regexp, not the rule\'s PCRE/JS syntax)');
  },
  cidr: (f, c) => `CIDR_MATCH(TO_IP(${f}), ${str(c)})`,
  always: 'true',
  never: 'false',
};
