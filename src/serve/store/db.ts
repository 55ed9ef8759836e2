/**
 * The only file that touches the SQLite driver (better-sqlite3 12; node:sqlite needs Node ≥ 22.5).
 *
 * Durability: WAL journal. `fsync: 'commit'` (default) sets synchronous=FULL, so every commit
 * fsyncs the WAL before returning: an acknowledged event survives power loss. `fsync: 'os'` sets
 * synchronous=NORMAL (survives a process crash or kill -9, not power loss; faster). Commits are
 * grouped by store/stream.ts, so one fsync covers every request of a few milliseconds.
 */
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export type Db = Database.Database;
export type Stmt = Database.Statement;
export type FsyncPolicy = 'commit' | 'os';

export function openDb(path: string, fsync: FsyncPolicy = 'commit'): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${fsync === 'commit' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('wal_autocheckpoint = 4000');
  migrate(db);
  return db;
}

/** Run `fn` in one transaction (BEGIN IMMEDIATE … COMMIT). */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
