/**
 * DATA: which event flavours (normalize/flavour.ts) an Elastic rule's `index` pattern means.
 * The first row whose pattern (a glob, case-insensitive) matches the rule's index pattern wins;
 * an index pattern no row matches means `OTHERWISE`. A rule applies to an event when the event's
 * flavour is among the flavours of any of its index patterns.
 *
 * Windows event logs read as EVTX, evtx_dump JSON, nxlog-style flat JSON or Winlogbeat are all
 * shaped into ECS by normalization, so the Winlogbeat / Windows-integration / System-integration
 * indexes mean every one of those flavours.
 */
export const WINDOWS_LOGS = ['winlogbeat', 'evtx', 'flat'] as const;

export interface IndexFlavourRow {
  index: string;
  flavours: readonly string[];
  why: string;
  /** Match the rule's index pattern literally, not as a glob (`logs-*` itself, not every `logs-x`). */
  exact?: boolean;
}

export const INDEX_FLAVOURS: readonly IndexFlavourRow[] = [
  { index: 'logs-endpoint.*', flavours: ['elastic-defend'], why: 'Elastic Defend data streams (events, alerts)' },
  { index: 'endgame-*', flavours: ['endgame', 'elastic-defend'], why: 'Endgame agent; Elastic rules query Defend-shaped fields there' },
  { index: 'winlogbeat-*', flavours: WINDOWS_LOGS, why: 'Winlogbeat; EVTX and other Windows log shapes normalize to the same ECS' },
  { index: 'logs-windows.*', flavours: WINDOWS_LOGS, why: 'Windows integration (Sysmon, PowerShell, forwarded)' },
  { index: 'logs-system.security*', flavours: WINDOWS_LOGS, why: 'System integration, Security channel' },
  { index: 'logs-system.system*', flavours: WINDOWS_LOGS, why: 'System integration, System channel' },
  { index: 'logs-system.*', flavours: [...WINDOWS_LOGS, 'ecs'], why: 'System integration (Windows channels, auth, syslog)' },
  { index: 'logs-*', flavours: ['elastic-defend', ...WINDOWS_LOGS, 'endgame', 'ecs', 'unknown'], why: 'every integration', exact: true },
  { index: '*', flavours: ['elastic-defend', ...WINDOWS_LOGS, 'endgame', 'ecs', 'unknown'], why: 'everything', exact: true },
];

/** Any other index (filebeat-*, auditbeat-*, logs-aws.*, third-party EDRs…): generic ECS records. */
export const OTHERWISE: readonly string[] = ['ecs', 'unknown'];
