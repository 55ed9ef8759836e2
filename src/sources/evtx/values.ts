/**
 * BinXML value types (MS-EVEN6 §2.2.13 / libyal "value types") decoded to JS values.
 *
 * Integers and bools stay numbers/booleans (64-bit ones become bigint when beyond 2^53, so they
 * are exact); every other type is rendered as the text evtx_dump prints: GUIDs uppercase without
 * braces, hex ints `0x…` lowercase without padding, times ISO-8601 UTC, SIDs `S-1-…`, binary as
 * uppercase hex. Reals are text too, as in evtx_dump's JSON.
 */
import { TextDecoder } from 'node:util';
import type { Scalar } from './nodes.js';

export const T_NULL = 0x00;
export const T_STRING = 0x01;
export const T_ANSI = 0x02;
export const T_INT8 = 0x03;
export const T_UINT8 = 0x04;
export const T_INT16 = 0x05;
export const T_UINT16 = 0x06;
export const T_INT32 = 0x07;
export const T_UINT32 = 0x08;
export const T_INT64 = 0x09;
export const T_UINT64 = 0x0a;
export const T_REAL32 = 0x0b;
export const T_REAL64 = 0x0c;
export const T_BOOL = 0x0d;
export const T_BINARY = 0x0e;
export const T_GUID = 0x0f;
export const T_SIZET = 0x10;
export const T_FILETIME = 0x11;
export const T_SYSTEMTIME = 0x12;
export const T_SID = 0x13;
export const T_HEX32 = 0x14;
export const T_HEX64 = 0x15;
export const T_BINXML = 0x21;
export const T_ARRAY = 0x80;

const HEX_UPPER: string[] = [];
for (let i = 0; i < 256; i++) HEX_UPPER.push(i.toString(16).toUpperCase().padStart(2, '0'));

const TWO32 = 4294967296;
/** Seconds between 1601-01-01 and 1970-01-01. */
const EPOCH_DIFF_S = 11644473600;

let ansiDecoder: TextDecoder | undefined;

/** UTF-16LE text of [start, end) without trailing NULs. */
export function utf16(buf: Buffer, start: number, end: number): string {
  if ((end - start) & 1) end--;
  while (end > start && buf[end - 1] === 0 && buf[end - 2] === 0) end -= 2;
  return end > start ? buf.toString('utf16le', start, end) : '';
}

function ansi(buf: Buffer, start: number, end: number): string {
  while (end > start && buf[end - 1] === 0) end--;
  if (end <= start) return '';
  ansiDecoder ??= new TextDecoder('windows-1252');
  return ansiDecoder.decode(buf.subarray(start, end));
}

export function hexUpper(buf: Buffer, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX_UPPER[buf[i]!];
  return s;
}

export function guid(buf: Buffer, p: number): string {
  const h = HEX_UPPER;
  return (
    h[buf[p + 3]!]! + h[buf[p + 2]!] + h[buf[p + 1]!] + h[buf[p]!] + '-' +
    h[buf[p + 5]!] + h[buf[p + 4]!] + '-' + h[buf[p + 7]!] + h[buf[p + 6]!] + '-' +
    h[buf[p + 8]!] + h[buf[p + 9]!] + '-' +
    h[buf[p + 10]!] + h[buf[p + 11]!] + h[buf[p + 12]!] + h[buf[p + 13]!] + h[buf[p + 14]!] + h[buf[p + 15]!]
  );
}

function int64(buf: Buffer, p: number): number | bigint {
  const hi = buf.readInt32LE(p + 4);
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO32 + buf.readUInt32LE(p);
  return buf.readBigInt64LE(p);
}

function uint64(buf: Buffer, p: number): number | bigint {
  const hi = buf.readUInt32LE(p + 4);
  if (hi < 0x200000) return hi * TWO32 + buf.readUInt32LE(p);
  return buf.readBigUInt64LE(p);
}

let lastHexHi = -1;
let lastHexLo = -1;
let lastHex = '';

/** Keywords repeat record after record, so the last rendering is kept. */
function hex64(buf: Buffer, p: number): string {
  const lo = buf.readUInt32LE(p);
  const hi = buf.readUInt32LE(p + 4);
  if (hi === lastHexHi && lo === lastHexLo) return lastHex;
  lastHexHi = hi;
  lastHexLo = lo;
  lastHex = hi === 0 ? '0x' + lo.toString(16) : '0x' + hi.toString(16) + lo.toString(16).padStart(8, '0');
  return lastHex;
}

let lastSecond = NaN;
let lastSecondText = '';

/** FILETIME → `YYYY-MM-DDTHH:MM:SS.fffffffZ` (all 7 digits of the 100 ns tick, exact without BigInt). */
export function filetime(buf: Buffer, p: number): string {
  const lo = buf.readUInt32LE(p);
  const hi = buf.readUInt32LE(p + 4);
  // ticks = hi·2^32 + lo, and 2^32 = 429·10^7 + 4967296: split so every product stays below 2^53.
  const rest = hi * 4967296 + lo;
  const seconds = hi * 429 + Math.floor(rest / 1e7);
  const frac = rest % 1e7;
  const unix = seconds - EPOCH_DIFF_S;
  if (unix !== lastSecond) {
    const d = new Date(unix * 1000);
    if (Number.isNaN(d.getTime())) return `FILETIME(${hex64(buf, p)})`;
    lastSecondText = d.toISOString().slice(0, -5);
    lastSecond = unix;
  }
  return lastSecondText + '.' + String(frac).padStart(7, '0') + 'Z';
}

const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

/** SYSTEMTIME (8 × u16: year, month, weekday, day, hour, minute, second, ms) → ISO-8601 with ms. */
export function systemtime(buf: Buffer, p: number): string {
  const y = buf.readUInt16LE(p);
  return (
    String(y).padStart(4, '0') + '-' + pad2(buf.readUInt16LE(p + 2)) + '-' + pad2(buf.readUInt16LE(p + 6)) +
    'T' + pad2(buf.readUInt16LE(p + 8)) + ':' + pad2(buf.readUInt16LE(p + 10)) + ':' +
    pad2(buf.readUInt16LE(p + 12)) + '.' + String(buf.readUInt16LE(p + 14)).padStart(3, '0') + 'Z'
  );
}

/** SID at p; returns its text and byte length, or null when it does not fit in `end`. */
function sid(buf: Buffer, p: number, end: number): [string, number] | null {
  if (p + 8 > end) return null;
  const count = buf[p + 1]!;
  const len = 8 + 4 * count;
  if (p + len > end) return null;
  let s = 'S-' + buf[p] + '-' + buf.readUIntBE(p + 2, 6);
  for (let i = 0; i < count; i++) s += '-' + buf.readUInt32LE(p + 8 + 4 * i);
  return [s, len];
}

/** Fixed width of a scalar type, 0 when variable, -1 when unknown. */
function widthOf(type: number, size: number): number {
  switch (type) {
    case T_INT8: case T_UINT8: return 1;
    case T_INT16: case T_UINT16: return 2;
    case T_INT32: case T_UINT32: case T_REAL32: case T_BOOL: case T_HEX32: return 4;
    case T_INT64: case T_UINT64: case T_REAL64: case T_FILETIME: case T_HEX64: return 8;
    case T_GUID: case T_SYSTEMTIME: return 16;
    case T_SIZET: return size % 8 === 0 ? 8 : 4;
    default: return -1;
  }
}

/** Decode one fixed-width scalar of `type` at p (the caller checked that `width` bytes fit). */
function fixed(buf: Buffer, p: number, type: number, width: number): Scalar {
  switch (type) {
    case T_INT8: return buf.readInt8(p);
    case T_UINT8: return buf[p]!;
    case T_INT16: return buf.readInt16LE(p);
    case T_UINT16: return buf.readUInt16LE(p);
    case T_INT32: return buf.readInt32LE(p);
    case T_UINT32: return buf.readUInt32LE(p);
    case T_INT64: return int64(buf, p);
    case T_UINT64: return uint64(buf, p);
    case T_REAL32: return String(buf.readFloatLE(p));
    case T_REAL64: return String(buf.readDoubleLE(p));
    case T_BOOL: return width === 1 ? buf[p] !== 0 : width === 2 ? buf.readUInt16LE(p) !== 0 : buf.readInt32LE(p) !== 0;
    case T_GUID: return guid(buf, p);
    case T_FILETIME: return filetime(buf, p);
    case T_SYSTEMTIME: return systemtime(buf, p);
    case T_HEX32: return '0x' + buf.readUInt32LE(p).toString(16);
    case T_HEX64: return hex64(buf, p);
    case T_SIZET: return width === 4 ? '0x' + buf.readUInt32LE(p).toString(16) : hex64(buf, p);
    default: return hexUpper(buf, p, p + width);
  }
}

/**
 * Decode a scalar value of `size` bytes at p. Sizes that do not fit the type (a 2-byte bool,
 * a truncated int) are honoured: bools take the width given, anything else that is too short
 * is kept as uppercase hex rather than dropped. Zero bytes is null for every type.
 */
export function decodeScalar(buf: Buffer, p: number, size: number, type: number): Scalar {
  if (size === 0 || type === T_NULL) return null;
  const end = p + size;
  switch (type) {
    case T_STRING: return utf16(buf, p, end);
    case T_ANSI: return ansi(buf, p, end);
    case T_BINARY: return hexUpper(buf, p, end);
    case T_SID: {
      const r = sid(buf, p, end);
      return r ? r[0] : hexUpper(buf, p, end);
    }
    case T_BOOL:
      if (size === 1 || size === 2 || size === 4) return fixed(buf, p, type, size);
      return size >= 4 ? buf.readInt32LE(p) !== 0 : hexUpper(buf, p, end);
    case T_SIZET:
      if (size === 4 || size === 8) return fixed(buf, p, type, size);
      return hexUpper(buf, p, end);
  }
  const w = widthOf(type, size);
  if (w <= 0 || size < w) return hexUpper(buf, p, end);
  return fixed(buf, p, type, w);
}

/** Decode an array value (type | 0x80) into its items. */
export function decodeArray(buf: Buffer, p: number, size: number, type: number): Scalar[] {
  const base = type & 0x7f;
  const end = p + size;
  const out: Scalar[] = [];
  if (base === T_STRING) {
    // Items end with NUL; only the last terminator is dropped, so empty items survive.
    if (size < 2) return out;
    let text = buf.toString('utf16le', p, end - (size & 1));
    if (text.endsWith('\u0000')) text = text.slice(0, -1);
    return text.split('\u0000');
  }
  if (base === T_ANSI) {
    if (size === 0) return out;
    return ansi(buf, p, end).split('\u0000');
  }
  if (base === T_SID) {
    let q = p;
    while (q < end) {
      const r = sid(buf, q, end);
      if (!r) {
        out.push(hexUpper(buf, q, end));
        break;
      }
      out.push(r[0]);
      q += r[1];
    }
    return out;
  }
  const w = widthOf(base, size);
  if (w <= 0) {
    if (size > 0) out.push(hexUpper(buf, p, end));
    return out;
  }
  let q = p;
  for (; q + w <= end; q += w) out.push(fixed(buf, q, base, w));
  if (q < end) out.push(hexUpper(buf, q, end));
  return out;
}
