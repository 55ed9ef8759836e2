/**
 * The event log's writer thread. Commits (and their fsync) run here, off the main thread, so
 * parsing and detection go on while the disk flushes. Each message is one group commit: its rows
 * are inserted in one transaction, and the assigned seqs go back in message order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDb, type FsyncPolicy } from './db.js';
import { ownThreadId } from '../thread-cpu.js';

export interface WriterRequest {
  id: number;
  /** Per row: host and event time (ms or null); receivedMs stamped at commit. */
  hosts: string[];
  times: (number | null)[];
  /** The rows' documents joined by '\n' (a document holds no line break): one string to copy, not one per row. */
  raws: string;
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
const insert = db.prepare('INSERT INTO events (received_ms, host, time_ms, raw) VALUES (?, ?, ?, ?)');
const commit = db.transaction((m: WriterRequest, raws: string[], now: number): number => {
  let first = 0;
  for (let i = 0; i < raws.length; i++) {
    const seq = Number(insert.run(now, m.hosts[i], m.times[i], raws[i]).lastInsertRowid);
    if (i === 0) first = seq;
  }
  return first;
});

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
  const raws = m.raws.split('\n');
  if (raws.length !== m.hosts.length) {
    // A document holding a line break would shift every seq after it: refuse the batch instead.
    parentPort!.postMessage({ id: m.id, error: `batch of ${m.hosts.length} rows split into ${raws.length} documents` } satisfies WriterReply);
    return;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const firstSeq = commit.immediate(m, raws, Date.now());
      parentPort!.postMessage({ id: m.id, firstSeq, count: raws.length } satisfies WriterReply);
      return;
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_BUSY' && attempt < BUSY_RETRIES) continue;
      parentPort!.postMessage({ id: m.id, error: (e as Error).message } satisfies WriterReply);
      return;
    }
  }
});
