/**
 * Byte streams for the readers: files (whole or a byte range), stdin, gzip, UTF-16 text.
 *
 * Everything is an `AsyncIterable<Buffer>` of large chunks. `PeekableBytes` lets the sniffer
 * look at the first bytes of a stream (stdin included) and then replays them to the reader.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createGunzip, gunzipSync, constants as zlibConstants } from 'node:zlib';
import { Readable } from 'node:stream';

/** Chunk size for file reads: large buffers keep per-chunk overhead negligible. */
export const READ_CHUNK = 1 << 20;

export const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/** A reader's descriptor, open between its blocks while it is among the most recent (HELD_MAX). */
interface Held {
  fd: number;
}

/**
 * Descriptors readers keep open between blocks, at most this many per thread. A hunt merges all
 * files of a host at once, each stream waiting with a block in hand: a descriptor held per file,
 * 3,000 files of one fleet under the usual limit of 1,024 open files read nothing (EMFILE on
 * every file). Beyond this many, the least recently read file is closed and opened again for its
 * next block (~10 µs), checked to be the same file. Under it a file stays open, so a log deleted
 * or rotated away while it is read is still read whole. Per thread: a hunt's 2 workers and main
 * thread hold at most 3 × 16.
 */
export const HELD_MAX = 16;
const held = new Set<Held>();

/** `h` was just read: most recent; the least recent beyond HELD_MAX is closed. */
function touch(h: Held): void {
  held.delete(h);
  held.add(h);
  if (held.size > HELD_MAX) {
    const oldest = held.values().next().value as Held;
    held.delete(oldest);
    closeSync(oldest.fd);
    oldest.fd = -1;
  }
}

function release(h: Held): void {
  held.delete(h);
  if (h.fd >= 0) closeSync(h.fd);
  h.fd = -1;
}

/** How many descriptors readers hold now (tests). */
export function heldDescriptors(): number {
  return held.size;
}

/**
 * Raw bytes of a file, optionally from `start` (inclusive) to `end` (exclusive).
 * Read with synchronous calls, one block at a time: from the page cache a block costs well
 * under a millisecond, and an asynchronous read waits for a libuv pool thread to be scheduled,
 * which on a machine whose cores are all busy parsing (a hunt on every core) left each reader
 * idle for a third of its time. The first read is deferred to the first `next()`.
 * The descriptor stays open between blocks only while it is among the HELD_MAX most recently
 * read; a file reopened after that and found replaced (another inode at the path) ends the read
 * with an error.
 */
export async function* fileBytes(path: string, start?: number, end?: number, recycle = false, blockBytes = READ_CHUNK): AsyncIterable<Buffer> {
  const h: Held = { fd: openSync(path, 'r') };
  try {
    const st = fstatSync(h.fd);
    // Blocks are no bigger than what is left to read (plus a byte, so that a short read says the
    // end is reached): a merge of 3,000 files of 18 KB held two 64 KiB blocks for each.
    const known = end ?? st.size;
    const from = start ?? 0;
    const blockFor = (pos: number): number => (known > pos ? Math.min(blockBytes, known - pos + 1) : blockBytes);
    // `recycle`: read into two buffers in turn instead of a fresh one per block (a fresh megabyte
    // is a fresh mapping: page faults and zeroing, which two reading threads contend for). The
    // consumer must be done with a block once it has asked for the block after next.
    // `blockBytes`: smaller blocks when many files are open at once (a hunt merging hundreds of files).
    const ringBytes = blockFor(from);
    const ring = recycle ? [Buffer.allocUnsafe(ringBytes), Buffer.allocUnsafe(ringBytes)] : null;
    let turn = 0;
    let pos = from;
    const stop = end ?? Infinity;
    while (pos < stop) {
      if (h.fd < 0) {
        h.fd = openSync(path, 'r');
        const now = fstatSync(h.fd);
        if (now.ino !== st.ino || now.dev !== st.dev) throw new Error(`${path} was replaced by another file while being read (at byte ${pos})`);
      }
      touch(h);
      const size = Math.min(blockFor(pos), stop - pos);
      const buf = ring ? ring[turn++ & 1]!.subarray(0, size) : Buffer.allocUnsafe(size);
      const n = readSync(h.fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      // A short read of a regular file is its end (as it was at this read; a file still being
      // written is read up to there, as the read that returned nothing did before).
      const last = n < buf.length && end === undefined && pos >= known;
      if (last || pos >= stop) release(h);
      yield n === buf.length ? buf : buf.subarray(0, n);
      if (last) break;
    }
  } finally {
    release(h);
  }
}

/** Decompress a gzip byte stream (concatenated members are supported by node's gunzip). */
export function gunzipBytes(src: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const input = Readable.from(src, { objectMode: false });
  input.on('error', (e) => gunzip.destroy(e));
  input.pipe(gunzip);
  return gunzip as AsyncIterable<Buffer>;
}

/** Best-effort decompression of the first bytes of a gzip stream (for sniffing). */
export function gunzipHead(head: Buffer, max = 64 * 1024): Buffer {
  try {
    const out = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    return out.subarray(0, max);
  } catch {
    return Buffer.alloc(0);
  }
}

/** How text input is encoded; UTF-16 is re-encoded to UTF-8 while reading (utf16ToUtf8). */
export type TextEncoding = 'utf8' | 'utf16le' | 'utf16be';

/** ASCII a JSON or XML text may start with, as the low byte of a UTF-16 code unit: `{ [ <` and blanks. */
const UTF16_FIRST = new Set([0x7b, 0x5b, 0x3c, 0x20, 0x09, 0x0a, 0x0d]);

/**
 * The encoding of text from its first bytes: a UTF-16 byte order mark (FF FE little-endian,
 * FE FF big-endian), or UTF-16 without one when its first two characters are ASCII — the first
 * `{`, `[`, `<` or a blank — each beside a zero byte (`{\0"\0`: written by .NET's
 * `Encoding.Unicode` without a preamble). Anything else is UTF-8 (a UTF-8 BOM is dropped by the
 * readers). The sniffer decodes the head with it and still checks what the text is.
 */
export function textEncoding(head: Uint8Array): TextEncoding {
  if (head.length >= 2) {
    if (head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
    if (head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  }
  if (head.length >= 4) {
    const [a, b, c, d] = [head[0]!, head[1]!, head[2]!, head[3]!];
    if (b === 0 && d === 0 && UTF16_FIRST.has(a) && c !== 0 && c < 0x80) return 'utf16le';
    if (a === 0 && c === 0 && UTF16_FIRST.has(b) && d !== 0 && d < 0x80) return 'utf16be';
  }
  return 'utf8';
}

/** Decoded text of a head in its encoding (textEncoding), without its byte order mark. */
export function decodeHead(head: Uint8Array, encoding: TextEncoding = textEncoding(head)): string {
  return new TextDecoder(encoding === 'utf8' ? 'utf-8' : encoding === 'utf16le' ? 'utf-16le' : 'utf-16be').decode(head);
}

/** UTF-16 text (little- or big-endian, with or without a BOM) re-encoded as UTF-8 so every text reader sees UTF-8. */
export async function* utf16ToUtf8(src: AsyncIterable<Buffer>, encoding: 'utf16le' | 'utf16be'): AsyncIterable<Buffer> {
  const decoder = new TextDecoder(encoding === 'utf16le' ? 'utf-16le' : 'utf-16be', { ignoreBOM: false });
  for await (const chunk of src) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield Buffer.from(rest, 'utf8');
}

/** How much of a stream (stdin, a pipe) is kept so that it can be read again from the start. */
export const REPLAY_BYTES = 64 * 1024 * 1024;

/**
 * A byte stream whose first bytes can be inspected before it is read from the start. With
 * `replayBytes` (stdin, pipes) it can also be read from the start again (e.g. a first pass that
 * samples hosts, then the real read) as long as no more than that many bytes have been pulled
 * from the source; past that, chunks are released as they are read, and starting over fails
 * with a clear error. Without it, chunks are released as soon as they are read.
 */
export class PeekableBytes implements AsyncIterable<Buffer> {
  private readonly source: AsyncIterator<Uint8Array>;
  private readonly chunks: Buffer[] = [];
  /** Chunks released from the front of `chunks` (absolute index of chunks[0]). */
  private released = 0;
  private pulledBytes = 0;
  private ended = false;
  private pulling: Promise<void> | null = null;

  private readonly replayBytes: number;

  constructor(src: AsyncIterable<Uint8Array>, options: { replayBytes?: number } = {}) {
    this.source = src[Symbol.asyncIterator]();
    this.replayBytes = options.replayBytes ?? 0;
  }

  private get replayable(): boolean {
    return this.replayBytes > 0 && this.pulledBytes <= this.replayBytes;
  }

  /** Pull one more chunk from the source (one pull at a time, shared by all readers). */
  private pull(): Promise<void> {
    this.pulling ??= this.source.next().then((r) => {
      this.pulling = null;
      if (r.done) {
        this.ended = true;
        return;
      }
      const v = r.value;
      const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      this.chunks.push(b);
      this.pulledBytes += b.length;
    });
    return this.pulling;
  }

  /** At least `n` bytes from the start (fewer only when the stream is shorter). */
  async peek(n: number): Promise<Buffer> {
    if (this.released > 0) throw new Error('the stream was read past its replay limit and cannot be peeked again');
    let have = this.chunks.reduce((a, b) => a + b.length, 0);
    while (have < n && !this.ended) {
      const before = this.chunks.length;
      await this.pull();
      if (this.chunks.length > before) have += this.chunks[this.chunks.length - 1]!.length;
    }
    const all = Buffer.concat(this.chunks);
    return all.subarray(0, Math.min(n, all.length));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.released > 0) {
      throw new Error(
        this.replayBytes > 0
          ? `this stream was already read past the first ${this.replayBytes} bytes; it can be read only once`
          : 'this stream was already read; it can be read only once',
      );
    }
    for (let k = 0; ; k++) {
      while (k - this.released >= this.chunks.length) {
        if (this.ended) return;
        await this.pull();
      }
      const i = k - this.released;
      if (i < 0) throw new Error('this stream is being read twice at once; it can be read only once');
      const chunk = this.chunks[i]!;
      if (!this.replayable) {
        // Release what this reader has passed.
        this.chunks.splice(0, i + 1);
        this.released = k + 1;
      }
      yield chunk;
    }
  }
}
