/**
 * The EVTX parse-only floor (bench/sigma-hunt.ts): parse every chunk of one EVTX file into records
 * with spoor's reader on N worker threads (contiguous chunk ranges), nothing else. Prints
 * {events, seconds, cpuS} (cpuS: CPU time of the whole process, all threads).
 * Usage: node dist/bench/evtx-parse-child.js FILE [WORKERS]
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { CHUNK_SIZE, FILE_HEADER_SIZE, chunkSlots, parseEvtxChunk } from '../src/sources/evtx/index.js';

if (isMainThread) {
  const file = process.argv[2]!;
  const n = Math.max(1, Number(process.argv[3] ?? 2));
  const slots = chunkSlots(statSync(file).size);
  const step = Math.ceil(slots / n);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const counts = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { file, from: i * step, to: Math.min(slots, (i + 1) * step) } });
        w.on('message', resolve);
        w.on('error', reject);
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ events: counts.reduce((a, b) => a + b, 0), seconds, cpuS: (c.user + c.system) / 1e6, maxRssKb: process.resourceUsage().maxRSS }));
} else {
  const { file, from, to } = workerData as { file: string; from: number; to: number };
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK_SIZE);
  let records = 0;
  for (let i = from; i < to; i++) {
    const got = readSync(fd, buf, 0, CHUNK_SIZE, FILE_HEADER_SIZE + i * CHUNK_SIZE);
    if (got === 0) break;
    records += parseEvtxChunk(buf.subarray(0, got), file, i, () => {}).length;
  }
  closeSync(fd);
  parentPort!.postMessage(records);
}
