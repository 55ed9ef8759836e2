/**
 * Splunk SPL search expressions for single-event rules, field names as Sysmon and the Security log
 * write them. Search matching ignores case, so case-sensitive string tests are reported, as are
 * `?` wildcards and literal `*` (SPL has no escape for them) and regular expressions.
 */
import type { Literal } from '../../ir/types.js';
import { UnsupportedByTarget } from '../errors.js';
import type { TextTarget } from '../text-target.js';

const quote = (s: string): string => `"${s.replace(/[\\"]/g, '\\$&')}"`;

/** Search compares ignoring case; the CASE() directive makes a term case-sensitive. */
const cased = (text: string, ci: boolean): string => (ci || !/[a-z]/i.test(text) ? text : `CASE(${text})`);

function value(v: Literal, ci: boolean): string {
  if (typeof v === 'string') {
    if (v.includes('*')) throw new UnsupportedByTarget('splunk', 'a literal * in a value (SPL cannot escape it)');
    return cased(quote(v), ci);
  }
  return String(v);
}

export const splunkTarget: TextTarget = {
  name: 'splunk',
  and: ' AND ',
  or: ' OR ',
  not: (s) => `NOT ${s}`,
  group: (s) => `(${s})`,
  groupMixed: true,
  field: (n) => (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(n) ? n : `'${n.replace(/'/g, "\\'")}'`),
  eq: (f, v, ci) => `${f}=${value(v, ci)}`,
  compare: (f, op, n) => `${f}${op}${n}`,
  isNull: (f) => `NOT ${f}=*`,
  notNull: (f) => `${f}=*`,
  inList: (f, values, ci) => `${f} IN (${values.map((v) => value(v, ci)).join(', ')})`,
  wildcard: (f, p, ci) => {
    const text = p
      .map((x) => {
        if (x.t === 'one') throw new UnsupportedByTarget('splunk', 'a ? wildcard (SPL has only *)');
        if (x.t === 'star') return '*';
        if (x.v.includes('*')) throw new UnsupportedByTarget('splunk', 'a literal * in a value (SPL cannot escape it)');
        return x.v.replace(/[\\"]/g, '\\$&');
      })
      .join('');
    return `${f}=${cased(`"${text}"`, ci)}`;
  },
  regex: () => {
    throw new UnsupportedByTarget('splunk', 'a regular expression inside a search expression (needs a separate | regex command)');
  },
  cidr: (f, c) => `${f}=${c}`,
  always: '*',
  never: 'NOT *',
};
