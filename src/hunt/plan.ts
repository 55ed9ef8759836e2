/**
 * Splitting a hunt into units of work for the worker threads.
 *
 * Sequences join events of one host, possibly from different files (Sysmon.evtx and
 * Security.evtx of the same machine). So files that share a host go into one unit, where their
 * events are merged in time order. A large file on its own is split into parts (byte ranges of
 * NDJSON, chunk ranges of EVTX) processed in parallel; each part reads on past its end for the
 * longest sequence window, so a sequence that straddles the split is still found, by the part in
 * which it starts.
 */
import { stat } from 'node:fs/promises';
import type { InputFile } from '../sources/index.js';
import { readInput } from '../sources/index.js';
import { eventHost } from '../normalize/index.js';
import type { ProblemSink } from '../sources/types.js';
import { chunkSlots, CHUNK_SIZE } from '../sources/evtx/index.js';

export interface WorkPart {
  file: InputFile;
  /** NDJSON: byte offsets; EVTX: chunk indexes. Absent: the whole file. */
  range?: { start: number; end: number; unit: 'bytes' | 'chunks' };
}

export interface WorkUnit {
  id: number;
  parts: WorkPart[];
  /** Bytes of input this unit covers (for progress). */
  bytes: number;
}

export interface PlanOptions {
  workers: number;
  /** Files bigger than this are split into parts when they have a unit of their own. */
  splitBytes?: number;
}


/** Which hosts a file's first events name: read one batch, then stop. */
async function sniffHosts(file: InputFile, onProblem: ProblemSink): Promise<Set<string>> {
  const hosts = new Set<string>();
  const quiet: ProblemSink = () => {}; // the real read reports problems; sniffing must not double them
  void onProblem;
  try {
    for await (const batch of readInput(file, quiet)) {
      for (const se of batch.slice(0, 2000)) {
        const h = eventHost(se.event);
        if (h) hosts.add(h);
      }
      if (batch.length > 0) break;
    }
  } catch {
    /* unreadable: reported when the file is really read */
  }
  return hosts;
}

export async function planWork(files: InputFile[], opts: PlanOptions, onProblem: ProblemSink): Promise<WorkUnit[]> {
  // Union-find over files sharing a host.
  const parent = files.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const owner = new Map<string, number>();
  const hostSets = await Promise.all(files.map((f) => sniffHosts(f, onProblem)));
  hostSets.forEach((hosts, i) => {
    for (const h of hosts) {
      const j = owner.get(h);
      if (j === undefined) owner.set(h, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, InputFile[]>();
  files.forEach((f, i) => {
    const g = find(i);
    const l = groups.get(g);
    if (l) l.push(f);
    else groups.set(g, [f]);
  });

  const splitBytes = opts.splitBytes ?? 64 * 1024 * 1024;
  const units: WorkUnit[] = [];
  let id = 0;
  for (const group of groups.values()) {
    const f = group[0]!;
    const splittable = group.length === 1 && !f.gzip && (f.format === 'ndjson' || f.format === 'evtx') && f.path !== '-';
    if (splittable && f.size > splitBytes && opts.workers > 1) {
      const size = (await stat(f.path)).size;
      // One part per worker: each split costs an overlap read of the longest rule window.
      const parts = opts.workers;
      if (f.format === 'ndjson') {
        const step = Math.ceil(size / parts);
        for (let s = 0; s < size; s += step) {
          const end = Math.min(size, s + step);
          units.push({ id: id++, parts: [{ file: f, range: { start: s, end, unit: 'bytes' } }], bytes: end - s });
        }
      } else {
        const chunks = Math.max(1, chunkSlots(size));
        const step = Math.ceil(chunks / parts);
        for (let s = 0; s < chunks; s += step) {
          const end = Math.min(chunks, s + step);
          units.push({ id: id++, parts: [{ file: f, range: { start: s, end, unit: 'chunks' } }], bytes: (end - s) * CHUNK_SIZE });
        }
      }
      continue;
    }
    units.push({ id: id++, parts: group.map((file) => ({ file })), bytes: group.reduce((a, g) => a + g.size, 0) });
  }
  // Largest first, so the last unit to finish is a small one.
  units.sort((a, b) => b.bytes - a.bytes);
  return units;
}
