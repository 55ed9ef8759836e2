/**
 * Byte streams for the readers: files (whole or a byte range), stdin, gzip, UTF-16 text.
 *
 * Everything is an `AsyncIterable<Buffer>` of large chunks. `PeekableBytes` lets the sniffer
 * look at the first bytes of a stream (stdin included) and then replays them to the reader.
 */
import { createReadStream } from 'node:fs';
import { createGunzip, gunzipSync, constants as zlibConstants } from 'node:zlib';
import { Readable } from 'node:stream';

/** Chunk size for file reads: large buffers keep per-chunk overhead negligible. */
export const READ_CHUNK = 1 << 20;

export const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/** Raw bytes of a file, optionally from `start` (inclusive) to `end` (exclusive). */
export function fileBytes(path: string, start?: number, end?: number): AsyncIterable<Buffer> {
  const opts: { highWaterMark: number; start?: number; end?: number } = { highWaterMark: READ_CHUNK };
  if (start !== undefined) opts.start = start;
  if (end !== undefined) opts.end = end - 1; // fs end is inclusive
  return createReadStream(path, opts) as AsyncIterable<Buffer>;
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

/** UTF-16LE text (BOM FF FE) re-encoded as UTF-8 so every text reader sees UTF-8. */
export async function* utf16leToUtf8(src: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const decoder = new TextDecoder('utf-16le', { ignoreBOM: false });
  for await (const chunk of src) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield Buffer.from(rest, 'utf8');
}

/** A byte stream whose first bytes can be inspected before it is read from the start. */
export class PeekableBytes implements AsyncIterable<Buffer> {
  private readonly iterator: AsyncIterator<Buffer>;
  private readonly buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private ended = false;
  private consumed = false;

  constructor(src: AsyncIterable<Uint8Array>) {
    const it = src[Symbol.asyncIterator]();
    this.iterator = {
      next: async () => {
        const r = await it.next();
        if (r.done) return { done: true, value: undefined };
        const v = r.value;
        return { done: false, value: Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength) };
      },
    };
  }

  /** At least `n` bytes from the start (fewer only when the stream is shorter). */
  async peek(n: number): Promise<Buffer> {
    if (this.consumed) throw new Error('PeekableBytes: already consumed');
    while (this.bufferedBytes < n && !this.ended) {
      const r = await this.iterator.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      this.buffered.push(r.value);
      this.bufferedBytes += r.value.length;
    }
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    if (this.buffered.length > 1) this.buffered.splice(0, this.buffered.length, all);
    return all.subarray(0, Math.min(n, all.length));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.consumed) throw new Error('PeekableBytes: already consumed');
    this.consumed = true;
    for (const b of this.buffered.splice(0)) yield b;
    if (this.ended) return;
    for (;;) {
      const r = await this.iterator.next();
      if (r.done) return;
      yield r.value;
    }
  }
}
