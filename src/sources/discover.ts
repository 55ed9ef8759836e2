/** Expanding command-line inputs (files, directories, `-`) into sniffed input files. */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PeekableBytes, READ_CHUNK, REPLAY_BYTES, fileBytes, gunzipBytes } from './bytes.js';
import { spoolToFile } from './spool.js';
import { SNIFF_BYTES, sniff } from './sniff.js';
import type { ProblemSink, SourceFormat } from './types.js';

export interface InputFile {
  path: string;
  format: SourceFormat;
  /** Bytes on disk (0 for stdin, whose size is unknown). */
  size: number;
  gzip: boolean;
  /** An EVTX from a pipe or a .gz: the temporary file holding its bytes (see spool.ts). */
  spooled?: string;
}

/** Inputs that are streams, not files: stdin (`-`) and named pipes such as `<(zcat x.gz)`. */
const streams = new Map<string, PeekableBytes>();

/** stdin or a named pipe as a peekable, replayable byte stream (one per path and process). */
export function streamSource(path: string): PeekableBytes {
  let s = streams.get(path);
  if (!s) {
    s = new PeekableBytes(path === '-' ? process.stdin : createReadStream(path, { highWaterMark: READ_CHUNK }), {
      replayBytes: REPLAY_BYTES,
    });
    streams.set(path, s);
  }
  return s;
}

/** True for inputs read as streams (their size is unknown and they cannot be split). */
export function isStreamInput(path: string): boolean {
  return path === '-' || streams.has(path);
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
    if (head.length === 0 && /\.evtx$/i.test(path)) {
      onProblem({ kind: 'unknown-format', file: path, message: 'empty file (0 bytes): no EVTX header; skipped', skipped: true });
      return;
    }
    const r = sniff(head);
    if (r.format === null) onProblem({ kind: 'unknown-format', file: path, message: `${r.reason}; skipped`, skipped: true });
    else if (r.format === 'evtx' && r.gzip) await addSpooled(path, gunzipBytes(fileBytes(path)), true);
    else out.push({ path, format: r.format, size, gzip: r.gzip });
  };
  const addSpooled = async (path: string, bytes: AsyncIterable<Uint8Array>, gzip: boolean): Promise<void> => {
    try {
      const s = await spoolToFile(bytes);
      out.push({ path, format: 'evtx', size: s.size, gzip, spooled: s.path });
    } catch (e) {
      onProblem({ kind: 'unreadable-file', file: path, message: `cannot copy the EVTX to a temporary file: ${errorText(e)}`, skipped: true });
    }
  };
  const addStream = async (path: string): Promise<void> => {
    if (seen.has(path)) return;
    seen.add(path);
    let r;
    try {
      r = sniff(await streamSource(path).peek(SNIFF_BYTES));
    } catch (e) {
      onProblem({ kind: 'unreadable-file', file: path, message: errorText(e), skipped: true });
      return;
    }
    if (r.format === null) onProblem({ kind: 'unknown-format', file: path, message: `${r.reason}; skipped`, skipped: true });
    else if (r.format === 'evtx') await addSpooled(path, r.gzip ? gunzipBytes(streamSource(path)) : streamSource(path), r.gzip);
    else out.push({ path, format: r.format, size: 0, gzip: r.gzip });
  };
  const dirsSeen = new Set<string>(); // device:inode, so symlink loops end
  const walk = async (dir: string, id: string): Promise<void> => {
    if (dirsSeen.has(id)) return;
    dirsSeen.add(id);
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
    if (st.isDirectory()) await walk(path, `${st.dev}:${st.ino}`);
    else if (st.isFile()) await addFile(path, st.size);
    else if (explicit) await addStream(path); // a named pipe or device given by name
    // Inside a directory a pipe would block the walk until something writes to it, a device
    // could be endless: not read, but said.
    else onProblem({ kind: 'unknown-format', file: path, message: `${st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : 'a device or other special file'} inside a directory is not read (name it to read it); skipped`, skipped: true });
  };
  for (const p of paths) {
    if (p === '-') await addStream('-');
    else await visit(p, true);
  }
  return out;
}
