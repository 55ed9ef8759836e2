/**
 * Elastic detection-rules TOML (elastic/detection-rules `rules/**.toml`) as a rule format.
 *
 * A file holds `[metadata]` (maturity, dates) and `[rule]` (type, language, query, index, name,
 * severity, risk_score, rule_id, threat, building_block_type, event_category_override…).
 * `language = "eql"` rules become spoor rules in the ECS view; every other type (KQL/kuery query,
 * Lucene, ES|QL, machine learning, threshold, new_terms, threat_match) is reported as not
 * runnable, by type, never dropped silently. Which event flavours a rule applies to follows its
 * `index` patterns, through the data table `tables/elastic-index-flavours.ts` (`meta.indexFlavours`);
 * a Defend-only rule also runs on Windows logs when their normalization gives every field it
 * requires (`flavour-fields.ts`; `meta.flavours` is the result, `strictIndex` keeps the index's).
 */
import { parse as parseToml } from 'smol-toml';
import type { Query, Rule, RuleProblem, Severity } from '../ir/types.js';
import { INDEX_FLAVOURS, OTHERWISE } from './tables/elastic-index-flavours.js';
import { defaultFlavours } from './flavour-fields.js';

/** Parses one EQL query (see pack.ts). */
export type TomlEqlParser = (text: string) => Query;

export type TomlOutcome =
  | { kind: 'rule'; rule: Rule }
  /** A valid rule of a type spoor does not run (KQL, ES|QL, ML, threshold, new_terms, threat_match). */
  | { kind: 'problem'; problem: RuleProblem };

const SEVERITIES: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

function globToRegex(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
}

/**
 * The event flavours (normalize/flavour.ts) a rule's `index` patterns mean. An index pattern is
 * matched against the table's patterns in order; the first that matches gives its flavours.
 * An empty or absent `index` (a data view) means every flavour.
 */
export function flavoursForIndexes(indexes: readonly string[]): string[] | undefined {
  if (indexes.length === 0) return undefined;
  const out = new Set<string>();
  for (const idx of indexes) {
    const hit = INDEX_FLAVOURS.find((p) => (p.exact ? p.index === idx : globToRegex(p.index).test(idx)));
    for (const f of hit ? hit.flavours : OTHERWISE) out.add(f);
  }
  return [...out].sort();
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** MITRE ids of a rule's `threat` entries: tactics, techniques, sub-techniques. */
function mitreIds(threat: unknown): string[] {
  const out = new Set<string>();
  if (!Array.isArray(threat)) return [];
  for (const t of threat as Record<string, unknown>[]) {
    const tactic = t?.tactic as Record<string, unknown> | undefined;
    const techniques = Array.isArray(t?.technique) ? (t.technique as Record<string, unknown>[]) : [];
    for (const tech of techniques) {
      if (typeof tech?.id === 'string') out.add(tech.id);
      for (const sub of Array.isArray(tech?.subtechnique) ? (tech.subtechnique as Record<string, unknown>[]) : [])
        if (typeof sub?.id === 'string') out.add(sub.id);
    }
    if (typeof tactic?.id === 'string') out.add(tactic.id);
  }
  return [...out];
}

/** Line:column of a smol-toml error, when it says. */
function tomlPosition(e: unknown): string {
  const o = e as { line?: unknown; column?: unknown };
  return typeof o.line === 'number' && typeof o.column === 'number' ? `${o.line}:${o.column}: ` : '';
}

/** Line (1-based) of the `query =` key in the TOML text, so EQL errors point into the file. */
function queryLine(text: string): number {
  return keyLine(text, 'query');
}

/** Line (1-based) of a top-level `key =` (or of a `[key…` table header) in the TOML text (1 when not found). */
function keyLine(text: string, key: string): number {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => (key.startsWith('[') ? l.startsWith(key) : l.startsWith(key) && /^\s*=/.test(l.slice(key.length))));
  return i < 0 ? 1 : i + 1;
}

/**
 * What Elastic's rule schema requires of the keys spoor reads besides the query, checked so that a
 * rule Kibana would refuse is not loaded here with a guess (a severity read as `medium`, an `index`
 * not understood as "every log source", a category override ignored): null when they hold, else why.
 */
function schemaProblem(r: Record<string, unknown>, text: string): string | null {
  const at = (key: string): string => `${keyLine(text, key)}:1: `;
  const sev = r.severity;
  if (sev !== undefined && !(typeof sev === 'string' && (SEVERITIES as readonly string[]).includes(sev.toLowerCase())))
    return `${at('severity')}severity must be one of low, medium, high, critical (got ${JSON.stringify(sev)})`;
  const risk = r.risk_score;
  if (risk !== undefined && !(typeof risk === 'number' && risk >= 0 && risk <= 100))
    return `${at('risk_score')}risk_score must be a number from 0 to 100 (got ${JSON.stringify(risk)})`;
  if (r.index !== undefined && !(Array.isArray(r.index) && r.index.every((x) => typeof x === 'string')))
    return `${at('index')}index must be a list of index patterns (got ${JSON.stringify(r.index)})`;
  if (r.threat !== undefined && !Array.isArray(r.threat)) return `${at('[rule.threat')}threat must be a list of [[rule.threat]] entries`;
  for (const key of ['event_category_override', 'timestamp_override', 'name'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'string') return `${at(key)}${key} must be a string (got ${JSON.stringify(r[key])})`;
  }
  return null;
}

/** Load one Elastic rule file. Never throws: an unreadable or invalid file becomes a problem. */
export function loadElasticToml(file: string, text: string, parse: TomlEqlParser): TomlOutcome {
  const problem = (reason: string, severity: RuleProblem['severity'] = 'error', id?: string): TomlOutcome => ({
    kind: 'problem',
    problem: { ...(id ? { id } : {}), source: file, reason, severity },
  });
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    return problem(`${tomlPosition(e)}TOML: ${String((e as Error).message).split('\n')[0]}`);
  }
  const r = doc.rule as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object') return problem('1:1: not an Elastic rule file: no [rule] table');
  const meta = (doc.metadata ?? {}) as Record<string, unknown>;
  const id = str(r.rule_id);
  if (r.rule_id !== undefined && id === undefined) return problem(`${keyLine(text, 'rule_id')}:1: rule_id must be a string (got ${JSON.stringify(r.rule_id)})`);
  if (!id) return problem('1:1: [rule] has no rule_id');
  const type = str(r.type) ?? '?';
  const language = str(r.language) ?? (type === 'machine_learning' ? 'none' : '?');
  if (language !== 'eql' || type !== 'eql') {
    return problem(`not runnable: rule type '${type}' (language ${language}); spoor runs Elastic rules of type eql only`, 'unsupported', id);
  }
  const queryText = str(r.query);
  if (!queryText || !queryText.trim()) return problem(`${queryLine(text)}:1: [rule] has no query`, 'error', id);
  let query: Query;
  try {
    query = parse(queryText);
  } catch (e) {
    const o = e as { line?: unknown; column?: unknown; message?: unknown };
    // The query starts on the line after `query = '''`.
    const where = typeof o.line === 'number' ? `${queryLine(text) + o.line}:${typeof o.column === 'number' ? o.column : 1}: ` : '';
    return problem(`${where}EQL: ${String(o.message ?? e).split('\n')[0]!.replace(/^(?:line\s*)?\d+:\d+:?\s*/, '')}`, 'error', id);
  }
  const invalid = schemaProblem(r, text);
  if (invalid !== null) return problem(invalid, 'error', id);
  const severity = str(r.severity)?.toLowerCase() as Severity | undefined;
  const indexes = strs(r.index);
  const indexFlavours = flavoursForIndexes(indexes);
  const categoryField = str(r.event_category_override);
  // Defend rules also run on Windows logs normalized to the same required fields (flavour-fields.ts).
  const flavours = indexFlavours ? defaultFlavours(indexFlavours, query, categoryField) : undefined;
  const buildingBlock = r.building_block_type !== undefined;
  const maturity = str(meta.maturity);
  const rule: Rule = {
    id,
    name: str(r.name) ?? id,
    source: file,
    language: 'eql',
    view: 'ecs',
    query,
    severity: severity && SEVERITIES.includes(severity) ? severity : 'medium',
    ...(typeof r.risk_score === 'number' ? { riskScore: r.risk_score } : {}),
    ...(str(r.description) ? { description: str(r.description)!.trim() } : {}),
    tags: strs(r.tags),
    mitre: mitreIds(r.threat),
    references: strs(r.references),
    falsePositives: strs(r.false_positives),
    meta: {
      enabled: true,
      hunting: false,
      format: 'elastic-toml',
      elasticRuleId: id,
      index: indexes,
      ...(flavours ? { flavours } : {}),
      ...(indexFlavours ? { indexFlavours } : {}),
      ...(categoryField ? { categoryField } : {}),
      ...(buildingBlock ? { buildingBlock: true } : {}),
      ...(maturity ? { maturity } : {}),
      ...(maturity === 'deprecated' ? { deprecated: true } : {}),
      ...(str(r.timestamp_override) ? { timestampOverride: str(r.timestamp_override) } : {}),
    },
  };
  return { kind: 'rule', rule };
}
