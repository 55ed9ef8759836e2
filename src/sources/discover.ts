/** Expanding command-line inputs (files, directories, `-`) into sniffed input files. */
import { closeSync, createReadStream, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PeekableBytes, READ_CHUNK, REPLAY_BYTES, fileBytes, gunzipBytes } from './bytes.js';
import { removeSpooled, spoolToFile } from './spool.js';
import { SNIFF_BYTES, sniff } from './sniff.js';
import type { ProblemKind, ProblemSink, SourceFormat } from './types.js';
import { entryBytes, readZipDirectory, unsupportedReason, ZipBudget, ZipBudgetError, type ZipEntry } from './zip.js';

export interface InputFile {
  /**
   * The name shown in alerts, problems and summaries: the path as given (`-` for stdin), or for
   * an entry of a zip archive `ARCHIVE!ENTRY` (`case42/Logs.zip!Security.evtx`; nested archives
   * add a `!` per level). Not necessarily a file: read the bytes from `spooled` when it is set.
   */
  path: string;
  format: SourceFormat;
  /** Bytes on disk (of `spooled` when set; 0 for stdin, whose size is unknown). */
  size: number;
  /**
   * The input was gzip-compressed. A text input's bytes (at `spooled` too) are decompressed as
   * they are read; an EVTX's spooled copy is already decompressed.
   */
  gzip: boolean;
  /**
   * UTF-16 text (sniff.ts): re-encoded to UTF-8 as it is read, so it is read whole — never cut
   * into byte ranges, whose offsets and newline bytes would be those of the UTF-16 bytes.
   */
  utf16?: true;
  /**
   * The temporary file holding the input's bytes (spool.ts): an EVTX from a pipe or a .gz
   * (decompressed), or any entry of a zip archive (decompressed from the archive). A spooled
   * EVTX is cut into chunk ranges like a file on disk; spooled text is not (`cuttable`).
   */
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

/** Where `f`'s bytes are read from: its spooled copy when it has one, else its path. */
export function diskPath(f: InputFile): string {
  return f.spooled ?? f.path;
}

/**
 * Whether `f` can be cut into ranges read apart (plan.ts splits, slices.ts time slices): plain
 * NDJSON on disk, and EVTX on disk or as a spooled copy (from a zip, a .gz or a pipe: the copy is
 * a plain EVTX, its chunks at the same offsets). Not gzip text, UTF-16 text (its bytes are not
 * the UTF-8 the range readers read), stdin, or spooled text (its range reader names the copy).
 */
export function cuttable(f: InputFile): boolean {
  if (f.format === 'evtx') return f.spooled !== undefined || (!f.gzip && f.path !== '-');
  return f.format === 'ndjson' && !f.gzip && !f.utf16 && !f.spooled && f.path !== '-';
}

/**
 * Whether reading `f` uses a line filter (LineFilter: NDJSON and syslog-prefixed JSON). Other
 * formats are parsed whole: a hunt builds no filter for them (with 2,407 Sigma rules, the text
 * gate cost each worker ~0.5 s on a run over EVTX files that never used it).
 */
export function readsLines(f: InputFile): boolean {
  return f.format === 'ndjson' || f.format === 'syslog-json';
}

/** True for inputs read as streams (their size is unknown and they cannot be split). */
export function isStreamInput(path: string): boolean {
  return path === '-' || streams.has(path);
}

/**
 * The first bytes of a file. Discovery uses synchronous calls (as fileBytes reads): each
 * asynchronous stat, open, read and close waited for a libuv pool thread, and a directory of
 * 3,000 files spent a quarter of a hunt idle in them.
 */
function readHead(path: string, size: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    // No bigger than the file (a 64 KiB buffer per small file); a size of 0 may still hold data (/proc).
    const buf = Buffer.allocUnsafe(size > 0 ? Math.min(SNIFF_BYTES, size + 1) : SNIFF_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^\w+: /, '')}` : String(err.message ?? e);
}

/**
 * Limits on reading zip archives (zip bombs: a few kilobytes that inflate to terabytes, or
 * archives nested in archives). Reaching one is reported, never thrown.
 */
export interface ZipLimits {
  /**
   * Bytes decompressed from one archive (its entries, and the entries of archives inside it) at
   * most: `max(maxBytes, maxRatio × the archive's size)`. Logs compress well (EVTX with empty
   * chunks far better than 10:1), so the floor is generous.
   */
  maxBytes: number;
  maxRatio: number;
  /** File entries read from one archive at most; those after them (in name order) are not read. */
  maxEntries: number;
  /** Archives inside archives: a zip at a deeper level is not opened. The outermost is level 1. */
  maxDepth: number;
}

export const ZIP_LIMITS: Readonly<ZipLimits> = { maxBytes: 4 * 1024 ** 3, maxRatio: 100, maxEntries: 100_000, maxDepth: 4 };

export interface DiscoverOptions {
  zipLimits?: Partial<ZipLimits>;
  /**
   * After each entry of a zip archive (read, skipped or reported): the archive's name, entries
   * done and in all, bytes decompressed so far (a status line while a big archive is unpacked).
   */
  onUnpack?: (archive: string, done: number, total: number, bytes: number) => void;
}

/** An open archive's context, for the archives inside it. */
interface ZipNest {
  depth: number;
  budget: ZipBudget;
}

/**
 * Expand files/dirs/'-' into input files with sniffed formats; unreadable paths → problems.
 * Zip archives are opened and each file entry becomes an input named `ARCHIVE!ENTRY`, read
 * from a spooled copy (zip.ts, spool.ts); every entry that is not read is reported.
 */
export async function discoverInputs(paths: string[], onProblem: ProblemSink, options: DiscoverOptions = {}): Promise<InputFile[]> {
  const limits: ZipLimits = { ...ZIP_LIMITS, ...options.zipLimits };
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const skip = (kind: ProblemKind, file: string, message: string): void => onProblem({ kind, file, message, skipped: true });
  const addFile = async (path: string, size: number): Promise<void> => {
    if (seen.has(path)) return;
    seen.add(path);
    let head: Buffer;
    try {
      head = readHead(path, size);
    } catch (e) {
      skip('unreadable-file', path, errorText(e));
      return;
    }
    await addSniffed(path, path, size, head, false, null);
  };
  /**
   * Add an input named `name` whose bytes are the file `disk` (the same path for a file on disk,
   * a temporary copy when `spooled`) and start with `head`. `nest`: the archive it came from.
   */
  const addSniffed = async (name: string, disk: string, size: number, head: Buffer, spooled: boolean, nest: ZipNest | null): Promise<void> => {
    const r = sniff(head);
    const drop = (kind: ProblemKind, message: string): void => {
      skip(kind, name, message);
      if (spooled) removeSpooled(disk);
    };
    if (head.length === 0 && /\.evtx$/i.test(name)) drop('unknown-format', 'empty file (0 bytes): no EVTX header; skipped');
    else if (r.format === null) drop('unknown-format', `${r.reason}; skipped`);
    else if (r.format === 'zip') await openZip(name, disk, size, r.gzip, spooled, nest);
    else if (r.format === 'evtx' && r.gzip) {
      await addSpooled(name, gunzipBytes(fileBytes(disk)), true);
      if (spooled) removeSpooled(disk);
    } else out.push({ path: name, format: r.format, size, gzip: r.gzip, ...(r.utf16 ? { utf16: true as const } : {}), ...(spooled ? { spooled: disk } : {}) });
  };
  const addSpooled = async (path: string, bytes: AsyncIterable<Uint8Array>, gzip: boolean): Promise<void> => {
    try {
      const s = await spoolToFile(bytes);
      out.push({ path, format: 'evtx', size: s.size, gzip, spooled: s.path });
    } catch (e) {
      skip('unreadable-file', path, `cannot copy the EVTX to a temporary file: ${errorText(e)}`);
    }
  };
  /** Open the zip archive `disk` (shown as `name`) and add its file entries, in name order. */
  const openZip = async (name: string, disk: string, size: number, gzip: boolean, spooled: boolean, nest: ZipNest | null): Promise<void> => {
    const done = (): void => {
      if (spooled) removeSpooled(disk); // its entries have their own copies
    };
    const depth = (nest?.depth ?? 0) + 1;
    if (depth > limits.maxDepth) {
      skip('unknown-format', name, `a zip archive inside ${limits.maxDepth} levels of archives is not opened (nesting limit); skipped`);
      return done();
    }
    if (gzip) {
      // A gzip-compressed zip (.zip.gz): decompressed to a copy first (the central directory is at the end).
      let s;
      try {
        s = await spoolToFile(gunzipBytes(fileBytes(disk)), '.zip');
      } catch (e) {
        skip('unreadable-file', name, `cannot decompress the gzip-compressed zip archive: ${errorText(e)}; skipped`);
        return done();
      }
      done();
      return openZip(name, s.path, s.size, false, true, nest);
    }
    const budget = nest?.budget ?? new ZipBudget(Math.max(limits.maxBytes, limits.maxRatio * size));
    let dir;
    try {
      dir = await readZipDirectory(disk, size);
    } catch (e) {
      skip('unreadable-file', name, `zip archive: ${errorText(e)}; skipped`);
      return done();
    }
    if (dir.damage !== undefined) skip('unreadable-file', name, `zip archive: ${dir.damage}`);
    const files = dir.entries.filter((e) => !e.directory).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (files.length > limits.maxEntries) {
      skip('other', name, `zip archive of ${files.length} file entries: only the first ${limits.maxEntries} (in name order) are read (entry limit); ${files.length - limits.maxEntries} not read`);
      files.length = limits.maxEntries;
    }
    const inner: ZipNest = { depth, budget };
    for (let i = 0; i < files.length; i++) {
      if (i > 0) options.onUnpack?.(name, i, files.length, budget.used);
      const e = files[i]!;
      const entryName = `${name}!${e.name}`;
      if (seen.has(entryName)) {
        skip('other', entryName, 'a second entry of the same name in the archive; skipped');
        continue;
      }
      seen.add(entryName);
      const unsupported = unsupportedReason(e);
      if (unsupported !== null) {
        skip('unreadable-file', entryName, `${unsupported}; skipped`);
        continue;
      }
      try {
        await addEntry(entryName, disk, size, e, inner);
      } catch (err) {
        if (!(err instanceof ZipBudgetError)) throw err;
        skip('unreadable-file', entryName, `${err.message}; skipped`);
        const rest = files.length - i - 1;
        if (rest > 0) skip('unreadable-file', name, `zip archive: decompression limit reached; the ${rest} entries after ${e.name} not read`);
        break;
      }
    }
    options.onUnpack?.(name, files.length, files.length, budget.used);
    done();
  };
  /**
   * Add one zip entry: its first bytes are sniffed as they stream; an entry of no known format
   * is not decompressed further; the others are spooled whole (size and CRC checked) and added
   * like a file. Throws only ZipBudgetError (the archive's limit), reported by the caller.
   */
  const addEntry = async (entryName: string, disk: string, size: number, e: ZipEntry, nest: ZipNest): Promise<void> => {
    const bytes = entryBytes(disk, size, e, nest.budget);
    let spool;
    let head: Buffer;
    try {
      const peekable = new PeekableBytes(bytes);
      head = await peekable.peek(SNIFF_BYTES);
      const r = sniff(head);
      if (r.format === null) {
        await bytes.return(undefined); // not read further: closes the archive's streams
        skip('unknown-format', entryName, `${r.reason}; skipped`);
        return;
      }
      spool = await spoolToFile(peekable, r.format === 'zip' ? '.zip' : r.format === 'evtx' && !r.gzip ? '.evtx' : '.data');
    } catch (err) {
      if (err instanceof ZipBudgetError) throw err;
      skip('unreadable-file', entryName, `${errorText(err)}; skipped`);
      return;
    }
    await addSniffed(entryName, spool.path, spool.size, head, true, nest);
  };
  const addStream = async (path: string): Promise<void> => {
    if (seen.has(path)) return;
    seen.add(path);
    let r;
    try {
      r = sniff(await streamSource(path).peek(SNIFF_BYTES));
    } catch (e) {
      skip('unreadable-file', path, errorText(e));
      return;
    }
    if (r.format === null) skip('unknown-format', path, `${r.reason}; skipped`);
    else if (r.format === 'evtx') await addSpooled(path, r.gzip ? gunzipBytes(streamSource(path)) : streamSource(path), r.gzip);
    else if (r.format === 'zip') {
      // The central directory is at the end: the archive is copied before it is opened.
      let s;
      try {
        s = await spoolToFile(r.gzip ? gunzipBytes(streamSource(path)) : streamSource(path), '.zip');
      } catch (e) {
        skip('unreadable-file', path, `cannot copy the zip archive to a temporary file: ${errorText(e)}; skipped`);
        return;
      }
      await openZip(path, s.path, s.size, false, true, null);
    } else out.push({ path, format: r.format, size: 0, gzip: r.gzip, ...(r.utf16 ? { utf16: true as const } : {}) });
  };
  const dirsSeen = new Set<string>(); // device:inode, so symlink loops end
  const walk = async (dir: string, id: string): Promise<void> => {
    if (dirsSeen.has(id)) return;
    dirsSeen.add(id);
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (e) {
      onProblem({ kind: 'unreadable-file', file: dir, message: errorText(e), skipped: true });
      return;
    }
    for (const name of entries) await visit(join(dir, name), false);
  };
  const visit = async (path: string, explicit: boolean): Promise<void> => {
    let st;
    try {
      st = statSync(path);
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
