/**
 * spoor EQL rules (ECS) → Sigma. Each event query becomes a rule; a sequence becomes its stages as
 * base rules plus a `temporal_ordered` correlation grouped by the join keys (`aliases` where the
 * stages' keys have different names, e.g. file.path and process.executable), maxspan as timespan.
 *
 * Taxonomy: Sigma's own (Sysmon field names) when every field has a name there — the logsource
 * from the ECS category and type (process start → process_creation, file creation → file_event),
 * fields from LOGSOURCES. A rule testing fields Sysmon does not record (process.name, code
 * signatures, file.Ext.header_bytes …) is written in the `ecs` taxonomy instead (`taxonomy: ecs`:
 * field names are ECS, and the event category is a test of its own), which spoor's Sigma reader and
 * ECS-aware Sigma backends read. Pipes, `until`, missing events, repeated stages, join keys compared
 * ignoring case (Sigma groups by exact values) and maxspans under a second are reported.
 */
import { stringify } from 'yaml';
import type { EventQuery, Expr, Literal, Pattern, Query, Rule } from '../ir/types.js';
import { conjuncts } from '../ir/walk.js';
import { UnsupportedByTarget } from './errors.js';
import { ruleUuid } from './elastic-rule.js';

const T = 'sigma';

type Taxonomy = 'sigma' | 'ecs';

/** A field with no name in Sigma's own taxonomy: the rule is written in the ecs taxonomy instead. */
class NoTaxonomyName extends UnsupportedByTarget {}

/** ECS category (+ event.type) → Sigma logsource category and its ECS → Sysmon field names (data). */
const LOGSOURCES: readonly { category: string; types: readonly string[]; logsource: string; fields: Readonly<Record<string, string>> }[] = [
  {
    category: 'process',
    types: ['start'],
    logsource: 'process_creation',
    fields: {
      'process.executable': 'Image', 'process.command_line': 'CommandLine', 'process.pid': 'ProcessId', 'process.parent.executable': 'ParentImage',
      'process.parent.command_line': 'ParentCommandLine', 'process.parent.pid': 'ParentProcessId', 'process.working_directory': 'CurrentDirectory',
      'process.pe.original_file_name': 'OriginalFileName', 'host.id': 'Computer', 'host.name': 'Computer',
    },
  },
  {
    category: 'file',
    types: ['creation', 'change'],
    logsource: 'file_event',
    fields: { 'file.path': 'TargetFilename', 'process.executable': 'Image', 'process.pid': 'ProcessId', 'host.id': 'Computer', 'host.name': 'Computer' },
  },
];

const CONSUMED = new Set(['event.category', 'event.type', 'host.os.type']);

const fieldName = (e: Expr): string | null => (e.kind === 'field' && e.path.every((s) => typeof s === 'string') ? e.path.join('.') : null);

/** Sigma string value: `*`/`?` wildcards, literal ones escaped, backslashes doubled where Sigma would read an escape. */
export function sigmaValue(p: Pattern): string {
  const toks: { lit: boolean; c: string }[] = [];
  for (const part of p) {
    if (part.t === 'star') toks.push({ lit: false, c: '*' });
    else if (part.t === 'one') toks.push({ lit: false, c: '?' });
    else for (const c of part.v) toks.push({ lit: true, c });
  }
  let out = '';
  toks.forEach((t, i) => {
    if (!t.lit) out += t.c;
    else if (t.c === '*' || t.c === '?') out += `\\${t.c}`;
    else if (t.c === '\\') {
      const next = toks[i + 1];
      out += next && (!next.lit || next.c === '\\' || next.c === '*' || next.c === '?') ? '\\\\' : '\\';
    } else out += t.c;
  });
  return out;
}

interface Build {
  selections: Record<string, Record<string, unknown>>;
  n: number;
  /** ECS → Sigma names; null in the ecs taxonomy (names as they are). */
  fields: Readonly<Record<string, string>> | null;
}

function sigmaField(e: Expr, b: Build): string {
  const name = fieldName(e);
  if (name === null) unsupported(e.kind === 'call' ? `the function ${e.name}()` : `a test on a computed value (${e.kind})`);
  if (b.fields === null) return name!;
  const to = name ? b.fields?.[name] : undefined;
  if (!to) throw new NoTaxonomyName(T, `field ${name ?? e.kind} (no Sigma taxonomy name in this logsource)`);
  return to;
}

function select(b: Build, key: string, value: unknown): string {
  const name = `selection_${++b.n}`;
  b.selections[name] = { [key]: value };
  return name;
}

const lit = (e: Expr): Literal => {
  if (e.kind !== 'literal') throw new UnsupportedByTarget(T, 'a comparison of two fields or expressions');
  return e.value;
};

const plainValue = (v: Literal): unknown => (typeof v === 'string' ? sigmaValue([{ t: 'lit', v }]) : typeof v === 'bigint' ? Number(v) : v);

function condition(e: Expr, b: Build): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.exprs.map((x) => `(${condition(x, b)})`).join(` ${e.kind} `);
    case 'not':
      return `not (${condition(e.expr, b)})`;
    case 'compare': {
      const f = sigmaField(e.left, b);
      const v = lit(e.right);
      if (v === null) return e.op === '==' ? `not ${select(b, `${f}|exists`, true)}` : e.op === '!=' ? select(b, `${f}|exists`, true) : unsupported('an ordering comparison with null');
      const cased = typeof v === 'string' && !e.caseInsensitive ? '|cased' : '';
      if (e.op === '==') return select(b, `${f}${cased}`, plainValue(v));
      if (e.op === '!=') return `not ${select(b, `${f}${cased}`, plainValue(v))}`;
      const mod = { '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' }[e.op];
      return select(b, `${f}|${mod}`, plainValue(v));
    }
    case 'in': {
      const f = sigmaField(e.expr, b);
      const vals = e.values.map(lit);
      if (vals.some((v) => v === null)) return unsupported('null in a value list');
      const cased = vals.some((v) => typeof v === 'string') && !e.caseInsensitive ? '|cased' : '';
      const s = select(b, `${f}${cased}`, vals.map(plainValue));
      return e.negated ? `not ${s}` : s;
    }
    case 'wildcard':
      return select(b, `${sigmaField(e.expr, b)}${e.caseInsensitive ? '' : '|cased'}`, e.patterns.map(sigmaValue));
    case 'regex':
      return select(b, `${sigmaField(e.expr, b)}|re${e.flags.includes('i') ? '|i' : ''}`, e.patterns.length === 1 ? e.patterns[0] : e.patterns);
    case 'cidr':
      return select(b, `${sigmaField(e.expr, b)}|cidr`, e.cidrs);
    default:
      return unsupported(`${e.kind === 'call' ? `the function ${e.name}()` : `a ${e.kind} expression`}`);
  }
}

function unsupported(what: string): never {
  throw new UnsupportedByTarget(T, what);
}

/** The event.type values an ECS event query requires. */
function requiredTypes(q: EventQuery): Set<string> {
  const types = new Set<string>();
  for (const c of conjuncts(q.where)) {
    if (fieldName(c.kind === 'in' ? c.expr : c.kind === 'compare' ? c.left : c.kind === 'wildcard' ? c.expr : c) !== 'event.type') continue;
    if (c.kind === 'compare' && c.right.kind === 'literal') types.add(String(c.right.value));
    if (c.kind === 'in') for (const v of c.values) if (v.kind === 'literal') types.add(String(v.value));
  }
  return types;
}

/** The Sigma logsource of an ECS event query, from its category and the event.type it requires. */
function logsourceOf(q: EventQuery): (typeof LOGSOURCES)[number] | undefined {
  const types = requiredTypes(q);
  return LOGSOURCES.find((l) => l.category === q.category && types.size > 0 && [...types].every((t) => l.types.includes(t)));
}

interface Detection {
  logsource: Record<string, string>;
  detection: Record<string, unknown>;
  /** Join keys: ECS name → the name in the rule's taxonomy (null: as they are). */
  fields: Readonly<Record<string, string>> | null;
}

/** The Sigma detection for one event query in the taxonomy. */
function detection(q: EventQuery, taxonomy: Taxonomy): Detection {
  const ls = logsourceOf(q);
  const logsource: Record<string, string> = { ...(ls ? { category: ls.logsource } : {}), product: 'windows' };
  if (taxonomy === 'ecs') {
    const b: Build = { selections: {}, n: 0, fields: null };
    const parts = [...(q.category ? [select(b, 'event.category', q.category)] : []), ...conjuncts(q.where).filter((c) => !(c.kind === 'literal' && c.value === true)).map((c) => `(${condition(c, b)})`)];
    if (parts.length === 0) unsupported('an event query with no condition');
    return { logsource, detection: { ...b.selections, condition: parts.join(' and ') }, fields: null };
  }
  if (!ls) {
    const types = requiredTypes(q);
    throw new NoTaxonomyName(T, `${q.category ?? 'any'} events${types.size ? ` of type ${[...types].join('/')}` : ''} (no Sigma logsource category for them)`);
  }
  const b: Build = { selections: {}, n: 0, fields: ls.fields };
  const rest = conjuncts(q.where).filter((c) => {
    const f = fieldName(c.kind === 'in' ? c.expr : c.kind === 'compare' ? c.left : c.kind === 'wildcard' ? c.expr : c);
    return !(f && CONSUMED.has(f));
  });
  const cond = rest.length === 0 ? select(b, `${ls.fields['process.executable'] ?? 'Image'}|exists`, true) : rest.map((c) => `(${condition(c, b)})`).join(' and ');
  return { logsource, detection: { ...b.selections, condition: cond }, fields: ls.fields };
}

/** Sigma ids are UUIDs: the rule's own, or a stable one derived from its id (as for Elastic rule_id). */
const sigmaId = (id: string): string => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : ruleUuid(id));

function header(rule: Rule, title: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    title,
    ...extra,
    status: 'experimental',
    description: rule.description?.trim() || rule.name,
    author: 'spoor (converted from EQL)',
    ...(rule.references?.length ? { references: rule.references } : {}),
    tags: (rule.mitre ?? []).map((m) => `attack.${m.toLowerCase()}`),
  };
}

function timespan(ns: number): string {
  const s = ns / 1e9;
  if (!Number.isInteger(s)) throw new UnsupportedByTarget(T, 'a maxspan below one second');
  return s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/** One EQL rule as Sigma YAML (one document, or base rules + a correlation): Sigma's taxonomy, else ecs. */
export function formatSigma(rule: Rule): string {
  if (rule.view !== 'ecs') throw new UnsupportedByTarget(T, 'a rule that is already Sigma');
  try {
    return formatIn(rule, 'sigma');
  } catch (e) {
    if (e instanceof NoTaxonomyName) return formatIn(rule, 'ecs');
    throw e;
  }
}

function formatIn(rule: Rule, taxonomy: Taxonomy): string {
  const q: Query = rule.query;
  const level = rule.severity;
  const tax = taxonomy === 'ecs' ? { taxonomy: 'ecs' } : {};
  if (q.kind === 'event') {
    if (q.pipes.length > 0) unsupported('EQL pipes');
    const d = detection(q.query, taxonomy);
    return stringify({ ...header(rule, rule.name, { id: sigmaId(rule.id) }), ...tax, logsource: d.logsource, detection: d.detection, level });
  }
  if (q.kind !== 'sequence') return unsupported(`an EQL ${q.kind}`);
  if (q.until) unsupported('a sequence with until (Sigma correlations have no end condition)');
  if (q.stages.some((s) => s.missing)) unsupported('a missing-event stage (![…]: Sigma correlations cannot require an event to be absent)');
  if (q.stages.some((s) => (s.runs ?? 1) > 1)) unsupported('a repeated stage (with runs=N)');
  if (q.stages.some((s) => s.fork)) unsupported('a fork stage');
  if (q.pipes.length > 0) unsupported('EQL pipes');
  if (q.caseInsensitiveKeys) unsupported('join keys compared ignoring case (Sigma correlations group by exact values)');
  if (q.maxspanNs === undefined) unsupported('a sequence without maxspan (a Sigma correlation needs a timespan)');
  const names = q.stages.map((_s, i) => `${rule.id.replace(/[^A-Za-z0-9_]/g, '_')}_stage_${i + 1}`);
  const docs: Record<string, unknown>[] = [];
  const keys: string[][] = [];
  q.stages.forEach((s, i) => {
    const d = detection(s.query, taxonomy);
    keys.push([...q.by, ...s.by].map((k) => {
      const f = fieldName(k);
      const to = f && d.fields === null ? f : f ? d.fields?.[f] : undefined;
      if (!to) throw new NoTaxonomyName(T, `join key ${f ?? k.kind} (no Sigma name in ${d.logsource['category'] ?? 'this logsource'})`);
      return to;
    }));
    docs.push({ ...header(rule, `${rule.name} (stage ${i + 1})`, { id: sigmaId(`${rule.id}/stage-${i + 1}`), name: names[i] }), ...tax, logsource: d.logsource, detection: d.detection, level: 'informational' });
  });
  const width = keys[0]!.length;
  if (keys.some((k) => k.length !== width)) unsupported('stages with different numbers of join keys');
  // A key named alike in every stage is grouped by that name; otherwise by an alias named after the first stage's field.
  const aliases: Record<string, Record<string, string>> = {};
  const groupBy = keys[0]!.map((first, j) => {
    if (keys.every((k) => k[j] === first)) return first;
    let alias = first.replace(/[^A-Za-z0-9]/g, '_');
    while (keys[0]!.includes(alias) || alias in aliases) alias = `${alias}_${j + 1}`;
    aliases[alias] = Object.fromEntries(names.map((n, i) => [n, keys[i]![j]!]));
    return alias;
  });
  docs.push({
    ...header(rule, rule.name, { id: sigmaId(rule.id) }),
    ...tax,
    correlation: { type: 'temporal_ordered', rules: names, 'group-by': groupBy, ...(Object.keys(aliases).length ? { aliases } : {}), timespan: timespan(q.maxspanNs!) },
    level,
  });
  return docs.map((d) => stringify(d)).join('---\n');
}
