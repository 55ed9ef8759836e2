/** Sysmon configuration checks: does the telemetry the file-share rules need reach the log? */
import { parseSysmonConfig, type ConfigProblem, type SysmonConfig } from './config.js';
import { evaluateSysmon, type SysmonVerdict } from './evaluate.js';
import { probesFor, type SysmonProbe } from './probes.js';

export { parseSysmonConfig, evaluateSysmon, probesFor };
export { PROBE_PATHS, fileCreateProbe, processCreateProbe, type SysmonProbe } from './probes.js';
export { SYSMON_EVENT_TYPES } from './events.js';
export { CONDITIONS, type SysmonCondition } from './conditions.js';
export type { ConfigProblem, SysmonConfig, SysmonVerdict };
export type { EventFilterSet, Filter, FieldFilter, RuleFilter } from './config.js';

export interface SysmonCheck {
  probe: SysmonProbe;
  verdict: SysmonVerdict;
}

export interface SysmonCheckReport {
  schemaVersion?: string;
  checks: SysmonCheck[];
  /** Every FileCreate-by-System probe and every ProcessCreate probe is logged. */
  ok: boolean;
  problems: ConfigProblem[];
}

/** Check a configuration's text against the probes (default: the file-share rules' needs). */
export function checkSysmonConfig(text: string, paths?: readonly string[]): SysmonCheckReport | { error: string; problems: ConfigProblem[] } {
  const { config, problems } = parseSysmonConfig(text);
  if (!config) return { error: problems[0]?.message ?? 'not a Sysmon configuration', problems };
  const checks = probesFor(paths).map((probe) => ({ probe, verdict: evaluateSysmon(config, probe.event, probe.fields) }));
  const report: SysmonCheckReport = { checks, ok: checks.every((c) => c.verdict.logged), problems };
  if (config.schemaVersion) report.schemaVersion = config.schemaVersion;
  return report;
}
