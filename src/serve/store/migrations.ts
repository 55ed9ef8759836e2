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
  // 5: the event log as one row per group commit (store/log-rows.ts) instead of one row per event,
  // with a per-row host index for surrounding events. Existing events become one-event rows (their
  // seqs, hosts, times and text unchanged); later commits write many events per row.
  `CREATE TABLE event_batches (
     base_seq INTEGER PRIMARY KEY,
     count INTEGER NOT NULL,
     received_ms INTEGER NOT NULL,
     hosts TEXT NOT NULL,
     host_ix BLOB NOT NULL,
     times BLOB NOT NULL,
     lens BLOB NOT NULL,
     raws TEXT NOT NULL
   );
   CREATE TABLE event_batch_hosts (
     host TEXT NOT NULL,
     base_seq INTEGER NOT NULL,
     min_ms INTEGER,
     max_ms INTEGER,
     PRIMARY KEY (host, base_seq)
   ) WITHOUT ROWID;
   CREATE INDEX event_batch_hosts_seq ON event_batch_hosts(base_seq);
   INSERT INTO event_batches (base_seq, count, received_ms, hosts, host_ix, times, lens, raws)
     SELECT seq, 1, received_ms, json_array(host), zeroblob(4),
            CASE WHEN time_ms IS NULL THEN X'000000000000F87F' ELSE spoor_f64(time_ms) END,
            spoor_len16(raw), raw
     FROM events ORDER BY seq;
   INSERT INTO event_batch_hosts (host, base_seq, min_ms, max_ms) SELECT host, seq, time_ms, time_ms FROM events;
   DROP TABLE events;`,
  // 6: the host index written for groups of rows (store/log-rows.ts INDEX_EVERY) instead of per row:
  // an entry covers the rows base_seq … last_seq (NULL: base_seq alone, as step 5 wrote them), and
  // rows above `indexed_to` are not indexed yet (readers take those from the rows themselves).
  `ALTER TABLE event_batch_hosts ADD COLUMN last_seq INTEGER;
   CREATE TABLE event_index (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     indexed_to INTEGER NOT NULL
   );
   INSERT INTO event_index (id, indexed_to) SELECT 1, coalesce(max(base_seq), 0) FROM event_batches;`,
];

export function migrate(db: Db): void {
  const have = db.pragma('user_version', { simple: true }) as number;
  if (have < MIGRATIONS.length) {
    // Step 5 encodes per-event numbers as the little-endian blobs store/log-rows.ts reads.
    db.function('spoor_f64', { deterministic: true }, (x: unknown) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(x));
      return b;
    });
    // A document's length in UTF-16 code units (JavaScript's, which slicing uses; SQLite's length() counts code points).
    db.function('spoor_len16', { deterministic: true }, (x: unknown) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(String(x).length);
      return b;
    });
  }
  for (let i = have; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
