/**
 * A small zip reader: random access from the central directory, entries streamed.
 *
 * Node has no zip reader; this one reads what log archives need (APPNOTE.TXT 6.3):
 *
 *   - the End of Central Directory record (EOCD, `PK\5\6`), searched backwards from the end of
 *     the file (it is followed by a comment of up to 65,535 bytes);
 *   - ZIP64: the EOCD locator (`PK\6\7`, just before the EOCD) and the ZIP64 EOCD record
 *     (`PK\6\6`) for archives of more than 65,535 entries or over 4 GiB, and the ZIP64 extra
 *     field (0x0001) of an entry whose sizes or offset do not fit in 32 bits;
 *   - the central directory (`PK\1\2` per entry): names, methods, flags, CRC-32, sizes, and
 *     where each entry's local header is. Entries are found here (scanning local headers only
 *     when it is lost, below): a data descriptor (flag bit 3, written by streaming zippers) is
 *     not needed, the central directory has the real sizes;
 *   - names in UTF-8 (flag bit 11), else the Info-ZIP Unicode Path extra field (0x7075), else
 *     UTF-8 when the bytes are valid UTF-8 (macOS and many tools write it without the flag),
 *     else CP437 (the spec's default; what old Windows zippers meant). Backslashes (written by
 *     some Windows tools) are shown as `/`;
 *   - methods 0 (stored) and 8 (deflate, through node:zlib's raw inflate). Anything else is
 *     named in the reason an entry is skipped (`unsupportedReason`);
 *   - the local header (`PK\3\4`) only to find where an entry's data starts: its name and
 *     extra field lengths can differ from the central directory's;
 *   - damage: a central directory that breaks part-way keeps the entries before the break; an
 *     archive without a usable EOCD (a truncated download) is read by its local headers from
 *     the start, up to the first entry whose sizes follow its data (`scanLocalHeaders`).
 *
 * Every entry is checked as it streams: its decompressed size must match the central
 * directory's, then its CRC-32. Damage is thrown as a `ZipError` (a message for the problem
 * report), never anything else. Split (multi-disk) archives are refused as a whole.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import * as zlib from 'node:zlib';

export const ZIP_LOCAL_MAGIC = 0x04034b50; // PK\3\4
export const ZIP_EMPTY_MAGIC = 0x06054b50; // PK\5\6: an empty archive is just its EOCD
const CENTRAL_MAGIC = 0x02014b50;
const ZIP64_EOCD_MAGIC = 0x06064b50;
const ZIP64_LOCATOR_MAGIC = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** True when the bytes start a zip archive: a local file header, or an empty archive's EOCD. */
export function isZip(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const sig = (head[0]! | (head[1]! << 8) | (head[2]! << 16) | (head[3]! << 24)) >>> 0;
  return sig === ZIP_LOCAL_MAGIC || sig === ZIP_EMPTY_MAGIC;
}

/**
 * Damage in an archive or an entry: `message` says what, for a problem report. Reported as
 * `unreadable-file` whatever the damage (a CRC mismatch included: unlike an EVTX record's, the
 * whole entry is lost), so that a run that lost a log says so in its exit code.
 */
export class ZipError extends Error {}

export interface ZipEntry {
  /** Decoded name, `/`-separated as stored (a trailing `/` marks a directory). */
  name: string;
  /** General purpose flags: bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8 name. */
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  localOffset: number;
  /** A directory entry: no data, nothing to read. */
  directory: boolean;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /**
   * The archive is damaged: what was wrong and what was lost (a central directory damaged after
   * `entries.length` entries; no central directory, the entries found by scanning local headers).
   */
  damage?: string;
}

/** How much of a central directory is read at most (a 100,000-entry archive needs about 10 MiB). */
export const MAX_CENTRAL_DIRECTORY_BYTES = 256 * 1024 * 1024;

/** A method's name, for the reason an entry is skipped. */
const METHODS: Record<number, string> = {
  1: 'Shrink', 2: 'Reduce', 3: 'Reduce', 4: 'Reduce', 5: 'Reduce', 6: 'Implode', 9: 'Deflate64 (Windows Explorer uses it for big files)',
  10: 'PKWARE DCL Implode', 12: 'bzip2', 14: 'LZMA', 18: 'IBM TERSE', 19: 'IBM LZ77', 20: 'zstd (old id)', 93: 'zstd', 94: 'MP3', 95: 'xz',
  96: 'JPEG', 97: 'WavPack', 98: 'PPMd', 99: 'AES encryption',
};

/** Why an entry cannot be read (encrypted, unsupported method), or null when it can. */
export function unsupportedReason(e: ZipEntry): string | null {
  if (e.flags & 1) return `encrypted entry${e.method === 99 ? ' (AES, method 99)' : (e.flags & 0x40) ? ' (strong encryption)' : ''}: no password support`;
  if (e.method !== 0 && e.method !== 8) return `unsupported compression method ${e.method}${METHODS[e.method] ? ` (${METHODS[e.method]})` : ''}: only stored (0) and deflate (8) are read`;
  return null;
}

// CP437, bytes 0x80–0xFF (0x00–0x7F are ASCII).
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function decodeName(raw: Buffer, flags: number, unicodePath: string | null): string {
  if (flags & 0x800) return raw.toString('utf8');
  if (unicodePath !== null) return unicodePath;
  try {
    return utf8Strict.decode(raw); // ASCII, or UTF-8 written without the flag
  } catch {
    let s = '';
    for (const b of raw) s += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
    return s;
  }
}

const crcTable = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (zip's, the same as gzip's), continued from `crc`: node:zlib's when this Node has it (20.15+). */
export const crc32: (data: Uint8Array, crc?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data, crc = 0) => zlib.crc32(data, crc)
    : (data, crc = 0) => {
        let c = ~crc;
        for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
        return ~c >>> 0;
      };

/** A 64-bit little-endian number as a JS number; beyond 2^53 the archive is taken as corrupt. */
function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`a 64-bit size or offset (${v}) is beyond any real file: corrupt archive`);
  return Number(v);
}

async function readAt(fh: import('node:fs/promises').FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

/**
 * Read an archive's central directory. Throws ZipError when the archive cannot be opened at
 * all (a split archive, a central directory outside the file, no usable EOCD and no entry found
 * by scanning); a central directory damaged part-way returns the entries before the damage,
 * with `damage` set; so does an archive without a usable EOCD (a truncated download), whose
 * entries are then found by scanning local headers from the start (`scanLocalHeaders`).
 */
export async function readZipDirectory(path: string, fileSize: number): Promise<ZipDirectory> {
  const fh = await open(path, 'r');
  try {
    // 1. The EOCD: the last `PK\5\6` whose comment length reaches exactly the end of the file,
    //    else the last one at all (bytes appended after the archive, a comment length some tool
    //    got wrong). Either is trusted only if a central directory is where it says (step 3).
    const tailLen = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
    const tailStart = fileSize - tailLen;
    const tail = await readAt(fh, tailStart, tailLen);
    let eocd = -1;
    for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
      if (tail.readUInt32LE(i) !== ZIP_EMPTY_MAGIC) continue;
      if (i + EOCD_SIZE + tail.readUInt16LE(i + 20) === tail.length) {
        eocd = i;
        break;
      }
      if (eocd < 0) eocd = i;
    }
    if (eocd < 0) return await scanLocalHeaders(fh, fileSize, 'no End of Central Directory record (a truncated archive?)');
    const eocdPos = tailStart + eocd;
    const disk = tail.readUInt16LE(eocd + 4);
    const cdDisk = tail.readUInt16LE(eocd + 6);
    let declared = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    let zip64 = false;
    // 2. ZIP64: the locator sits right before the EOCD and points at the ZIP64 EOCD record.
    if (eocdPos >= 20) {
      const loc = await readAt(fh, eocdPos - 20, 20);
      if (loc.length === 20 && loc.readUInt32LE(0) === ZIP64_LOCATOR_MAGIC) {
        const recPos = u64(loc, 8);
        const rec = recPos + 56 <= eocdPos - 20 ? await readAt(fh, recPos, 56) : Buffer.alloc(0);
        if (rec.length < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD_MAGIC) return await scanLocalHeaders(fh, fileSize, 'the ZIP64 end of central directory record is missing or damaged');
        if (rec.readUInt32LE(16) !== 0 || rec.readUInt32LE(20) !== 0) throw new ZipError('a split (multi-disk) archive: not supported');
        declared = u64(rec, 32);
        cdSize = u64(rec, 40);
        cdOffset = u64(rec, 48);
        zip64 = true;
      }
    }
    if (!zip64 && (disk !== 0 || cdDisk !== 0)) throw new ZipError('a split (multi-disk) archive: not supported');
    // 3. The central directory must be where the EOCD says. When it is not, the `PK\5\6` found
    //    may be a stored inner zip's near the end of a truncated archive, or this archive was
    //    appended to another (whose offsets are then all shifted): either way the archive the
    //    file starts with — the one sniffed — is read by its local headers.
    if (cdSize > 0 && cdOffset + cdSize <= fileSize) {
      const probe = await readAt(fh, cdOffset, 4);
      if (probe.length < 4 || probe.readUInt32LE(0) !== CENTRAL_MAGIC) {
        return await scanLocalHeaders(fh, fileSize, 'the End of Central Directory record points at no central directory (a truncated archive, or archives glued together?)');
      }
    }
    if (cdOffset + cdSize > fileSize) {
      throw new ZipError(`the central directory (${cdSize} bytes at offset ${cdOffset}) lies outside the file (${fileSize} bytes): truncated or corrupt archive`);
    }
    // 4. The central directory, entry by entry.
    const readLen = Math.min(cdSize, MAX_CENTRAL_DIRECTORY_BYTES);
    const cd = await readAt(fh, cdOffset, readLen);
    const entries: ZipEntry[] = [];
    let damage: string | undefined;
    let p = 0;
    while (entries.length < declared) {
      if (p + 46 > cd.length) {
        damage = cd.length < cdSize ? `the central directory is larger than ${MAX_CENTRAL_DIRECTORY_BYTES} bytes: not read past it` : 'the central directory ends before its last entry';
        break;
      }
      if (cd.readUInt32LE(p) !== CENTRAL_MAGIC) {
        damage = `bad central directory entry signature at offset ${cdOffset + p}`;
        break;
      }
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      const compressedSize = cd.readUInt32LE(p + 20);
      const size = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cd.length) {
        damage = 'the central directory ends inside an entry';
        break;
      }
      const rawName = cd.subarray(p + 46, p + 46 + nameLen);
      const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
      let x;
      try {
        x = readExtra(extra, rawName, { size, compressedSize, localOffset });
      } catch (e) {
        if (!(e instanceof ZipError) && !(e instanceof RangeError)) throw e;
        damage = `entry ${entries.length + 1}: ${e instanceof ZipError ? e.message : 'a ZIP64 extra field is too short'}`;
        break;
      }
      const name = decodeName(rawName, flags, x.unicodePath).replace(/\\/g, '/');
      entries.push({
        name,
        flags,
        method,
        crc32: crc,
        compressedSize: x.compressedSize,
        size: x.size,
        localOffset: x.localOffset,
        directory: name.endsWith('/'),
      });
      p = end;
    }
    if (damage !== undefined) damage = `${damage}; ${declared - entries.length} of ${declared} entries not read`;
    return { entries, ...(damage !== undefined ? { damage } : {}) };
  } finally {
    await fh.close();
  }
}

/**
 * An entry's extra fields, (id u16, length u16, data)*: the ZIP64 field (0x0001) replaces the
 * sizes and offset whose 32-bit value is 0xFFFFFFFF (only those are in it, in this order); the
 * Info-ZIP Unicode Path (0x7075) gives the name, when it was made for this very name (its CRC).
 * Throws RangeError (a field too short) or ZipError (a 64-bit value beyond any file).
 */
function readExtra(
  extra: Buffer,
  rawName: Buffer,
  v: { size: number; compressedSize: number; localOffset: number },
): { size: number; compressedSize: number; localOffset: number; unicodePath: string | null } {
  let { size, compressedSize, localOffset } = v;
  let unicodePath: string | null = null;
  for (let x = 0; x + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(x);
    const len = extra.readUInt16LE(x + 2);
    const data = extra.subarray(x + 4, x + 4 + len);
    if (id === 0x0001) {
      let q = 0;
      if (size === 0xffffffff) (size = u64(data, q)), (q += 8);
      if (compressedSize === 0xffffffff) (compressedSize = u64(data, q)), (q += 8);
      if (localOffset === 0xffffffff) (localOffset = u64(data, q)), (q += 8);
    } else if (id === 0x7075 && data.length >= 5 && data[0] === 1 && data.readUInt32LE(1) === crc32(rawName)) {
      unicodePath = data.subarray(5).toString('utf8');
    }
    x += 4 + len;
  }
  return { size, compressedSize, localOffset, unicodePath };
}

/**
 * An archive without its End of Central Directory record — most often a truncated download or
 * copy, the central directory being the last thing written. Its entries are found by reading
 * local headers one after another from the start of the file, each giving its own sizes. The
 * scan stops at the first thing that is not a local header (the central directory, damage, the
 * end of the file) and at an entry whose sizes follow its data (flag bit 3, a data descriptor:
 * where its data ends cannot be known without the central directory). An entry whose data runs
 * past the end of the file is kept: reading it reports the truncation.
 */
async function scanLocalHeaders(fh: import('node:fs/promises').FileHandle, fileSize: number, why: string): Promise<ZipDirectory> {
  const entries: ZipEntry[] = [];
  let stop = '';
  let pos = 0;
  while (pos + 30 <= fileSize) {
    const h = await readAt(fh, pos, 30);
    if (h.length < 30 || h.readUInt32LE(0) !== ZIP_LOCAL_MAGIC) break;
    const flags = h.readUInt16LE(6);
    const nameLen = h.readUInt16LE(26);
    const extraLen = h.readUInt16LE(28);
    const tail = await readAt(fh, pos + 30, nameLen + extraLen);
    if (tail.length < nameLen + extraLen) {
      stop = '; the file ends inside a local header';
      break;
    }
    const rawName = tail.subarray(0, nameLen);
    let x;
    try {
      x = readExtra(tail.subarray(nameLen), rawName, { size: h.readUInt32LE(22), compressedSize: h.readUInt32LE(18), localOffset: pos });
    } catch {
      stop = `; a damaged local header at offset ${pos}`;
      break;
    }
    const name = decodeName(rawName, flags, x.unicodePath).replace(/\\/g, '/');
    if (flags & 8) {
      stop = `; stopped at ${name}: its sizes follow its data (a data descriptor), so where it ends is unknown without the central directory — it and any entries after it are not read`;
      break;
    }
    entries.push({
      name,
      flags,
      method: h.readUInt16LE(8),
      crc32: h.readUInt32LE(14),
      compressedSize: x.compressedSize,
      size: x.size,
      localOffset: pos,
      directory: name.endsWith('/'),
    });
    pos += 30 + nameLen + extraLen + x.compressedSize;
  }
  if (entries.length === 0) throw new ZipError(`${why}, and no entry found by reading local headers from the start${stop}`);
  return {
    entries,
    damage: `${why}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} found by reading local headers from the start${stop}`,
  };
}

/** Bytes decompressed so far against a limit, shared by an archive and the archives inside it. */
export class ZipBudget {
  used = 0;
  constructor(readonly limit: number) {}
  take(n: number): void {
    this.used += n;
    if (this.used > this.limit) throw new ZipBudgetError(`more than ${this.limit} bytes decompressed from one archive (zip bomb limit)`);
  }
}

/** The decompression limit was reached: reading the archive stops. */
export class ZipBudgetError extends ZipError {}

/**
 * An entry's decompressed bytes, streamed. Throws ZipError (while iterating) when its data lies
 * beyond the end of the archive, does not inflate, has the wrong size or the wrong CRC-32 (the
 * size and CRC are known only at the end: a consumer must not trust the bytes until the
 * iteration has ended without error), or when `budget` runs out. Encrypted and unsupported
 * entries must be sorted out first (`unsupportedReason`).
 */
export async function* entryBytes(path: string, fileSize: number, e: ZipEntry, budget: ZipBudget): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  let dataStart: number;
  try {
    const local = await readAt(fh, e.localOffset, 30);
    if (local.length < 30 || local.readUInt32LE(0) !== ZIP_LOCAL_MAGIC) throw new ZipError(`no local file header at offset ${e.localOffset}: corrupt archive`);
    dataStart = e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    await fh.close();
  }
  if (dataStart + e.compressedSize > fileSize) {
    throw new ZipError(`truncated: the entry's ${e.compressedSize} compressed bytes run past the end of the archive (${fileSize} bytes)`);
  }
  if (e.method === 0 && e.compressedSize !== e.size) throw new ZipError(`a stored entry whose sizes differ (${e.compressedSize} stored, ${e.size} declared): corrupt`);
  let size = 0;
  let crc = 0;
  if (e.compressedSize > 0) {
    const raw = createReadStream(path, { start: dataStart, end: dataStart + e.compressedSize - 1, highWaterMark: 1 << 20 });
    const inflate = e.method === 8 ? zlib.createInflateRaw({ chunkSize: 256 * 1024 }) : null;
    const src: AsyncIterable<Buffer> = inflate ? raw.pipe(inflate) : raw;
    if (inflate) raw.on('error', (err) => inflate.destroy(err));
    try {
      for await (const chunk of src) {
        size += chunk.length;
        if (size > e.size) throw new ZipError(`more data than the ${e.size} bytes the central directory declares: corrupt entry`);
        budget.take(chunk.length);
        crc = crc32(chunk, crc);
        yield chunk;
      }
    } catch (err) {
      if (err instanceof ZipError) throw err;
      const z = err as NodeJS.ErrnoException;
      const what = typeof z.code === 'string' && z.code.startsWith('Z_') ? 'corrupt data' : 'cannot read the archive';
      throw new ZipError(`${what} (${z.code ? `${z.code}: ` : ''}${z.message})`);
    } finally {
      raw.destroy();
      inflate?.destroy();
    }
  }
  if (size !== e.size) throw new ZipError(`size mismatch: ${size} bytes decompressed, ${e.size} declared`);
  if (crc !== e.crc32) throw new ZipError(`CRC-32 mismatch: the data's is ${hex(crc)}, the archive says ${hex(e.crc32)}`);
}

const hex = (n: number): string => n.toString(16).padStart(8, '0');
