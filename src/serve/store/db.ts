/**
 * The only file that touches the SQLite driver (better-sqlite3 12; node:sqlite needs Node ≥ 22.5).
 *
 * Durability: WAL journal. `fsync: 'commit'` (default) sets synchronous=FULL, so every commit
 * fsyncs the WAL before returning: an acknowledged event survives power loss. `fsync: 'os'` sets
 * synchronous=NORMAL (survives a process crash or kill -9, not power loss; faster). Commits are
 * grouped by store/stream.ts, so one fsync covers every request of a few milliseconds.
 *
 * Pages of 64 KiB for a new database (an existing one keeps the size it was made with): a group
 * commit's row holds a megabyte or more of documents, which SQLite writes page by page into the
 * WAL, and again into the database at each WAL checkpoint, a system call per page. With 4 KiB
 * pages that was ~300 pages per thousand events; 64 KiB pages halved the log writer's CPU per
 * event (BENCHMARKS.md, serveingest). The WAL is checkpointed every ~16 MB whatever the page size.
 */
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export type Db = Database.Database;
export type Stmt = Database.Statement;
export type FsyncPolicy = 'commit' | 'os';

/** Page size of a new database (bytes). */
export const PAGE_SIZE = 65536;
/** WAL size at which it is checkpointed into the database (4000 pages of 4 KiB, as before). */
const WAL_CHECKPOINT_BYTES = 4000 * 4096;

export function openDb(path: string, fsync: FsyncPolicy = 'commit'): Db {
  const db = new Database(path);
  // Only takes effect while the file is still empty (before WAL mode initialises it).
  db.pragma(`page_size = ${PAGE_SIZE}`);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${fsync === 'commit' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  const pageSize = Number(db.pragma('page_size', { simple: true })) || 4096;
  db.pragma(`wal_autocheckpoint = ${Math.max(16, Math.round(WAL_CHECKPOINT_BYTES / pageSize))}`);
  migrate(db);
  return db;
}

/** Run `fn` in one transaction (BEGIN IMMEDIATE … COMMIT). */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
