/**
 * An alert: one detected sequence (or single-event hit), with what an analyst needs to triage it.
 * Built by alert/ from an engine match, carried across worker threads as plain JSON, then
 * deduplicated, ordered and written by output/.
 */
import type { Severity } from '../ir/types.js';
import type { Event } from '../events/field.js';
import type { IntelMatch } from '../intel/types.js';

export interface AlertProcess {
  executable?: string;
  pid?: number;
  commandLine?: string;
  parentExecutable?: string;
  signer?: string;
  signatureTrusted?: boolean;
  user?: string;
}

export interface AlertWriter {
  /** Source address of the SMB session that wrote the file (5145/5140/4624 type 3). */
  ip?: string;
  user?: string;
  domain?: string;
  /** Which evidence named the writer (e.g. `Security 5145`). */
  evidence?: string;
}

export interface Alert {
  /** Stable id: hash of rule id + the matched events' identities (dedup key). */
  id: string;
  ruleId: string;
  ruleName: string;
  severity: Severity;
  riskScore?: number;
  mitre?: string[];
  host: string;
  /** The file written then executed (file-share rules), when the rule has one. */
  filePath?: string;
  /** ISO-8601 times of the first (write) and last (execution) matched events. */
  firstTime: string;
  lastTime: string;
  /** lastTime − firstTime in milliseconds (fractional). */
  gapMs: number;
  writer?: AlertWriter;
  process?: AlertProcess;
  /** Threat-intel hits on the hashes of the matched events (alert/intel.ts); severity was raised. */
  intel?: AlertIntel;
  /** The matched events in sequence order, in the ECS view, with where each came from. */
  events: { file: string; position?: number; event: Event }[];
  /** Other events of the same host around the alert (ECS view), for the report's timeline. */
  context?: { file: string; position?: number; event: Event }[];
}

export interface AlertIntel {
  matches: IntelMatch[];
  /** The rule's severity, before the match raised it one level. */
  severityBefore: Severity;
}
