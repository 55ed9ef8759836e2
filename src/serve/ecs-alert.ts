/**
 * An alert as an ECS alert document (`kibana.alert.*` fields, after Elastic's alert schema in
 * security-docs `alert-schema.asciidoc`), for forwarding to an Elasticsearch-shaped store.
 */
import type { Alert } from '../alert/types.js';
import type { ApiAlertSummary } from './api-types.js';

const SEVERITY_RISK: Record<string, number> = { informational: 0, low: 21, medium: 47, high: 73, critical: 99 };

export function toEcsAlert(a: Alert, s: ApiAlertSummary): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    '@timestamp': s.createdAt,
    'event.kind': 'signal',
    'kibana.alert.uuid': a.id,
    'kibana.alert.status': s.status === 'closed' ? 'recovered' : 'active',
    'kibana.alert.workflow_status': s.status,
    'kibana.alert.workflow_reason': s.statusReason,
    'kibana.alert.rule.rule_id': a.ruleId,
    'kibana.alert.rule.name': a.ruleName,
    'kibana.alert.severity': a.severity,
    'kibana.alert.risk_score': a.riskScore ?? SEVERITY_RISK[a.severity] ?? 0,
    'kibana.alert.original_time': a.firstTime,
    'kibana.alert.reason': `${a.ruleName} on ${a.host}${a.filePath ? `: ${a.filePath}` : ''}`,
    'kibana.alert.suppression.docs_count': s.suppressedCount,
    'kibana.alert.ancestors': a.events.map((e) => ({ id: String(e.position ?? ''), type: 'event', index: e.file, depth: 0 })),
    'kibana.alert.rule.threat.technique.id': a.mitre,
    'host.name': a.host,
    'file.path': a.filePath,
    'process.executable': a.process?.executable,
    'process.pid': a.process?.pid,
    'process.command_line': a.process?.commandLine,
    'process.parent.executable': a.process?.parentExecutable,
    'source.ip': a.writer?.ip,
    'user.name': a.writer?.user,
    'user.domain': a.writer?.domain,
  };
  for (const k of Object.keys(doc)) if (doc[k] === undefined) delete doc[k];
  return doc;
}
