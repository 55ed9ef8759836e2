/**
 * Elasticsearch Lucene (query_string) for single-event rules. Keyword fields match exactly, so a
 * case-insensitive test on text with letters becomes a regexp with both cases of each letter
 * (`[cC]:\\[wW]indows` as a regexp), exact whatever the mapping. Regular expressions (PCRE vs Lucene
 * syntax) and CIDR (needs an ip-typed field) are reported, not guessed.
 */
import type { Literal } from '../../ir/types.js';
import { UnsupportedByTarget } from '../errors.js';
import { patternRegex, type TextTarget } from '../text-target.js';

const escapeTerm = (s: string): string => s.replace(/[+\-=&|><!(){}[\]^"~*?:\\/ ]/g, '\\$&');
const escapeRegexp = (s: string): string => s.replace(/[.?+*|{}[\]()"\\#@&<>~/]/g, '\\$&');
const bothCases = (s: string): string =>
  escapeRegexp(s).replace(/[a-z]/gi, (c) => (c.toLowerCase() === c.toUpperCase() ? c : `[${c.toLowerCase()}${c.toUpperCase()}]`));
const hasLetters = (s: string): boolean => /[a-z]/i.test(s);

function value(v: Literal): string {
  if (typeof v === 'string') return escapeTerm(v);
  return String(v);
}

export const luceneTarget: TextTarget = {
  name: 'lucene',
  and: ' AND ',
  or: ' OR ',
  not: (s) => `NOT ${s}`,
  group: (s) => `(${s})`,
  groupMixed: true,
  field: (n) => n.replace(/[ :\\]/g, '\\$&'),
  eq: (f, v, ci) => (typeof v === 'string' && ci && hasLetters(v) ? `${f}:/${bothCases(v)}/` : `${f}:${typeof v === 'string' && v === '' ? '""' : value(v)}`),
  compare: (f, op, n) => `${f}:${op}${n}`,
  isNull: (f) => `NOT _exists_:${f}`,
  notNull: (f) => `_exists_:${f}`,
  wildcard: (f, p, ci) => {
    if (ci && p.some((x) => x.t === 'lit' && hasLetters(x.v))) return `${f}:/${patternRegex(p, bothCases)}/`;
    return `${f}:${p.map((x) => (x.t === 'star' ? '*' : x.t === 'one' ? '?' : escapeTerm(x.v))).join('') || '""'}`;
  },
  regex: () => {
    throw new UnsupportedByTarget('lucene', 'a regular expression (Lucene regexp syntax differs from the rule\'s PCRE/JS syntax)');
  },
  cidr: () => {
    throw new UnsupportedByTarget('lucene', 'a CIDR test (only ip-typed fields take CIDR in a query string)');
  },
  always: '*',
  never: 'NOT *',
};
