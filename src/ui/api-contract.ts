/**
 * The part of `spoor serve`'s JSON contract the UI reads: a types-only mirror of
 * src/serve/api-types.ts as built on the `serve` branch (commit 2826871). After the branches are
 * merged, this file should become `export type { … } from '../serve/api-types.js'` (types only,
 * allowed by STYLE.md's import rules for ui/).
 */
export type ApiSeverity = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export type ApiAlertStatus = 'open' | 'acknowledged' | 'closed';

export interface ApiEvent {
  seq: number;
  time: string;
  host: string;
  event: Record<string, unknown>;
}

export interface ApiAlertSummary {
  id: string;
  seq: number;
  ruleId: string;
  ruleName: string;
  severity: ApiSeverity;
  riskScore?: number;
  mitre?: string[];
  host: string;
  filePath?: string;
  firstTime: string;
  lastTime: string;
  gapMs: number;
  createdAt: string;
  status: ApiAlertStatus;
  statusReason?: string;
  suppressedCount: number;
  writer?: { ip?: string; user?: string; domain?: string; evidence?: string };
  process?: { executable?: string; pid?: number; commandLine?: string; parentExecutable?: string; signer?: string; signatureTrusted?: boolean; user?: string };
}

export interface ApiAlertDetail extends ApiAlertSummary {
  events: ApiEvent[];
  surrounding: ApiEvent[];
}

export interface ApiAlertList {
  alerts: ApiAlertSummary[];
  next: number | null;
  total: number;
}

export interface ApiHealth {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  eventsIn: number;
  lag: number;
  lateEvents: number;
  parseErrors: number;
  alerts: number;
  queueDepth: number;
  checkpointAgeSeconds: number | null;
  rulesLoaded: number;
}

export interface ApiRules {
  rules: { id: string; name: string; severity: ApiSeverity; kind: string; source?: string }[];
  skipped: { id?: string; source: string; reason: string }[];
  loadedAt: string;
}

export interface ApiExceptionSet {
  trusted_signers?: string[];
  paths?: string[];
  hosts?: string[];
  accounts?: string[];
}

export interface ApiExceptions {
  global: ApiExceptionSet;
  rules: Record<string, ApiExceptionSet>;
}
