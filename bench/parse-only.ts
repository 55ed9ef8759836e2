/**
 * The floor a hunt is measured against: read an NDJSON file on N worker threads (byte ranges),
 * split lines by hand and JSON.parse each one — nothing else. Prints {events, bytes, seconds}.
 * Usage: node dist/bench/parse-only.js FILE [WORKERS]
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { openSync, readSync, closeSync, statSync } from 'node:fs';

if (isMainThread) {
  const file = process.argv[2]!;
  const n = Number(process.argv[3] ?? 2);
  const size = statSync(file).size;
  const step = Math.ceil(size / n);
  const t0 = process.hrtime.bigint();
  const counts = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { file, start: i * step, end: Math.min(size, (i + 1) * step) } });
        w.on('message', resolve);
        w.on('error', reject);
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const events = counts.reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ events, bytes: size, seconds, maxRssKb: process.resourceUsage().maxRSS }));
} else {
  const { file, start, end } = workerData as { file: string; start: number; end: number };
  const fd = openSync(file, 'r');
  let buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  // A range owns the lines that start inside it: begin after the first newline at or past start-1.
  let pos = start === 0 ? 0 : start - 1;
  let skipFirst = start > 0;
  let have = 0; // bytes of buf holding unread data (a partial line carried over)
  let bufAbs = pos; // file offset of buf[0]
  let events = 0;
  outer: for (;;) {
    if (have === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
    const n = readSync(fd, buf, have, buf.length - have, pos);
    const eof = n === 0;
    pos += n;
    const limit = have + n;
    let i = 0;
    for (;;) {
      let nl = buf.indexOf(10, i);
      if (nl < 0 || nl >= limit) {
        if (!eof) break;
        nl = limit;
        if (nl === i) break outer;
      }
      if (skipFirst) skipFirst = false;
      else {
        if (bufAbs + i >= end) break outer;
        if (nl > i) {
          JSON.parse(buf.toString('utf8', i, nl));
          events++;
        }
      }
      i = nl + 1;
      if (i >= limit) {
        if (eof) break outer;
        break;
      }
    }
    buf.copy(buf, 0, i, limit);
    have = limit - i;
    bufAbs += i;
  }
  closeSync(fd);
  parentPort!.postMessage(events);
}
