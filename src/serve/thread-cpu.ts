/**
 * CPU time per thread of the server (Linux `/proc`), for `/metrics` and the benchmark: which of
 * the HTTP/ingest thread, the log writer and the detection thread the time goes to. Each thread
 * learns its own kernel thread id from `/proc/thread-self`; the main thread reads the others'
 * `/proc/self/task/<tid>/stat`. Elsewhere (no /proc) every answer is null and nothing is reported.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on every Linux architecture Node runs on). */
const TICKS = 100;

/** The calling thread's kernel thread id, or null. */
export function ownThreadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** User + system CPU seconds of a thread of this process, or null. */
export function threadCpuSeconds(tid: number): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, in parentheses): utime and stime are 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = (Number(f[11]) + Number(f[12])) / TICKS;
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}
