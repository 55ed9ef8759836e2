/**
 * A tiny zip writer for the tests (no binary fixtures, no `zip` command): stored and deflate
 * entries, data descriptors, ZIP64 records and extra fields, and ways to break an archive
 * (wrong CRC, a foreign method, the encrypted flag, raw names in CP437).
 */
import * as zlib from 'node:zlib';
import { crc32 as ourCrc32 } from '../../src/sources/zip.js';

const { deflateRawSync } = zlib;
/** node:zlib's CRC-32 when this Node has it (an independent check of ours), else ours. */
const crc32 = (b: Buffer): number =>
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? zlib.crc32(b) : ourCrc32(b);

export interface ZipEntrySpec {
  name: string;
  /** Entry content; a name ending in `/` with no data is a directory entry. */
  data?: Buffer | string;
  /** 0 stored, 8 deflate (default); any other number is written as is with `raw` (or the data) as its bytes. */
  method?: number;
  /** The compressed bytes to write instead of compressing `data` (a foreign method, damage). */
  raw?: Buffer;
  /** Extra general purpose flags (1: encrypted). Bit 11 (UTF-8) is set unless `nameBytes` is given. */
  flags?: number;
  /** Write sizes and CRC in a data descriptor after the data (flag bit 3), zeros in the local header. */
  dataDescriptor?: boolean;
  /** The CRC-32 to declare instead of the data's. */
  crc?: number;
  /** The uncompressed size to declare instead of the data's. */
  size?: number;
  /** The compressed size to declare in the central directory instead of the real one. */
  compressedSize?: number;
  /** Raw name bytes (no UTF-8 flag): e.g. CP437. */
  nameBytes?: Buffer;
}

export interface ZipSpec {
  /** ZIP64 end records and ZIP64 extra fields (sizes and offsets 0xFFFFFFFF in the headers). */
  zip64?: boolean;
  comment?: string;
  /** Bytes before the archive (a self-extractor stub): offsets stay relative to the archive. */
  prefix?: Buffer;
}

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

export function makeZip(entries: ZipEntrySpec[], spec: ZipSpec = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    offset += b.length;
  };
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const method = e.method ?? 8;
    const compressed = e.raw ?? (method === 8 ? deflateRawSync(data) : data);
    const crc = e.crc ?? crc32(data);
    const size = e.size ?? data.length;
    const name = e.nameBytes ?? Buffer.from(e.name, 'utf8');
    const flags = (e.flags ?? 0) | (e.nameBytes ? 0 : 0x800) | (e.dataDescriptor ? 8 : 0);
    const z = spec.zip64 === true;
    const localOffset = offset;
    // Local header: its extra field differs from the central one (a padding field), as real zippers' do.
    const localExtra = Buffer.concat([
      z ? Buffer.concat([u16(1), u16(16), u64(e.dataDescriptor ? 0 : size), u64(e.dataDescriptor ? 0 : compressed.length)]) : Buffer.alloc(0),
      u16(0xcafe), u16(3), Buffer.from('pad'),
    ]);
    push(Buffer.concat([
      u32(0x04034b50), u16(z ? 45 : 20), u16(flags), u16(method), u16(0), u16(0x21),
      u32(e.dataDescriptor ? 0 : crc),
      u32(z ? 0xffffffff : e.dataDescriptor ? 0 : compressed.length),
      u32(z ? 0xffffffff : e.dataDescriptor ? 0 : size),
      u16(name.length), u16(localExtra.length), name, localExtra,
    ]));
    push(compressed);
    if (e.dataDescriptor) push(Buffer.concat([u32(0x08074b50), u32(crc), z ? u64(compressed.length) : u32(compressed.length), z ? u64(size) : u32(size)]));
    const declaredCompressed = e.compressedSize ?? compressed.length;
    const centralExtra = z ? Buffer.concat([u16(1), u16(24), u64(size), u64(declaredCompressed), u64(localOffset)]) : Buffer.alloc(0);
    central.push(Buffer.concat([
      u32(0x02014b50), u16(z ? 45 : 20), u16(z ? 45 : 20), u16(flags), u16(method), u16(0), u16(0x21), u32(crc),
      u32(z ? 0xffffffff : declaredCompressed), u32(z ? 0xffffffff : size),
      u16(name.length), u16(centralExtra.length), u16(0), u16(0), u16(0), u32(0),
      u32(z ? 0xffffffff : localOffset), name, centralExtra,
    ]));
  }
  const cd = Buffer.concat(central);
  const cdOffset = offset;
  push(cd);
  const comment = Buffer.from(spec.comment ?? '');
  if (spec.zip64) {
    const recOffset = offset;
    push(Buffer.concat([
      u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(entries.length), u64(entries.length), u64(cd.length), u64(cdOffset),
    ]));
    push(Buffer.concat([u32(0x07064b50), u32(0), u64(recOffset), u32(1)]));
    push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff), u16(comment.length), comment]));
  } else {
    push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cd.length), u32(cdOffset), u16(comment.length), comment]));
  }
  return Buffer.concat([spec.prefix ?? Buffer.alloc(0), ...parts]);
}
