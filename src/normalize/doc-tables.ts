/**
 * The mapping tables rendered as Markdown, for docs/normalization.md (a test keeps the document
 * in step with the tables). Print with `node --import tsx src/normalize/doc-tables.ts`.
 */
import { pathToFileURL } from 'node:url';
import { REVERSE_BY_EVENT_ID, SYSMON_EQUIVALENT } from './tables/reverse.js';
import { TABLES } from './tables/index.js';
import type { FieldMap, FieldTarget } from './tables/types.js';

function targets(t: FieldTarget | string[]): string {
  if (t === null) return '(kept in winlog.event_data only)';
  return (Array.isArray(t) ? t : [t]).map((x) => `\`${x}\``).join(', ');
}

function fieldRows(map: FieldMap): string[] {
  return Object.entries(map).map(([k, t]) => `| \`${k}\` | ${targets(t)} |`);
}

export function mappingTablesMarkdown(): string {
  const out: string[] = ['<!-- generated from src/normalize/tables by src/normalize/doc-tables.ts: do not edit by hand -->'];
  for (const t of TABLES) {
    out.push('', `### ${t.module}: ${t.channels.join(', ')}`, '');
    out.push(`Provider names that identify it when there is no channel: ${t.providers.map((p) => `\`${p}\``).join(', ')}.`);
    if (t.timeField) out.push(`@timestamp comes from EventData \`${t.timeField}\` when present, else System/TimeCreated.`);
    out.push('', '| EventID | event.category | event.type | event.action | outcome | field overrides | derived |', '|---|---|---|---|---|---|---|');
    for (const [id, s] of Object.entries(t.events)) {
      const overrides = s.fields
        ? Object.entries(s.fields)
            .map(([k, v]) => `${k} → ${v === null ? '—' : Array.isArray(v) ? v.join(', ') : v}`)
            .join('; ')
        : '';
      out.push(
        `| ${id} | ${(s.category ?? []).join(', ')} | ${(s.type ?? []).join(', ')} | ${s.action ?? ''} | ${s.outcome ?? ''} | ${overrides} | ${(s.derive ?? []).join(', ')} |`,
      );
    }
    out.push('', 'Fields of every event of this log (EventData name → ECS; `conv:` names a conversion):', '', '| EventData | ECS |', '|---|---|');
    out.push(...fieldRows(t.fields));
  }
  out.push('', '### Native view of ECS events: Sysmon equivalent by category/type (first match wins)', '', '| event.category | event.type | also needs | EventID |', '|---|---|---|---|');
  for (const r of SYSMON_EQUIVALENT) {
    const needs = [r.dns ? 'dns.question.name' : '', r.action ? `event.action ${r.action.join('/')}` : ''].filter(Boolean).join(', ');
    out.push(`| ${r.category} | ${(r.type ?? ['any']).join(', ')} | ${needs} | ${r.id} |`);
  }
  out.push('', '### Native view of ECS events: fields read back by EventID', '', '| EventID | native ← ECS |', '|---|---|');
  for (const [id, fields] of Object.entries(REVERSE_BY_EVENT_ID)) {
    out.push(`| ${id} | ${fields.map((f) => `${f.native} ← ${f.ecs}${f.format ? ` (${f.format})` : ''}`).join('; ')} |`);
  }
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(mappingTablesMarkdown());
