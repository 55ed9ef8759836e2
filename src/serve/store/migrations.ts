/**
 * Numbered schema steps, as data. `PRAGMA user_version` records how many were applied; a new
 * step is appended, never edited.
 */
import type { Db } from './db.js';

export const MIGRATIONS: readonly string[] = [
  // 1: the event log, checkpoints, alerts, tokens.
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY,
     received_ms INTEGER NOT NULL,
     host TEXT NOT NULL,
     time_ms INTEGER,
     raw TEXT NOT NULL
   );
   CREATE INDEX events_host_time ON events(host, time_ms);
   CREATE TABLE checkpoints (
     name TEXT PRIMARY KEY,
     read_seq INTEGER NOT NULL,
     replay_from INTEGER NOT NULL,
     saved_ms INTEGER NOT NULL,
     stats TEXT NOT NULL
   );
   CREATE TABLE alerts (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     rule_id TEXT NOT NULL,
     rule_name TEXT NOT NULL,
     severity TEXT NOT NULL,
     host TEXT NOT NULL,
     file_path TEXT,
     first_ms INTEGER,
     created_ms INTEGER NOT NULL,
     status TEXT NOT NULL DEFAULT 'open',
     status_reason TEXT,
     status_ms INTEGER,
     suppressed INTEGER NOT NULL DEFAULT 0,
     search TEXT NOT NULL,
     doc TEXT NOT NULL
   );
   CREATE INDEX alerts_first ON alerts(first_ms);
   CREATE INDEX alerts_rule ON alerts(rule_id);
   CREATE INDEX alerts_host ON alerts(host);
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     scopes TEXT NOT NULL,
     name TEXT,
     created_ms INTEGER NOT NULL
   );`,
  // 2: webhook deliveries, suppression groups, Elasticsearch objects shippers create.
  `CREATE TABLE webhook_queue (
     id INTEGER PRIMARY KEY,
     dest TEXT NOT NULL,
     alert_id TEXT NOT NULL,
     body TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_ms INTEGER NOT NULL,
     last_error TEXT,
     UNIQUE(dest, alert_id)
   );
   CREATE TABLE suppression (
     rule_id TEXT NOT NULL,
     group_key TEXT NOT NULL,
     alert_id TEXT NOT NULL,
     until_ms INTEGER NOT NULL,
     PRIMARY KEY (rule_id, group_key)
   );
   CREATE TABLE suppressed_ids (id TEXT PRIMARY KEY);
   CREATE TABLE es_objects (
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     body TEXT NOT NULL,
     PRIMARY KEY (kind, name)
   );`,
  // 3: triage: notes and assignee per alert; rules switched off through the API (kept across restarts).
  `CREATE TABLE alert_notes (
     id INTEGER PRIMARY KEY,
     alert_id TEXT NOT NULL,
     author TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     text TEXT NOT NULL
   );
   CREATE INDEX alert_notes_alert ON alert_notes(alert_id, id);
   ALTER TABLE alerts ADD COLUMN assignee TEXT;
   CREATE TABLE rule_state (
     rule_id TEXT PRIMARY KEY,
     enabled INTEGER NOT NULL,
     changed_ms INTEGER NOT NULL,
     changed_by TEXT NOT NULL
   );`,
  // 4: the detection thread's engine state (Detector.exportState) saved with the detect checkpoint,
  // and the seqs the reorder buffer held then (re-fed on restore).
  `CREATE TABLE detect_state (
     name TEXT PRIMARY KEY,
     held TEXT NOT NULL,
     snapshot TEXT NOT NULL
   );`,
];

export function migrate(db: Db): void {
  const have = db.pragma('user_version', { simple: true }) as number;
  for (let i = have; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
