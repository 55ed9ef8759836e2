/**
 * serve/store/log-rows.ts: the event log as one row per group commit. Reads by seq, the host's
 * surrounding events and retention agree with a one-event-per-row reference; migration 5 turns a
 * log written by the earlier one-row-per-event format into the new one, and ingest continues it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/serve/store/migrations.js';
import { openDb } from '../../src/serve/store/db.js';
import { EventStream, requestOf, type LogRow } from '../../src/serve/store/stream.js';
import { CHUNK, INDEX_EVERY, indexedTo, storedCount, storedSeqRanges } from '../../src/serve/store/log-rows.js';
import { call, serve } from './client.js';

const doc = (i: number, host: string, sec: number): string => JSON.stringify({ '@timestamp': new Date(Date.UTC(2026, 2, 2, 8, 0, sec)).toISOString(), host: { id: host }, n: i, s: 'é😀' });

test('rows of many events: readFrom, get, around and prune agree with a per-event reference', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-logrows-'));
  const path = join(dir, 'spoor.db');
  const db = openDb(path);
  const stream = new EventStream(db, { path, fsync: 'os', writerThread: false, commitDelayMs: 1, maxBatch: 100_000, onCommitted: () => {} });
  try {
    const ref: { host: string; time_ms: number | null; raw: string }[] = [];
    // One batch larger than a row (split), then small ones; hosts interleaved, times out of order, some without time.
    for (const size of [CHUNK + 37, 5, 1, 300]) {
      const rows: LogRow[] = [];
      for (let k = 0; k < size; k++) {
        const i = ref.length;
        const host = `h${i % 7}`;
        const sec = (i * 13) % 600;
        const r: LogRow = { host, timeMs: i % 11 === 0 ? null : Date.UTC(2026, 2, 2, 8, 0, sec), raw: doc(i, host, sec) };
        rows.push(r);
        ref.push({ host, time_ms: r.timeMs, raw: r.raw });
      }
      const seqs = await stream.append(requestOf(rows));
      assert.equal(seqs[0], ref.length - size + 1);
    }
    assert.equal(stream.count(), ref.length);
    assert.equal(stream.maxSeq(), ref.length);
    const all = stream.readFrom(1, 1_000_000);
    assert.deepEqual(all, ref.map((r, i) => ({ seq: i + 1, ...r })));
    assert.deepEqual(stream.readFrom(4000, 200).map((e) => e.seq), Array.from({ length: 200 }, (_, i) => 4000 + i), 'pages across a row boundary');
    assert.deepEqual(stream.get([3, 4200, ref.length]), [all[2], all[4199], all[ref.length - 1]]);
    // Surrounding events of a host: the 10 at or before and the 10 after, by time then seq.
    for (const [host, t] of [['h3', Date.UTC(2026, 2, 2, 8, 0, 300)], ['h0', Date.UTC(2026, 2, 2, 8, 0, 0)], ['h6', Date.UTC(2026, 2, 2, 9)]] as const) {
      const mine = all.filter((e) => e.host === host && e.time_ms !== null).sort((a, b) => a.time_ms! - b.time_ms! || a.seq - b.seq);
      const before = mine.filter((e) => e.time_ms! <= t);
      const after = mine.filter((e) => e.time_ms! > t);
      assert.deepEqual(stream.around(host, t, 10), [...before.slice(-10), ...after.slice(0, 10)], `${host} ${t}`);
    }
    // Retention cuts inside a row: its tail is kept with its seqs.
    const cut = 2000;
    assert.equal(stream.prune(cut, 1_000_000, 3600_000), 0, 'nothing beyond the bounds');
    assert.equal(stream.prune(cut, 10, 3600_000), cut - 1);
    assert.equal(stream.count(), ref.length - cut + 1);
    assert.deepEqual(stream.readFrom(1, 3).map((e) => e.seq), [cut, cut + 1, cut + 2]);
    assert.deepEqual(stream.readFrom(1, 1_000_000), all.slice(cut - 1));
    const more = await stream.append(requestOf([{ host: 'x', timeMs: null, raw: '{}' }]));
    assert.equal(more[0], ref.length + 1, 'seqs continue after retention');
  } finally {
    await stream.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('host index in groups of rows: surrounding events through groups, the unindexed tail and retention cuts agree with a reference', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-logindex-'));
  const path = join(dir, 'spoor.db');
  const db = openDb(path);
  const stream = new EventStream(db, { path, fsync: 'os', writerThread: false, commitDelayMs: 1, maxBatch: 100_000, onCommitted: () => {} });
  try {
    const ref: { seq: number; host: string; time_ms: number | null; raw: string }[] = [];
    let commits = 0;
    const appendRows = async (k: number): Promise<void> => {
      const rows: LogRow[] = [];
      for (let j = 0; j < k; j++) {
        const i = ref.length + rows.length;
        // Hosts come and go (h5 only in some commits), times jump around, some events have none.
        const host = commits % 5 === 0 && j === 0 ? 'h5' : `h${(i * 7 + commits) % 4}`;
        const sec = (i * 37) % 3600;
        rows.push({ host, timeMs: i % 13 === 0 ? null : Date.UTC(2026, 2, 2, 8, 0, sec), raw: doc(i, host, sec) });
      }
      const seqs = await stream.append(requestOf(rows));
      rows.forEach((r, j) => ref.push({ seq: seqs[j]!, host: r.host, time_ms: r.timeMs, raw: r.raw }));
      commits++;
    };
    const check = (what: string): void => {
      for (const host of ['h0', 'h3', 'h5', 'nobody']) {
        for (const t of [Date.UTC(2026, 2, 2, 8, 0, 0), Date.UTC(2026, 2, 2, 8, 30), Date.UTC(2026, 2, 2, 8, 59, 59), Date.UTC(2026, 2, 3)]) {
          for (const n of [1, 5, 40]) {
            const mine = ref.filter((e) => e.host === host && e.time_ms !== null).sort((a, b) => a.time_ms! - b.time_ms! || a.seq - b.seq);
            const before = mine.filter((e) => e.time_ms! <= t);
            const after = mine.filter((e) => e.time_ms! > t);
            assert.deepEqual(stream.around(host, t, n), [...before.slice(-n), ...after.slice(0, n)], `${what}: ${host} ${t} ${n}`);
          }
        }
      }
    };
    // Two and a half groups of rows: two indexed (one entry per host each), the rest above indexed_to.
    for (let c = 0; c < INDEX_EVERY * 2 + INDEX_EVERY / 2; c++) await appendRows(1 + (c % 9));
    const rowsNow = storedSeqRanges(db);
    assert.equal(indexedTo(db), rowsNow[INDEX_EVERY * 2 - 1]![0], 'the first two groups are indexed');
    const entries = (db.prepare('SELECT count(*) AS n FROM event_batch_hosts').get() as { n: number }).n;
    assert.ok(entries <= 2 * 5, `one entry per host per group (${entries})`);
    check('groups and tail');
    // Retention cutting inside an indexed group's row: the group's entry keeps covering what is left.
    const inGroup = rowsNow[INDEX_EVERY + 3]!;
    const cut1 = inGroup[0] + 1;
    assert.ok(inGroup[1] > inGroup[0], 'the row cut holds several events');
    assert.equal(stream.prune(cut1, ref.length - cut1 + 1, 3600_000), cut1 - 1);
    ref.splice(0, ref.findIndex((e) => e.seq === cut1));
    check('after a cut inside a group');
    // Cutting inside the last indexed row of a group and then inside the unindexed tail.
    const lastIndexed = storedSeqRanges(db).find(([a]) => a === indexedTo(db))!;
    assert.ok(lastIndexed[1] > lastIndexed[0], 'the last indexed row holds several events');
    const cut2 = lastIndexed[0] + 1;
    stream.prune(cut2, ref.at(-1)!.seq - cut2 + 1, 3600_000);
    ref.splice(0, ref.findIndex((e) => e.seq === cut2));
    assert.equal(indexedTo(db), cut2, 'the tail of the last indexed row stays indexed');
    check('after a cut inside the last indexed row');
    const tailRow = storedSeqRanges(db).find(([a, b]) => a > indexedTo(db) && b > a)!;
    const cut3 = tailRow[0] + 1;
    const upTo = indexedTo(db);
    stream.prune(cut3, ref.at(-1)!.seq - cut3 + 1, 3600_000);
    ref.splice(0, ref.findIndex((e) => e.seq === cut3));
    assert.equal(indexedTo(db), upTo, 'a cut above the index leaves it');
    check('after a cut in the unindexed tail');
    // Appends go on: the tail is indexed as the next group.
    for (let c = 0; c < INDEX_EVERY; c++) await appendRows(3);
    assert.ok(indexedTo(db) > tailRow[0], 'the rows after the cut were indexed');
    check('after more groups');
    assert.deepEqual(stream.readFrom(1, 1_000_000), ref);
  } finally {
    await stream.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration 5: a log of one row per event keeps its seqs and text, and ingest continues it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-migrate-'));
  try {
    // A data directory as the previous format left it (schema steps 1-4, events one per row).
    const old = new Database(join(dir, 'spoor.db'));
    for (let i = 0; i < 4; i++) old.exec(MIGRATIONS[i]!);
    old.pragma('user_version = 4');
    const ins = old.prepare('INSERT INTO events (seq, received_ms, host, time_ms, raw) VALUES (?, ?, ?, ?, ?)');
    const rows = Array.from({ length: 30 }, (_, i) => ({ seq: i + 5, host: `h${i % 3}`, time: i === 7 ? null : Date.UTC(2026, 2, 2, 8, 0, i), raw: doc(i, `h${i % 3}`, i) }));
    for (const r of rows) ins.run(r.seq, 1000 + r.seq, r.host, r.time, r.raw);
    old.close();

    const h = await serve({}, dir);
    try {
      const st = h.s.context.stream;
      assert.equal(st.count(), 30);
      assert.deepEqual(st.readFrom(1, 100), rows.map((r) => ({ seq: r.seq, host: r.host, time_ms: r.time, raw: r.raw })));
      assert.deepEqual(st.around('h1', Date.UTC(2026, 2, 2, 8, 0, 10), 2).map((e) => e.seq), [9, 15, 18, 21], 'seq 12 has no time: not a surrounding event');
      const r = await call(`${h.s.url}/ingest`, { method: 'POST', token: h.ingest, body: doc(99, 'h1', 40) });
      assert.equal((r.json() as { firstSeq: number }).firstSeq, 35, 'new events follow the migrated ones');
      assert.deepEqual(storedSeqRanges(h.s.context.db).at(-1), [35, 35]);
      assert.equal(storedCount(h.s.context.db), 31);
    } finally {
      await h.stop(true);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
