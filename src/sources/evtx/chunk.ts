/**
 * One 64 KiB chunk: header checks, then its event records, each rendered to evtx_dump JSON.
 *
 * Damage policy: a chunk without the `ElfChnk` magic or with an unusable header is skipped
 * (`corrupt-chunk`). CRC mismatches are reported (`crc-mismatch`, skipped: false) and the data
 * is parsed anyway. A record that cannot be parsed is reported (`corrupt-record`) and the walk
 * resumes at the next record signature, so one bad record costs only itself.
 */
import { crc32 } from 'node:zlib';
import type { ProblemSink, SourceEvent } from '../types.js';
import { BinXmlError, newChunkContext, parseRecordDocument } from './binxml.js';
import { renderRecord } from './render.js';

export const CHUNK_SIZE = 65536;
export const CHUNK_HEADER_SIZE = 512;
const RECORD_MAGIC = 0x00002a2a;
const RECORD_MAGIC_BYTES = Buffer.from([0x2a, 0x2a, 0x00, 0x00]);
const CHUNK_MAGIC = Buffer.from('ElfChnk\0', 'latin1');
const FLAG_NO_CRC = 0x4;

const ZEROS = Buffer.alloc(CHUNK_SIZE);

export function isAllZero(buf: Buffer): boolean {
  for (let off = 0; off < buf.length; off += CHUNK_SIZE) {
    const part = buf.subarray(off, Math.min(off + CHUNK_SIZE, buf.length));
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

function isEmptyObject(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

function recordId(buf: Buffer, p: number): number {
  const hi = buf.readUInt32LE(p + 4);
  return hi * 4294967296 + buf.readUInt32LE(p);
}

/**
 * Parse one chunk (`chunk` starts at the chunk header; it may be shorter than 64 KiB when the
 * file is truncated). Records are returned in file order with position = EventRecordID.
 */
export function parseChunk(chunk: Buffer, file: string, chunkIndex: number, onProblem: ProblemSink): SourceEvent[] {
  const events: SourceEvent[] = [];
  const where = `chunk ${chunkIndex}`;
  const problem = (kind: 'corrupt-chunk' | 'corrupt-record' | 'crc-mismatch', message: string, skipped: boolean, at = where): void => {
    onProblem({ kind, file, where: at, message, skipped });
  };
  if (chunk.length > CHUNK_SIZE) chunk = chunk.subarray(0, CHUNK_SIZE);
  if (chunk.length < CHUNK_HEADER_SIZE) {
    if (!isAllZero(chunk)) problem('corrupt-chunk', `truncated chunk: ${chunk.length} bytes, header needs ${CHUNK_HEADER_SIZE}`, true);
    return events;
  }
  if (!chunk.subarray(0, 8).equals(CHUNK_MAGIC)) {
    if (!isAllZero(chunk)) problem('corrupt-chunk', `bad chunk signature ${JSON.stringify(chunk.toString('latin1', 0, 8))}`, true);
    return events;
  }
  const flags = chunk.readUInt32LE(120);
  const checkCrc = (flags & FLAG_NO_CRC) === 0;
  if (checkCrc) {
    const headerCrc = crc32(chunk.subarray(128, CHUNK_HEADER_SIZE), crc32(chunk.subarray(0, 120)));
    if (headerCrc !== chunk.readUInt32LE(124)) problem('crc-mismatch', 'chunk header CRC32 does not match; parsing it anyway', false);
  }
  let free = chunk.readUInt32LE(48);
  if (free < CHUNK_HEADER_SIZE || free > CHUNK_SIZE) {
    problem('corrupt-chunk', `free space offset ${free} out of range; reading records up to the chunk end`, false);
    free = chunk.length;
  } else if (free > chunk.length) {
    problem('corrupt-chunk', `chunk truncated at ${chunk.length} bytes (records run to ${free}); records past the end are lost`, true);
    free = chunk.length;
  } else if (checkCrc) {
    const dataCrc = crc32(chunk.subarray(CHUNK_HEADER_SIZE, free));
    if (dataCrc !== chunk.readUInt32LE(52)) problem('crc-mismatch', 'event records CRC32 does not match; parsing them anyway', false);
  }

  const ctx = newChunkContext(chunk);
  let off = CHUNK_HEADER_SIZE;
  while (off + 24 <= free) {
    const magic = chunk.readUInt32LE(off);
    if (magic !== RECORD_MAGIC) {
      if (magic === 0 && isAllZero(chunk.subarray(off, free))) break;
      const next = chunk.indexOf(RECORD_MAGIC_BYTES, off + 1);
      problem('corrupt-record', `no record signature at chunk offset ${off}${next < 0 || next >= free ? '; rest of chunk skipped' : `; resuming at ${next}`}`, true);
      if (next < 0 || next >= free) break;
      off = next;
      continue;
    }
    const size = chunk.readUInt32LE(off + 4);
    const id = recordId(chunk, off + 8);
    const at = `${where}, record ${id}`;
    if (size < 28 || off + size > chunk.length || chunk.readUInt32LE(off + size - 4) !== size) {
      const why = size < 28 ? `record size ${size} too small` : off + size > chunk.length ? `record size ${size} runs past the chunk` : 'record size and its trailing copy differ';
      const next = chunk.indexOf(RECORD_MAGIC_BYTES, off + 4);
      problem('corrupt-record', `${why} (chunk offset ${off})`, true, at);
      if (next < 0 || next >= free) break;
      off = next;
      continue;
    }
    try {
      const roots = parseRecordDocument(ctx, off + 24, off + size - 4);
      const event = renderRecord(roots);
      if (isEmptyObject(event)) problem('corrupt-record', 'record holds no element', true, at);
      else events.push({ event, file, position: id });
    } catch (e) {
      // BinXmlError for damage we detect; anything else (a RangeError from a stray read) is damage too.
      const msg = e instanceof BinXmlError ? e.message : `unreadable BinXML: ${e instanceof Error ? e.message : String(e)}`;
      problem('corrupt-record', msg, true, at);
    }
    off += size;
  }
  return events;
}
