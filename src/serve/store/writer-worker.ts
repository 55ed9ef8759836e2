/**
 * The event log's writer thread. Commits (and their fsync) run here, off the main thread, so
 * parsing and detection go on while the disk flushes. Each message is one group commit: its events
 * are inserted in one transaction as one row per CHUNK events (store/log-rows.ts), and the assigned
 * seqs go back in message order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDb, type FsyncPolicy } from './db.js';
import { logWriter, type LogBatch } from './log-rows.js';
import { ownThreadId } from '../thread-cpu.js';

export interface WriterRequest {
  id: number;
  /** The group commit's events (its small typed arrays copied, its documents' bytes a view of the commit's SharedArrayBuffer). */
  batch: LogBatch;
}

export type WriterReply = { id: number; firstSeq: number; count: number; error?: undefined } | { id: number; error: string };

/** Sent once at start: the thread's kernel id (per-thread CPU in /metrics). */
export interface WriterHello {
  tid: number | null;
}

/** Attempts of one commit on SQLITE_BUSY (each waits the connection's busy timeout, 5 s). */
const BUSY_RETRIES = 12;
const { path, fsync } = workerData as { path: string; fsync: FsyncPolicy };
const db = openDb(path, fsync);
const writer = logWriter(db);
const commit = db.transaction((b: LogBatch, now: number): number => writer.append(b, now));

parentPort!.postMessage({ tid: ownThreadId() } satisfies WriterHello);

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
      const firstSeq = commit.immediate(m.batch, Date.now());
      parentPort!.postMessage({ id: m.id, firstSeq, count: m.batch.hostIx.length } satisfies WriterReply);
      return;
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_BUSY' && attempt < BUSY_RETRIES) continue;
      parentPort!.postMessage({ id: m.id, error: (e as Error).message } satisfies WriterReply);
      return;
    }
  }
});
