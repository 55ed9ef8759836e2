/**
 * Rules switched off through the API (`POST /api/rules/{id}/enabled`), kept in SQLite so a
 * restart keeps them off. Only rules switched at least once have a row; every other rule is on.
 */
import type { Db } from './db.js';

export interface RuleSwitch {
  enabled: boolean;
  changedMs: number;
  changedBy: string;
}

export class RuleStateStore {
  constructor(private readonly db: Db) {}

  all(): Map<string, RuleSwitch> {
    const rows = this.db.prepare('SELECT rule_id, enabled, changed_ms, changed_by FROM rule_state').all() as { rule_id: string; enabled: number; changed_ms: number; changed_by: string }[];
    return new Map(rows.map((r) => [r.rule_id, { enabled: r.enabled !== 0, changedMs: r.changed_ms, changedBy: r.changed_by }]));
  }

  /** Ids of the rules switched off. */
  disabled(): Set<string> {
    const rows = this.db.prepare('SELECT rule_id FROM rule_state WHERE enabled = 0').all() as { rule_id: string }[];
    return new Set(rows.map((r) => r.rule_id));
  }

  set(ruleId: string, enabled: boolean, by: string): void {
    this.db
      .prepare('INSERT INTO rule_state (rule_id, enabled, changed_ms, changed_by) VALUES (?, ?, ?, ?) ON CONFLICT(rule_id) DO UPDATE SET enabled = excluded.enabled, changed_ms = excluded.changed_ms, changed_by = excluded.changed_by')
      .run(ruleId, enabled ? 1 : 0, Date.now(), by);
  }
}
