/**
 * The conversions a table target may name (`"int:process.pid"`), and the compiler that turns
 * table targets into ready-to-run writers.
 */
import { LOGON_TYPES, SERVICE_TYPES } from './access.js';
import type { FieldTarget } from './tables/types.js';
import {
  executableOf,
  expandWindowsEnv,
  getPath,
  isBlank,
  forEachHash,
  setPath,
  splitUser,
  stripNtPrefix,
  text,
  toBool,
  toInt,
  type Obj,
} from './util.js';

/** Writes `value` (never blank) at or under the target path in `out`. */
type Writer = (out: Obj, value: unknown) => void;
/** Made once per table target, so that sub-paths are computed at compile time, not per event. */
type Conversion = (path: string[]) => Writer;

const setText: Conversion = (path) => (out, v) => {
  const s = text(v);
  if (s !== undefined) setPath(out, path, s);
};

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

const FILE_PATH = ['file', 'path'];
const EXPANDED_PATH = ['spoor', 'expanded_path'];

export const CONVERSIONS: Record<string, Conversion> = {
  str: setText,
  int: (path) => (out, v) => {
    const n = toInt(v);
    if (n !== undefined) setPath(out, path, n);
  },
  /** Like int, but 0 (Windows' "no process"/"no port") is left out. */
  nonzero: (path) => (out, v) => {
    const n = toInt(v);
    if (n !== undefined && n > 0) setPath(out, path, n);
  },
  bool: (path) => (out, v) => {
    const b = toBool(v);
    if (b !== undefined) setPath(out, path, b);
  },
  path: (path) => (out, v) => {
    const s = text(v);
    if (s !== undefined) setPath(out, path, stripNtPrefix(s));
  },
  ip: (path) => (out, v) => {
    const s = text(v)?.trim();
    if (s === undefined || s === '' || s === '-') return;
    setPath(out, path, s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s);
  },
  /** `DOMAIN\name` → `<path>.domain` and `<path>.name`. */
  user: (path) => {
    const domain = [...path, 'domain'];
    const name = [...path, 'name'];
    return (out, v) => {
      const s = text(v);
      if (s === undefined) return;
      const u = splitUser(s);
      if (u.domain !== undefined) setPath(out, domain, u.domain);
      setPath(out, name, u.name);
    };
  },
  /** `SHA1=…,MD5=…` → `<path>.sha1`, `<path>.md5`…; IMPHASH goes to the sibling `pe.imphash`. */
  hashes: (path) => {
    const imphash = [...sibling(path, 'pe'), 'imphash'];
    return (out, v) => {
      const s = text(v);
      if (s === undefined) return;
      let target: Obj | undefined;
      forEachHash(s, (key, value) => {
        if (key === 'imphash') {
          setPath(out, imphash, value);
          return;
        }
        if (target === undefined) {
          const have = getPath(out, path);
          if (have === undefined) setPath(out, path, (target = {}));
          else if (have !== null && typeof have === 'object') target = have as Obj;
          else return;
        }
        target[key] = value;
      });
    };
  },
  direction: (path) => (out, v) => {
    const b = toBool(v);
    if (b !== undefined) setPath(out, path, b ? 'egress' : 'ingress');
  },
  list: (path) => (out, v) => {
    const s = text(v);
    if (s !== undefined) setPath(out, path, [s]);
  },
  hive: (path) => (out, v) => {
    const s = text(v);
    if (s === undefined) return;
    const parts = s.replace(/^\\REGISTRY\\/i, '').split('\\', 1);
    const hive = REGISTRY_HIVES[(parts[0] ?? '').toUpperCase()];
    if (hive) setPath(out, path, hive);
  },
  logon: (path) => (out, v) => {
    const s = text(v)?.trim();
    if (s === undefined) return;
    setPath(out, path, LOGON_TYPES[s] ?? s);
  },
  servicetype: (path) => (out, v) => {
    const s = text(v)?.trim();
    if (s === undefined) return;
    setPath(out, path, SERVICE_TYPES[s.toLowerCase()] ?? s);
  },
  /**
   * A service image path (may carry quotes and arguments): raw at `<path>`, its executable part
   * at file.path, and that part with %SystemRoot%/%windir% expanded at spoor.expanded_path.
   */
  image: (path) => (out, v) => {
    const s = text(v);
    if (s === undefined) return;
    setPath(out, path, s);
    const exe = stripNtPrefix(executableOf(s));
    setPath(out, FILE_PATH, exe);
    setPath(out, EXPANDED_PATH, expandWindowsEnv(exe));
  },
  /**
   * Sysmon SignatureStatus → `<path>.status`; "Valid" also sets `<path>.valid` (as Elastic's
   * pipeline does) and `<path>.trusted` (Elastic Defend's field, which its rules test).
   */
  signature: (path) => {
    const status = [...path, 'status'];
    const valid = [...path, 'valid'];
    const trusted = [...path, 'trusted'];
    return (out, v) => {
      const s = text(v);
      if (s === undefined) return;
      setPath(out, status, s);
      if (s === 'Valid') {
        setPath(out, valid, true);
        setPath(out, trusted, true);
      }
    };
  },
};

export interface CompiledTarget {
  write: Writer;
  path: string[];
}

/** `"int:process.pid"` → writer; throws on an unknown conversion (a table bug, caught by tests). */
export function compileTarget(t: string): CompiledTarget {
  const colon = t.indexOf(':');
  const name = colon >= 0 ? t.slice(0, colon) : 'str';
  const conv = CONVERSIONS[name];
  if (!conv) throw new Error(`normalize table: unknown conversion "${name}" in "${t}"`);
  const path = (colon >= 0 ? t.slice(colon + 1) : t).split('.');
  return { write: conv(path), path };
}

export function compileTargets(t: FieldTarget | string[]): CompiledTarget[] {
  if (t === null) return [];
  return (Array.isArray(t) ? t : [t]).map(compileTarget);
}

/** Apply compiled targets to one value (blank values are skipped). */
export function applyTargets(out: Obj, targets: readonly CompiledTarget[], value: unknown): void {
  if (isBlank(value)) return;
  for (const t of targets) t.write(out, value);
}
