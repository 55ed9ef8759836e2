/** Small helpers shared by the normalizers: nested writes, value conversions, Windows paths. */
import { getField, NO_DOTTED_KEYS, type Event } from '../events/field.js';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Set `path` (pre-split) in `target`, creating intermediate objects. Never overwrites a non-object. */
export function setPath(target: Obj, path: readonly string[], value: unknown): void {
  let cur = target;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const k = path[i]!;
    let next = cur[k];
    if (next === undefined) cur[k] = next = {};
    else if (next === null || typeof next !== 'object') return; // a scalar is in the way: keep it
    cur = next as Obj;
  }
  cur[path[last]!] = value;
}

/** Read a pre-split nested path (no dotted-key fallback: used on objects we built). */
export function getPath(src: unknown, path: readonly string[]): unknown {
  let cur = src;
  for (const k of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export type Reader = (path: readonly string[]) => unknown;

/**
 * A field reader for one event: plain nested walks when no top-level key is dotted (the common
 * case: cheap even for missing fields), else the shared getField that resolves dotted/mixed keys.
 */
export function readerFor(ev: Obj): Reader {
  if (hasDottedTopKey(ev)) return (path) => getField(ev, path);
  return (path) => getPath(ev, path);
}

/** Whether some top-level key of `ev` holds a dot (readerFor then resolves dotted keys). */
export function hasDottedTopKey(ev: Obj): boolean {
  // Marked by the reader from the line's text (events/field.ts markParsedJson): no key has a dot.
  if ((ev as { [NO_DOTTED_KEYS]?: boolean })[NO_DOTTED_KEYS] === true) return false;
  for (const k in ev) if (k.includes('.')) return true;
  return false;
}

/** Copy into `target` every leaf of `extra` that `target` lacks (deep, never overwriting). */
export function mergeMissing(target: Obj, extra: Obj): void {
  for (const k in extra) {
    const v = extra[k];
    const have = target[k];
    if (have === undefined || have === null) target[k] = v;
    else if (isObj(have) && isObj(v)) mergeMissing(have, v);
  }
}

/** Text of a value as logged: strings as-is, numbers/bigints as decimal, `#text` of XML-ish nodes. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isObj(v) && '#text' in v) return text(v['#text']);
  return undefined;
}

/** Values Windows uses for "nothing here". */
export function isBlank(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === '-';
}

/** Integer from a number, decimal text or `0x` hex text (Security log pids are hex). */
export function toInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  const s = text(v);
  if (s === undefined) return undefined;
  const t = s.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  return undefined;
}

export function toBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = text(v)?.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return undefined;
}

/** The last component of a Windows path (the whole text when it has no separator: `System`). */
export function baseName(path: string): string {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return cut >= 0 ? path.slice(cut + 1) : path;
}

/** `C:\Windows\PSEXESVC.exe` → name, directory, lower-case extension (without the dot). */
export function splitWindowsPath(path: string): { name: string; directory?: string; extension?: string } {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  const name = cut >= 0 ? path.slice(cut + 1) : path;
  const dot = name.lastIndexOf('.');
  const out: { name: string; directory?: string; extension?: string } = { name };
  if (cut >= 0) out.directory = path.slice(0, cut);
  if (dot > 0 && dot < name.length - 1) out.extension = name.slice(dot + 1).toLowerCase();
  return out;
}

/** Strip NT object-manager prefixes: `\??\C:\x` → `C:\x`, `\\?\C:\x` → `C:\x`. */
export function stripNtPrefix(path: string): string {
  if (path.startsWith('\\??\\') || path.startsWith('\\\\?\\')) return path.slice(4);
  return path;
}

/** Join two Windows path parts with exactly one backslash. */
export function joinWindowsPath(dir: string, rel: string): string {
  if (dir === '') return rel;
  if (rel === '') return dir;
  // Trailing separators cut by a loop: an end-anchored regex retries at every position of a run
  // of separators inside the text (quadratic on a crafted path).
  let end = dir.length;
  while (end > 0 && (dir.charCodeAt(end - 1) === 92 || dir.charCodeAt(end - 1) === 47)) end--;
  const d = dir.slice(0, end);
  const r = rel.replace(/^[\\/]+/, '');
  if (r === '') return /^[a-z]:$/i.test(d) ? `${d}\\` : d;
  return `${d}\\${r}`;
}

/** Expand the environment variables services use: %SystemRoot%/%windir% → C:\Windows (case-insensitive). */
export function expandWindowsEnv(path: string): string {
  return path
    .replace(/%(systemroot|windir)%/gi, 'C:\\Windows')
    .replace(/%systemdrive%/gi, 'C:')
    .replace(/%programfiles%/gi, 'C:\\Program Files')
    .replace(/%programdata%/gi, 'C:\\ProgramData')
    .replace(/^\\SystemRoot\\/i, 'C:\\Windows\\')
    .replace(/^system32\\/i, 'C:\\Windows\\System32\\');
}

/**
 * The executable part of a command/service image path: the quoted prefix when quoted,
 * else up to the first `.exe` followed by a space or the end, else the whole text.
 */
export function executableOf(commandLine: string): string {
  const s = commandLine.trim();
  if (s.startsWith('"')) {
    const end = s.indexOf('"', 1);
    return end > 0 ? s.slice(1, end) : s.slice(1);
  }
  const m = /\.exe(?=\s|$)/i.exec(s);
  return m ? s.slice(0, m.index + 4) : s;
}

/**
 * Split a command line into arguments the way CommandLineToArgvW does (backslashes before a
 * quote escape it in pairs; `""` inside quotes is a literal quote).
 */
export function splitCommandLine(cmd: string): string[] {
  if (!cmd.includes('"')) return cmd.split(/[ \t]+/).filter((a) => a !== '');
  const args: string[] = [];
  let i = 0;
  const n = cmd.length;
  while (i < n) {
    while (i < n && (cmd[i] === ' ' || cmd[i] === '\t')) i++;
    if (i >= n) break;
    let arg = '';
    let inQuote = false;
    let slashes = 0;
    for (; i < n; i++) {
      const c = cmd[i]!;
      if (c === '\\') {
        slashes++;
        continue;
      }
      if (c === '"') {
        arg += '\\'.repeat(slashes >> 1);
        if (slashes % 2 === 1) arg += '"';
        else if (inQuote && cmd[i + 1] === '"') {
          arg += '"';
          i++;
        } else inQuote = !inQuote;
        slashes = 0;
        continue;
      }
      arg += '\\'.repeat(slashes);
      slashes = 0;
      if (!inQuote && (c === ' ' || c === '\t')) break;
      arg += c;
    }
    arg += '\\'.repeat(slashes);
    args.push(arg);
  }
  return args;
}

/** Calls `each(key, value)` for `SHA1=AB..,MD5=CD..` pairs, lower-cased; all-zero hashes are skipped. */
export function forEachHash(v: string, each: (key: string, value: string) => void): void {
  const s = v.toLowerCase();
  let start = 0;
  while (start < s.length) {
    let end = s.indexOf(',', start);
    if (end < 0) end = s.length;
    const eq = s.indexOf('=', start);
    if (eq > start && eq < end) {
      const value = s.slice(eq + 1, end).trim();
      if (!isAllZeros(value)) each(s.slice(start, eq).trim(), value);
    }
    start = end + 1;
  }
}

/** `SHA1=AB..,MD5=CD..` → `{ sha1: 'ab..', md5: 'cd..' }` (lower-case, all-zero hashes dropped). */
export function parseHashes(v: string): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  forEachHash(v, (k, val) => ((out ??= {})[k] = val));
  return out;
}

function isAllZeros(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}

/** `DOMAIN\name` → parts; a bare name has no domain. */
export function splitUser(v: string): { domain?: string; name: string } {
  const cut = v.indexOf('\\');
  return cut >= 0 ? { domain: v.slice(0, cut), name: v.slice(cut + 1) } : { name: v };
}

export type { Event };
