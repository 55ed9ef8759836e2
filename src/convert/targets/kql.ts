/**
 * Microsoft Sentinel KQL (`Table | where …`) for single-event rules, native field names. The
 * table comes from the rule's channel (CHANNEL_TABLES; Sysmon through the Sysmon parser function
 * Sentinel's Windows content ships), and the channel test is dropped since the table says it.
 * Case-insensitive operators (=~, in~, startswith, endswith, contains) by default, their `_cs`
 * forms otherwise; other wildcards and regexes through `matches regex` (RE2).
 */
import type { Literal } from '../../ir/types.js';
import { UnsupportedByTarget } from '../errors.js';
import { escapeRegex, patternRegex, patternShape, type TextTarget } from '../text-target.js';

/** Channel → Sentinel table (data). Channels not listed: the `Event` table. */
export const CHANNEL_TABLES: Readonly<Record<string, string>> = {
  Security: 'SecurityEvent',
  'Microsoft-Windows-Sysmon/Operational': 'Sysmon',
  System: 'Event',
  Application: 'Event',
  'Microsoft-Windows-PowerShell/Operational': 'Event',
};

function kqlField(n: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : `['${n.replace(/'/g, "\\'")}']`;
}

export const str = (s: string): string => `@"${s.replace(/"/g, '""')}"`;
const lit = (v: Literal): string => (typeof v === 'string' ? str(v) : typeof v === 'boolean' ? String(v) : String(v));

/** The KQL spec for a product (Sentinel, Defender XDR): `name` for messages, `field` for computed columns. */
export const kqlLike = (name: string, field: (n: string) => string = kqlField): TextTarget => ({
  name,
  and: ' and ',
  or: ' or ',
  not: (s) => `not(${s})`,
  group: (s) => `(${s})`,
  field,
  eq: (f, v, ci) => (typeof v === 'string' ? `${f} ${ci ? '=~' : '=='} ${lit(v)}` : `${f} == ${lit(v)}`),
  compare: (f, op, n) => `${f} ${op} ${n}`,
  isNull: (f) => `isempty(tostring(${f}))`,
  notNull: (f) => `isnotempty(tostring(${f}))`,
  inList: (f, values, ci) => `${f} ${values.every((v) => typeof v === 'string') && ci ? 'in~' : 'in'} (${values.map(lit).join(', ')})`,
  wildcard: (f, p, ci) => {
    const s = patternShape(p);
    const cs = ci ? '' : '_cs';
    switch (s.kind) {
      case 'exact':
        return `${f} ${ci ? '=~' : '=='} ${str(s.text)}`;
      case 'prefix':
        return `${f} startswith${cs} ${str(s.text)}`;
      case 'suffix':
        return `${f} endswith${cs} ${str(s.text)}`;
      case 'contains':
        return `${f} contains${cs} ${str(s.text)}`;
      default:
        return `${f} matches regex ${str(`${ci ? '(?i)' : ''}^${patternRegex(p, escapeRegex)}$`)}`;
    }
  },
  regex: (f, re, flags) => {
    if (/\(\?[=!<]|\\[1-9]/.test(re)) throw new UnsupportedByTarget(name, 'a regular expression with lookaround or back-references (RE2 has neither)');
    const inline = [...flags].filter((c) => 'ims'.includes(c)).join('');
    return `${f} matches regex ${str(`${inline ? `(?${inline})` : ''}${re}`)}`;
  },
  cidr: (f, c) => (c.includes(':') ? `ipv6_is_in_range(${f}, ${str(c)})` : `ipv4_is_in_range(${f}, ${str(c)})`),
  always: 'true',
  never: 'false',
});

export const kqlTarget: TextTarget = kqlLike('kql');
