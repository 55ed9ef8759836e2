/** Expanding command-line inputs (files, directories, `-`) into sniffed input files. */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PeekableBytes } from './bytes.js';
import { SNIFF_BYTES, sniff } from './sniff.js';
import type { ProblemSink, SourceFormat } from './types.js';

export interface InputFile {
  path: string;
  format: SourceFormat;
  /** Bytes on disk (0 for stdin, whose size is unknown). */
  size: number;
  gzip: boolean;
}

let stdinBytes: PeekableBytes | null = null;

/** stdin as a peekable byte stream (one per process: it can be read only once). */
export function stdinSource(): PeekableBytes {
  stdinBytes ??= new PeekableBytes(process.stdin);
  return stdinBytes;
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^\w+: /, '')}` : String(err.message ?? e);
}

/** Expand files/dirs/'-' into input files with sniffed formats; unreadable paths → problems. */
export async function discoverInputs(paths: string[], onProblem: ProblemSink): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const addFile = async (path: string, size: number): Promise<void> => {
    if (seen.has(path)) return;
    seen.add(path);
    let head: Buffer;
    try {
      head = await readHead(path);
    } catch (e) {
      onProblem({ kind: 'unreadable-file', file: path, message: errorText(e), skipped: true });
      return;
    }
    const r = sniff(head);
    if (r.format === null) onProblem({ kind: 'unknown-format', file: path, message: `${r.reason}; skipped`, skipped: true });
    else out.push({ path, format: r.format, size, gzip: r.gzip });
  };
  const walk = async (dir: string): Promise<void> => {
    let entries: string[];
    try {
      entries = (await readdir(dir)).sort();
    } catch (e) {
      onProblem({ kind: 'unreadable-file', file: dir, message: errorText(e), skipped: true });
      return;
    }
    for (const name of entries) await visit(join(dir, name), false);
  };
  const visit = async (path: string, explicit: boolean): Promise<void> => {
    let st;
    try {
      st = await stat(path);
    } catch (e) {
      onProblem({ kind: 'unreadable-file', file: path, message: errorText(e), skipped: true });
      return;
    }
    if (st.isDirectory()) await walk(path);
    else if (st.isFile() || explicit) await addFile(path, st.size);
  };
  for (const p of paths) {
    if (p === '-') {
      if (seen.has('-')) continue;
      seen.add('-');
      const r = sniff(await stdinSource().peek(SNIFF_BYTES));
      if (r.format === null) onProblem({ kind: 'unknown-format', file: '-', message: `${r.reason}; skipped`, skipped: true });
      else if (r.format === 'evtx')
        onProblem({ kind: 'unknown-format', file: '-', message: 'EVTX cannot be read from stdin: pass the file path', skipped: true });
      else out.push({ path: '-', format: r.format, size: 0, gzip: r.gzip });
    } else await visit(p, true);
  }
  return out;
}
