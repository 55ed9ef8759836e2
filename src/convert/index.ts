/**
 * `convertRules(rules, target)`: spoor rules (EQL or Sigma, as IR) to other query languages.
 * Each target is a spec (targets/*.ts) or, for EQL, eql/format.ts; field names are mapped as
 * data (fields.ts). What a target cannot express is reported per rule with the reason
 * (severity 'unsupported'), never emitted approximately.
 */
import type { EventQuery, Expr, Query, Rule, RuleProblem } from '../ir/types.js';
import { mapExpr } from '../ir/walk.js';
import { requiredValues } from '../ir/analyze.js';
import { EqlFormatError, formatQuery } from '../eql/format.js';
import { UnsupportedByTarget } from './errors.js';
import { FIELD_MAPPINGS, type MappingName } from './fields.js';
import { correlationAsSequence, mapQueryFields, pinField, simplify } from './prepare.js';
import { renderCondition } from './walk.js';
import type { TextTarget } from './text-target.js';
import { luceneTarget } from './targets/lucene.js';
import { esqlTarget } from './targets/esql.js';
import { splunkTarget } from './targets/splunk.js';
import { CHANNEL_TABLES, kqlTarget } from './targets/kql.js';
import { defenderQuery } from './targets/defender.js';
import { ELASTIC_INDICES, formatDetectionRuleToml, formatKibanaNdjsonLine } from './elastic-rule.js';
import { formatSigma } from './sigma-out.js';

export { UnsupportedByTarget } from './errors.js';
export { FIELD_MAPPINGS, mapField, type FieldMapping } from './fields.js';
export { ELASTIC_INDICES, ruleUuid, elasticRuleObject } from './elastic-rule.js';
export { CHANNEL_TABLES } from './targets/kql.js';
export { DEFENDER_SOURCES } from './targets/defender-schema.js';

export const TARGET_NAMES = ['eql', 'lucene', 'esql', 'splunk', 'kql', 'defender', 'elastic-toml', 'kibana-ndjson', 'sigma'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export const TARGET_DESCRIPTIONS: Readonly<Record<TargetName, string>> = {
  eql: 'Elasticsearch EQL (sequences, Sigma temporal_ordered correlations), ECS / winlog.event_data fields',
  lucene: 'Elasticsearch Lucene query string (single-event rules)',
  esql: 'Elasticsearch ES|QL (single-event rules)',
  splunk: 'Splunk SPL search (single-event rules, Sysmon/Windows field names)',
  kql: 'Microsoft Sentinel KQL (single-event rules; table from the channel)',
  defender: 'Microsoft Defender XDR advanced hunting KQL (single-event rules; DeviceProcessEvents, DeviceFileEvents, … columns)',
  'elastic-toml': 'Elastic detection-rules TOML (EQL rule)',
  'kibana-ndjson': 'Kibana rule import NDJSON (POST /api/detection_engine/rules/_import)',
  sigma: 'Sigma YAML from spoor EQL rules (sequences as temporal_ordered correlations), where expressible',
};

export interface ConvertedRule {
  ruleId: string;
  name: string;
  source: string;
  target: TargetName;
  /** The converted text (a query, a TOML file, or one NDJSON line). */
  text: string;
}

export interface ConvertOptions {
  /** Date for generated metadata (TOML creation_date), ISO; default today. */
  date?: string;
}

export interface ConvertResult {
  queries: ConvertedRule[];
  problems: RuleProblem[];
}

function family(target: TargetName): 'elastic' | 'native' {
  return target === 'splunk' || target === 'kql' || target === 'defender' ? 'native' : 'elastic';
}

function mappingFor(rule: Rule, target: TargetName): MappingName {
  return `${rule.view}-${family(target)}` as MappingName;
}

/** The rule's query in the target's field names; correlations become sequences where they can. */
function prepared(rule: Rule, target: TargetName): Query {
  if (rule.query.kind === 'sequence' && rule.query.caseInsensitiveKeys) {
    // Only EQL-based targets take sequences at all; the single-event ones say so below.
    if (family(target) === 'elastic' && target !== 'lucene' && target !== 'esql') {
      throw new UnsupportedByTarget(target, 'join keys compared ignoring case (join_keys: case-insensitive): Elasticsearch EQL compares the `by` key values exactly');
    }
    throw new UnsupportedByTarget(target, `a sequence (only EQL can express multi-event rules), whose join keys are compared ignoring case`);
  }
  const mapped = mapQueryFields(rule.query, FIELD_MAPPINGS[mappingFor(rule, target)], target);
  return correlationAsSequence(mapped, target);
}

/** A single-event condition: the event query's category as a test, then its condition. */
function singleEvent(q: Query, target: TargetName): EventQuery {
  if (q.kind !== 'event') throw new UnsupportedByTarget(target, `a ${q.kind} (only EQL can express multi-event rules)`);
  if (q.pipes.length > 0) throw new UnsupportedByTarget(target, `EQL pipes (${q.pipes.map((p) => p.kind).join(', ')})`);
  return q.query;
}

function withCategory(q: EventQuery, target: TargetName): Expr {
  if (q.category === null) return q.where;
  if (target === 'esql') throw new UnsupportedByTarget(target, 'an event category test (event.category is multi-valued; ES|QL compares single values)');
  if (family(target) === 'native') throw new UnsupportedByTarget(target, `an ECS event category (${q.category}) with no native field`);
  const cat: Expr = { kind: 'compare', op: '==', left: { kind: 'field', path: ['event', 'category'] }, right: { kind: 'literal', value: q.category }, caseInsensitive: false };
  return { kind: 'and', exprs: [cat, q.where] };
}

/** KQL: one query per channel the rule names, each on that channel's table. */
function kqlQuery(where: Expr): string {
  const channels = [...(requiredValues(where, ['Channel']) ?? [])].map(String);
  if (channels.length === 0) throw new UnsupportedByTarget('kql', 'a rule that names no channel (no Sentinel table to query)');
  const parts = channels.map((ch) => {
    const only = pinField(where, 'Channel', ch);
    return `${CHANNEL_TABLES[ch] ?? 'Event'}\n| where ${renderCondition(only, kqlTarget)}`;
  });
  return parts.length === 1 ? parts[0]! : `union\n${parts.map((p) => `  (${p.replace(/\n/g, ' ')})`).join(',\n')}`;
}

/** EQL has no case-insensitive `==`: `:` with a pattern of one literal is that test. */
function eqlForms(q: Query): Query {
  const ciEquality = (x: Expr): Expr => {
    if (x.kind !== 'compare' || !x.caseInsensitive || (x.op !== '==' && x.op !== '!=')) return x;
    if (x.right.kind !== 'literal' || typeof x.right.value !== 'string' || x.left.kind !== 'field') return x;
    const w: Expr = { kind: 'wildcard', expr: x.left, patterns: [[{ t: 'lit', v: x.right.value }]], caseInsensitive: true };
    return x.op === '==' ? w : { kind: 'not', expr: w };
  };
  const e = (x: Expr): Expr => mapExpr(x, ciEquality);
  switch (q.kind) {
    case 'event':
      return { ...q, query: { ...q.query, where: e(q.query.where) } };
    case 'sequence':
      return { ...q, stages: q.stages.map((s) => ({ ...s, query: { ...s.query, where: e(s.query.where) } })) };
    default:
      return q;
  }
}

const TEXT: Partial<Record<TargetName, TextTarget>> = { lucene: luceneTarget, esql: esqlTarget, splunk: splunkTarget };

/** Convert one rule; throws UnsupportedByTarget (or EqlFormatError) when it cannot. */
export function convertRule(rule: Rule, target: TargetName, opts: ConvertOptions = {}): string {
  if (target === 'sigma') return formatSigma(rule);
  const q = prepared(rule, target);
  if (target === 'eql' || target === 'elastic-toml' || target === 'kibana-ndjson') {
    const eql = formatQuery(eqlForms(q), 'elasticsearch');
    if (target === 'eql') return eql;
    if (target === 'elastic-toml') return formatDetectionRuleToml(rule, eql, opts.date ?? new Date().toISOString());
    return formatKibanaNdjsonLine(rule, eql);
  }
  const where = simplify(withCategory(singleEvent(q, target), target));
  if (target === 'kql') return kqlQuery(where);
  if (target === 'defender') return defenderQuery(where);
  const cond = renderCondition(where, TEXT[target]!);
  if (target === 'esql') return `FROM ${ELASTIC_INDICES.join(', ')}\n| WHERE ${cond}`;
  return cond;
}

/** Convert every rule; per-rule failures are problems with the reason, the rest still convert. */
export function convertRules(rules: readonly Rule[], target: TargetName, opts: ConvertOptions = {}): ConvertResult {
  const out: ConvertResult = { queries: [], problems: [] };
  for (const rule of rules) {
    try {
      out.queries.push({ ruleId: rule.id, name: rule.name, source: rule.source, target, text: convertRule(rule, target, opts) });
    } catch (e) {
      if (e instanceof UnsupportedByTarget) out.problems.push({ id: rule.id, source: rule.source, reason: e.message, severity: 'unsupported' });
      else if (e instanceof EqlFormatError) out.problems.push({ id: rule.id, source: rule.source, reason: `${target}: ${e.message}`, severity: 'unsupported' });
      else throw e;
    }
  }
  return out;
}
