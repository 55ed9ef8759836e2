/**
 * The conversions a table target may name (`"int:process.pid"`), and the compiler that turns
 * table targets into ready-to-run writers.
 */
import { LOGON_TYPES, SERVICE_TYPES } from './access.js';
import type { FieldTarget } from './tables/types.js';
import {
  executableOf,
  expandWindowsEnv,
  isBlank,
  parseHashes,
  setPath,
  splitUser,
  stripNtPrefix,
  text,
  toBool,
  toInt,
  type Obj,
} from './util.js';

/** Writes `value` (never blank) at or under `path` in `out`. */
type Conversion = (out: Obj, path: string[], value: unknown) => void;

function setText(out: Obj, path: string[], v: unknown): void {
  const s = text(v);
  if (s !== undefined) setPath(out, path, s);
}

function sibling(path: string[], last: string): string[] {
  return [...path.slice(0, -1), last];
}

const REGISTRY_HIVES: Record<string, string> = {
  HKLM: 'HKLM',
  HKEY_LOCAL_MACHINE: 'HKLM',
  MACHINE: 'HKLM',
  HKU: 'HKU',
  HKEY_USERS: 'HKU',
  USER: 'HKU',
  HKCU: 'HKCU',
  HKEY_CURRENT_USER: 'HKCU',
  HKCR: 'HKCR',
  HKEY_CLASSES_ROOT: 'HKCR',
  HKCC: 'HKCC',
  HKEY_CURRENT_CONFIG: 'HKCC',
};

export const CONVERSIONS: Record<string, Conversion> = {
  str: setText,
  int(out, path, v) {
    const n = toInt(v);
    if (n !== undefined) setPath(out, path, n);
  },
  /** Like int, but 0 (Windows' "no process"/"no port") is left out. */
  nonzero(out, path, v) {
    const n = toInt(v);
    if (n !== undefined && n > 0) setPath(out, path, n);
  },
  bool(out, path, v) {
    const b = toBool(v);
    if (b !== undefined) setPath(out, path, b);
  },
  path(out, path, v) {
    const s = text(v);
    if (s !== undefined) setPath(out, path, stripNtPrefix(s));
  },
  ip(out, path, v) {
    const s = text(v)?.trim();
    if (s === undefined || s === '' || s === '-') return;
    setPath(out, path, s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s);
  },
  /** `DOMAIN\name` → `<path>.domain` and `<path>.name`. */
  user(out, path, v) {
    const s = text(v);
    if (s === undefined) return;
    const u = splitUser(s);
    if (u.domain !== undefined) setPath(out, [...path, 'domain'], u.domain);
    setPath(out, [...path, 'name'], u.name);
  },
  /** `SHA1=…,MD5=…` → `<path>.sha1`, `<path>.md5`…; IMPHASH goes to the sibling `pe.imphash`. */
  hashes(out, path, v) {
    const s = text(v);
    const h = s === undefined ? undefined : parseHashes(s);
    if (!h) return;
    for (const k in h) {
      if (k === 'imphash') setPath(out, [...sibling(path, 'pe'), 'imphash'], h[k]);
      else setPath(out, [...path, k], h[k]);
    }
  },
  direction(out, path, v) {
    const b = toBool(v);
    if (b !== undefined) setPath(out, path, b ? 'egress' : 'ingress');
  },
  list(out, path, v) {
    const s = text(v);
    if (s !== undefined) setPath(out, path, [s]);
  },
  hive(out, path, v) {
    const s = text(v);
    if (s === undefined) return;
    const parts = s.replace(/^\\REGISTRY\\/i, '').split('\\', 1);
    const hive = REGISTRY_HIVES[(parts[0] ?? '').toUpperCase()];
    if (hive) setPath(out, path, hive);
  },
  logon(out, path, v) {
    const s = text(v)?.trim();
    if (s === undefined) return;
    setPath(out, path, LOGON_TYPES[s] ?? s);
  },
  servicetype(out, path, v) {
    const s = text(v)?.trim();
    if (s === undefined) return;
    setPath(out, path, SERVICE_TYPES[s.toLowerCase()] ?? s);
  },
  /**
   * A service image path (may carry quotes and arguments): raw at `<path>`, its executable part
   * at file.path, and that part with %SystemRoot%/%windir% expanded at spoor.expanded_path.
   */
  image(out, path, v) {
    const s = text(v);
    if (s === undefined) return;
    setPath(out, path, s);
    const exe = stripNtPrefix(executableOf(s));
    setPath(out, ['file', 'path'], exe);
    setPath(out, ['spoor', 'expanded_path'], expandWindowsEnv(exe));
  },
  /** Sysmon SignatureStatus → `<path>.status`, and `<path>.valid` when it is "Valid". */
  signature(out, path, v) {
    const s = text(v);
    if (s === undefined) return;
    setPath(out, [...path, 'status'], s);
    if (s === 'Valid') setPath(out, [...path, 'valid'], true);
  },
};

export interface CompiledTarget {
  conv: Conversion;
  path: string[];
}

/** `"int:process.pid"` → writer; throws on an unknown conversion (a table bug, caught by tests). */
export function compileTarget(t: string): CompiledTarget {
  const colon = t.indexOf(':');
  const name = colon >= 0 ? t.slice(0, colon) : 'str';
  const conv = CONVERSIONS[name];
  if (!conv) throw new Error(`normalize table: unknown conversion "${name}" in "${t}"`);
  return { conv, path: (colon >= 0 ? t.slice(colon + 1) : t).split('.') };
}

export function compileTargets(t: FieldTarget | string[]): CompiledTarget[] {
  if (t === null) return [];
  return (Array.isArray(t) ? t : [t]).map(compileTarget);
}

/** Apply compiled targets to one value (blank values are skipped). */
export function applyTargets(out: Obj, targets: readonly CompiledTarget[], value: unknown): void {
  if (isBlank(value)) return;
  for (const t of targets) t.conv(out, t.path, value);
}
