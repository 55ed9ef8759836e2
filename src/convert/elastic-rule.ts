/**
 * Elastic detection rules from an EQL query: the detection-rules repository's TOML layout and
 * Kibana's import NDJSON (`POST /api/detection_engine/rules/_import`). Metadata comes from the
 * rule; MITRE names from a small table (ids it does not know keep the id as name).
 */
import { createHash } from 'node:crypto';
import { stringify } from 'smol-toml';
import type { Rule } from '../ir/types.js';

/** Indices Elastic's Windows rules search (Defend, Windows integration, Winlogbeat). */
export const ELASTIC_INDICES: readonly string[] = ['logs-endpoint.events.*', 'logs-windows.*', 'winlogbeat-*'];

/** MITRE ATT&CK names for ids spoor's rules use (data). */
const MITRE: Readonly<Record<string, { name: string; tactic?: string }>> = {
  TA0002: { name: 'Execution' },
  TA0003: { name: 'Persistence' },
  TA0008: { name: 'Lateral Movement' },
  T1021: { name: 'Remote Services', tactic: 'TA0008' },
  'T1021.002': { name: 'SMB/Windows Admin Shares', tactic: 'TA0008' },
  T1570: { name: 'Lateral Tool Transfer', tactic: 'TA0008' },
  T1569: { name: 'System Services', tactic: 'TA0002' },
  'T1569.002': { name: 'Service Execution', tactic: 'TA0002' },
  T1543: { name: 'Create or Modify System Process', tactic: 'TA0003' },
  'T1543.003': { name: 'Windows Service', tactic: 'TA0003' },
};

const RISK = { informational: 21, low: 21, medium: 47, high: 73, critical: 99 } as const;

/** A stable UUID for a rule id (detection rules need one): sha-256 of the id, UUID-shaped (v8). */
export function ruleUuid(ruleId: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ruleId)) return ruleId.toLowerCase();
  const h = createHash('sha256').update(`spoor-rule:${ruleId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface Threat {
  framework: 'MITRE ATT&CK';
  tactic: { id: string; name: string; reference: string };
  technique?: { id: string; name: string; reference: string; subtechnique?: { id: string; name: string; reference: string }[] }[];
}

const ref = (id: string): string => (id.startsWith('TA') ? `https://attack.mitre.org/tactics/${id}/` : `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`);

function threats(mitre: readonly string[]): Threat[] {
  const byTactic = new Map<string, Threat>();
  const tactic = (id: string): Threat => {
    let t = byTactic.get(id);
    if (!t) byTactic.set(id, (t = { framework: 'MITRE ATT&CK', tactic: { id, name: MITRE[id]?.name ?? id, reference: ref(id) } }));
    return t;
  };
  for (const id of mitre) if (id.startsWith('TA')) tactic(id);
  for (const id of mitre) {
    if (id.startsWith('TA')) continue;
    const parent = id.split('.')[0]!;
    const tac = MITRE[id]?.tactic ?? MITRE[parent]?.tactic;
    if (!tac) continue; // a technique whose tactic we do not know is left out rather than guessed
    const t = tactic(tac);
    t.technique ??= [];
    let tech = t.technique.find((x) => x.id === parent);
    if (!tech) t.technique.push((tech = { id: parent, name: MITRE[parent]?.name ?? parent, reference: ref(parent) }));
    if (id !== parent) (tech.subtechnique ??= []).push({ id, name: MITRE[id]?.name ?? id, reference: ref(id) });
  }
  return [...byTactic.values()];
}

/** The Kibana rule object (also the [rule] table of the TOML). */
export function elasticRuleObject(rule: Rule, eql: string): Record<string, unknown> {
  const o: Record<string, unknown> = {
    author: ['spoor'],
    description: rule.description?.trim() || rule.name,
    from: 'now-9m',
    index: [...ELASTIC_INDICES],
    language: 'eql',
    license: 'Apache-2.0',
    name: rule.name,
    risk_score: rule.riskScore ?? RISK[rule.severity],
    rule_id: ruleUuid(rule.id),
    severity: rule.severity === 'informational' ? 'low' : rule.severity,
    tags: [...(rule.tags ?? []), 'Domain: Endpoint', 'OS: Windows', 'Data Source: spoor'],
    type: 'eql',
    query: eql + '\n',
  };
  if (rule.references?.length) o['references'] = rule.references;
  if (rule.falsePositives?.length) o['false_positives'] = rule.falsePositives;
  const t = threats(rule.mitre ?? []);
  if (t.length > 0) o['threat'] = t;
  return o;
}

export function formatDetectionRuleToml(rule: Rule, eql: string, date: string): string {
  const day = date.slice(0, 10).replace(/-/g, '/');
  return stringify({ metadata: { creation_date: day, integration: ['endpoint', 'windows'], maturity: 'production', updated_date: day }, rule: elasticRuleObject(rule, eql) }) + '\n';
}

export function formatKibanaNdjsonLine(rule: Rule, eql: string): string {
  return JSON.stringify({ ...elasticRuleObject(rule, eql), enabled: false, interval: '5m', max_signals: 100, version: 1 });
}
