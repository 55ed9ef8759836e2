/**
 * Reading a Sysmon configuration (the XML `sysmon -c` takes; SwiftOnSecurity / olafhartong
 * sysmon-modular style): event filtering only. Elements follow Sysinternals' schema:
 * `<Sysmon><EventFiltering>[<RuleGroup name groupRelation>]<FileCreate onmatch="include|exclude">`
 * with field filters (`<Image condition="is">System</Image>`) and `<Rule name groupRelation>`
 * holding several. Anything else is reported as a problem, never thrown.
 */
import { decodeEntities, XmlTokenizer, type XmlToken } from '../sources/xml/index.js';
import { isSysmonEventType } from './events.js';
import { isCondition, type SysmonCondition } from './conditions.js';

export interface FieldFilter {
  field: string;
  condition: SysmonCondition;
  value: string;
  /** `name` attribute (sysmon-modular names its rules `technique_id=T1…`). */
  name?: string;
  line: number;
}

export interface RuleFilter {
  name?: string;
  relation: 'and' | 'or';
  filters: FieldFilter[];
  line: number;
}

export type Filter = ({ kind: 'field' } & FieldFilter) | ({ kind: 'rule' } & RuleFilter);

/** One `<FileCreate onmatch="…">` element with its filters. */
export interface EventFilterSet {
  event: string;
  onmatch: 'include' | 'exclude';
  /** How the filters combine: the RuleGroup's groupRelation; legacy elements outside a RuleGroup: `or`. */
  relation: 'and' | 'or';
  group?: string;
  filters: Filter[];
  line: number;
}

export interface SysmonConfig {
  schemaVersion?: string;
  sets: EventFilterSet[];
  /** Hash algorithms (`<HashAlgorithms>`), when set. */
  hashAlgorithms?: string;
}

export interface ConfigProblem {
  line: number;
  message: string;
}

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
  line: number;
}

function parseTree(text: string, problems: ConfigProblem[]): Node | null {
  const tok = new XmlTokenizer();
  const tokens: XmlToken[] = [...tok.push(text), ...tok.end()];
  const root: Node = { name: '#root', attrs: {}, children: [], text: '', line: 0 };
  const stack: Node[] = [root];
  for (const t of tokens) {
    const top = stack[stack.length - 1]!;
    if (t.type === 'error') {
      problems.push({ line: t.line, message: `XML: ${t.message}` });
      return null;
    }
    if (t.type === 'open') {
      const attrs: Record<string, string> = {};
      for (const [k, v] of t.attrs) {
        try {
          attrs[k] = decodeEntities(v);
        } catch {
          attrs[k] = v;
        }
      }
      const n: Node = { name: t.name, attrs, children: [], text: '', line: t.line };
      top.children.push(n);
      if (!t.selfClosing) stack.push(n);
    } else if (t.type === 'close') {
      if (top.name !== t.name || stack.length === 1) {
        problems.push({ line: t.line, message: `XML: </${t.name}> does not close <${top.name}>` });
        return null;
      }
      stack.pop();
    } else top.text += t.text;
  }
  if (stack.length > 1) {
    problems.push({ line: stack[stack.length - 1]!.line, message: `XML: <${stack[stack.length - 1]!.name}> is never closed` });
    return null;
  }
  return root;
}

const relationOf = (v: string | undefined, dflt: 'and' | 'or'): 'and' | 'or' => (v === undefined ? dflt : v.toLowerCase() === 'and' ? 'and' : 'or');

function fieldFilter(n: Node, problems: ConfigProblem[]): FieldFilter | null {
  const cond = (n.attrs['condition'] ?? 'is').toLowerCase();
  if (!isCondition(cond)) {
    problems.push({ line: n.line, message: `<${n.name}>: unknown condition "${cond}"; filter ignored` });
    return null;
  }
  const f: FieldFilter = { field: n.name, condition: cond, value: n.text.trim(), line: n.line };
  if (n.attrs['name']) f.name = n.attrs['name'];
  return f;
}

function eventSet(n: Node, group: { name?: string; relation: 'and' | 'or' } | null, problems: ConfigProblem[]): EventFilterSet | null {
  const onmatch = (n.attrs['onmatch'] ?? '').toLowerCase();
  if (onmatch !== 'include' && onmatch !== 'exclude') {
    problems.push({ line: n.line, message: `<${n.name}> needs onmatch="include" or "exclude"; ignored` });
    return null;
  }
  const set: EventFilterSet = { event: n.name, onmatch, relation: group ? group.relation : 'or', filters: [], line: n.line };
  if (group?.name) set.group = group.name;
  for (const c of n.children) {
    if (c.name === 'Rule') {
      const rule: RuleFilter = { relation: relationOf(c.attrs['groupRelation'], 'and'), filters: [], line: c.line };
      if (c.attrs['name']) rule.name = c.attrs['name'];
      for (const f of c.children) {
        const ff = fieldFilter(f, problems);
        if (ff) rule.filters.push(ff);
      }
      set.filters.push({ kind: 'rule', ...rule });
    } else {
      const ff = fieldFilter(c, problems);
      if (ff) set.filters.push({ kind: 'field', ...ff });
    }
  }
  return set;
}

/** Parse a configuration; problems (bad XML, unknown conditions or elements) are collected. */
export function parseSysmonConfig(text: string): { config: SysmonConfig | null; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const root = parseTree(text, problems);
  if (!root) return { config: null, problems };
  const sysmon = root.children.find((c) => c.name === 'Sysmon');
  if (!sysmon) {
    problems.push({ line: 1, message: 'no <Sysmon> root element: not a Sysmon configuration' });
    return { config: null, problems };
  }
  const config: SysmonConfig = { sets: [] };
  if (sysmon.attrs['schemaversion']) config.schemaVersion = sysmon.attrs['schemaversion'];
  const hashes = sysmon.children.find((c) => c.name === 'HashAlgorithms');
  if (hashes) config.hashAlgorithms = hashes.text.trim();
  for (const ef of sysmon.children.filter((c) => c.name === 'EventFiltering')) {
    for (const c of ef.children) {
      if (c.name === 'RuleGroup') {
        const group = { relation: relationOf(c.attrs['groupRelation'], 'and'), ...(c.attrs['name'] ? { name: c.attrs['name'] } : {}) };
        for (const e of c.children) {
          if (!isSysmonEventType(e.name)) {
            problems.push({ line: e.line, message: `<${e.name}> is not a Sysmon event type; ignored` });
            continue;
          }
          const s = eventSet(e, group, problems);
          if (s) config.sets.push(s);
        }
      } else if (isSysmonEventType(c.name)) {
        const s = eventSet(c, null, problems);
        if (s) config.sets.push(s);
      } else problems.push({ line: c.line, message: `<${c.name}> is not a Sysmon event type or RuleGroup; ignored` });
    }
  }
  return { config, problems };
}
