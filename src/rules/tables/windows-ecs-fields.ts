/**
 * DATA: ECS fields the Windows-log normalization (normalize/windows.ts, normalize/derive.ts)
 * writes by code, beyond the per-channel mapping tables (normalize/tables/*), whose targets are
 * read directly. A field listed here stands for itself and everything under it.
 * Used to decide whether an Elastic Defend rule can run on Windows logs (rules/flavour-fields.ts).
 */
export const WINDOWS_CODE_FIELDS: readonly string[] = [
  // recordToEcs: time, event, host, winlog
  '@timestamp',
  'event.kind',
  'event.code',
  'event.provider',
  'event.module',
  'event.created',
  'event.category',
  'event.type',
  'event.action',
  'event.outcome',
  'host.os',
  'host.name',
  'host.hostname',
  'host.id',
  'winlog',
  // deriveCommon: names, arguments and path parts Elastic's pipelines compute
  'process.name',
  'process.parent.name',
  'process.args',
  'process.args_count',
  'process.parent.args',
  'process.parent.args_count',
  'Target.process.name',
  'file.name',
  'file.directory',
  'file.extension',
  // derivations named by the tables (sharePath, objectName, registry, dnsResults)
  'file.path',
  'registry.path',
  'registry.value',
  'registry.key',
  'registry.data',
  'dns.answers',
  'dns.resolved_ip',
];
