/**
 * The event log's writer thread. Commits (and their fsync) run here, off the main thread, so
 * parsing and detection go on while the disk flushes. Each message is one group commit: its rows
 * are inserted in one transaction, and the assigned seqs go back in message order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDb, type FsyncPolicy } from './db.js';

export interface WriterRequest {
  id: number;
  /** [host, timeMs, raw] per row; receivedMs stamped at commit. */
  rows: [string, number | null, string][];
}

export type WriterReply = { id: number; firstSeq: number; count: number; error?: undefined } | { id: number; error: string };

/** Attempts of one commit on SQLITE_BUSY (each waits the connection's busy timeout, 5 s). */
const BUSY_RETRIES = 12;
const { path, fsync } = workerData as { path: string; fsync: FsyncPolicy };
const db = openDb(path, fsync);
const insert = db.prepare('INSERT INTO events (received_ms, host, time_ms, raw) VALUES (?, ?, ?, ?)');
const commit = db.transaction((rows: WriterRequest['rows'], now: number): number => {
  let first = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const seq = Number(insert.run(now, r[0], r[1], r[2]).lastInsertRowid);
    if (i === 0) first = seq;
  }
  return first;
});

parentPort!.on('message', (m: WriterRequest | 'close') => {
  if (m === 'close') {
    db.close();
    parentPort!.postMessage('closed');
    return;
  }
  // SQLITE_BUSY (the main thread's alert/checkpoint transaction held the lock past the busy
  // timeout on a loaded disk) is retried: only this thread waits, and requests stay unanswered
  // rather than failing.
  for (let attempt = 1; ; attempt++) {
    try {
      const firstSeq = commit.immediate(m.rows, Date.now());
      parentPort!.postMessage({ id: m.id, firstSeq, count: m.rows.length } satisfies WriterReply);
      return;
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_BUSY' && attempt < BUSY_RETRIES) continue;
      parentPort!.postMessage({ id: m.id, error: (e as Error).message } satisfies WriterReply);
      return;
    }
  }
});
