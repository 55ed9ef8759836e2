/**
 * Fields computed from other fields: the named multi-field derivations tables ask for, and the
 * common ones every ECS event gets when missing (process/file names, extensions, args).
 */
import { decodeAccessList } from './access.js';
import type { DeriveName } from './tables/types.js';
import {
  baseName,
  isBlank,
  isObj,
  joinWindowsPath,
  setPath,
  splitCommandLine,
  splitWindowsPath,
  stripNtPrefix,
  text,
  type Obj,
  type Reader,
} from './util.js';

type Derivation = (out: Obj, data: Obj) => void;

/** winlog.event_data is shared with the source event; copy it before adding to it. */
function ownEventData(out: Obj, data: Obj): Obj {
  const winlog = out['winlog'] as Obj;
  if (winlog['event_data'] === data) winlog['event_data'] = { ...data };
  return winlog['event_data'] as Obj;
}

export const DERIVATIONS: Record<DeriveName, Derivation> = {
  /** 5140/5145: `\??\C:\Windows` + `PSEXESVC.exe` → file.path `C:\Windows\PSEXESVC.exe`. */
  sharePath(out, data) {
    const local = text(data['ShareLocalPath']);
    if (local === undefined || isBlank(local)) return;
    const dir = stripNtPrefix(local.trim());
    const rel = text(data['RelativeTargetName']);
    if (rel === undefined || isBlank(rel)) setPath(out, ['file', 'directory'], dir);
    else setPath(out, ['file', 'path'], joinWindowsPath(dir, rel.trim()));
  },
  /** Keep AccessList raw; add the decoded names as winlog.event_data.AccessListDescription. */
  accessList(out, data) {
    const list = text(data['AccessList']);
    if (list === undefined || isBlank(list)) return;
    const decoded = decodeAccessList(list);
    if (decoded.length > 0) ownEventData(out, data)['AccessListDescription'] = decoded;
  },
  /** 4656/4663: ObjectName is a file path for ObjectType File, a registry path for Key. */
  objectName(out, data) {
    const name = text(data['ObjectName']);
    if (name === undefined || isBlank(name)) return;
    const type = text(data['ObjectType']);
    if (type === 'Key') setPath(out, ['registry', 'path'], name);
    else if (type === undefined || type === 'File') setPath(out, ['file', 'path'], stripNtPrefix(name));
  },
  /**
   * Sysmon 12/13/14: registry.key (the path after the hive), registry.value (its last component),
   * and registry.data typed from Details: `DWORD (0x…)` → SZ_DWORD with the decimal value,
   * `QWORD (0x…-0x…)` → SZ_QWORD (high and low 32 bits), `Binary Data` → REG_BINARY, else REG_SZ.
   */
  registry(out, data) {
    const p = text(data['TargetObject']);
    if (p === undefined || isBlank(p)) return;
    const cut = p.lastIndexOf('\\');
    setPath(out, REG_VALUE, cut >= 0 ? p.slice(cut + 1) : p);
    const first = p.indexOf('\\');
    if (first >= 0) setPath(out, REG_KEY, p.slice(first + 1));
    const details = text(data['Details']);
    if (details === undefined || isBlank(details)) return;
    const typed = registryData(details);
    setPath(out, REG_DATA, { strings: [typed.value], type: typed.type });
  },
  /** Sysmon 22: `type:  5 host.example;::ffff:1.2.3.4;` → dns.answers and dns.resolved_ip. */
  dnsResults(out, data) {
    const results = text(data['QueryResults']);
    if (results === undefined || isBlank(results)) return;
    const answers: Obj[] = [];
    const ips: string[] = [];
    for (const part of results.split(';')) {
      const a = part.trim();
      if (a === '') continue;
      if (a.startsWith('type:')) {
        const [, code, value] = a.split(/\s+/);
        const answer: Obj = { type: DNS_TYPES[code ?? ''] ?? code };
        if (value !== undefined) answer['data'] = value;
        answers.push(answer);
      } else {
        const ip = a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
        ips.push(ip);
        answers.push({ type: ip.includes(':') ? 'AAAA' : 'A', data: ip });
      }
    }
    if (answers.length > 0) setPath(out, ['dns', 'answers'], answers);
    if (ips.length > 0) setPath(out, ['dns', 'resolved_ip'], ips);
  },
};

const REG_VALUE = ['registry', 'value'];
const REG_KEY = ['registry', 'key'];
const REG_DATA = ['registry', 'data'];

const DNS_TYPES: Record<string, string> = {
  '1': 'A', '2': 'NS', '5': 'CNAME', '6': 'SOA', '12': 'PTR', '15': 'MX', '16': 'TXT', '28': 'AAAA', '33': 'SRV', '65': 'HTTPS',
};

export function registryData(details: string): { type: string; value: string } {
  const dword = /^DWORD \((0x[0-9a-f]{1,8})\)$/i.exec(details);
  if (dword) return { type: 'SZ_DWORD', value: String(Number.parseInt(dword[1]!.slice(2), 16)) };
  const qword = /^QWORD \((0x[0-9a-f]{1,8})-(0x[0-9a-f]{1,8})\)$/i.exec(details);
  if (qword) return { type: 'SZ_QWORD', value: ((BigInt(qword[1]!) << 32n) + BigInt(qword[2]!)).toString() };
  if (details === 'Binary Data') return { type: 'REG_BINARY', value: details };
  return { type: 'REG_SZ', value: details };
}

const P_EXE = ['process', 'executable'];
const P_NAME = ['process', 'name'];
const PP_EXE = ['process', 'parent', 'executable'];
const PP_NAME = ['process', 'parent', 'name'];
const T_EXE = ['Target', 'process', 'executable'];
const T_NAME = ['Target', 'process', 'name'];
const P_CMD = ['process', 'command_line'];
const P_ARGS = ['process', 'args'];
const P_ARGC = ['process', 'args_count'];
const PP_ARGC = ['process', 'parent', 'args_count'];
const PP_CMD = ['process', 'parent', 'command_line'];
const PP_ARGS = ['process', 'parent', 'args'];
const F_PATH = ['file', 'path'];
const F_NAME = ['file', 'name'];
const F_DIR = ['file', 'directory'];
const F_EXT = ['file', 'extension'];

function missing(read: Reader, path: string[]): boolean {
  const v = read(path);
  return v === undefined || v === null;
}

function nameFrom(ev: Obj, read: Reader, from: string[], to: string[]): void {
  const exe = read(from);
  if (typeof exe !== 'string' || exe === '' || !missing(read, to)) return;
  const name = baseName(exe);
  if (name !== '') setPath(ev, to, name);
}

function argsFrom(ev: Obj, read: Reader, from: string[], to: string[], countTo: string[]): void {
  const cmd = read(from);
  if (typeof cmd !== 'string' || cmd === '' || !missing(read, to)) return;
  const args = splitCommandLine(cmd);
  setPath(ev, to, args);
  setPath(ev, countTo, args.length);
}

/**
 * Fill the ECS fields Elastic's pipelines compute from others, where they are missing. Without a
 * reader, fields are read as plain nested paths (getPath): the direct walk below, which looks each
 * parent object up once instead of once per path (it ran on every event, most of them complete).
 */
export function deriveCommon(ev: Obj, read?: Reader): void {
  if (read === undefined) return deriveNested(ev);
  nameFrom(ev, read, P_EXE, P_NAME);
  nameFrom(ev, read, PP_EXE, PP_NAME);
  argsFrom(ev, read, P_CMD, P_ARGS, P_ARGC);
  argsFrom(ev, read, PP_CMD, PP_ARGS, PP_ARGC);
  nameFrom(ev, read, T_EXE, T_NAME);
  const path = read(F_PATH);
  if (typeof path === 'string' && path.length > 0) {
    // Split only when a part is missing (Elastic Defend file events carry name and directory).
    const needName = missing(read, F_NAME);
    const needDir = missing(read, F_DIR);
    const needExt = missing(read, F_EXT);
    if (needName || needDir || needExt) {
      const parts = splitWindowsPath(path);
      if (needName) setPath(ev, F_NAME, parts.name);
      if (parts.directory !== undefined && needDir) setPath(ev, F_DIR, parts.directory);
      if (parts.extension !== undefined && needExt) setPath(ev, F_EXT, parts.extension);
    }
  }
}

/**
 * deriveCommon through getPath, written out: each field lives in an object the walk already
 * reached (a read through a non-object finds nothing, so nothing is written), and each object gets
 * its fields in the order the reader version adds them (test/normalize/derive-nested.test.ts holds
 * the two equal, key order included).
 */
function deriveNested(ev: Obj): void {
  const p = ev['process'];
  if (isObj(p)) {
    nameIn(p);
    const pp = p['parent'];
    if (isObj(pp)) nameIn(pp);
    argsIn(p);
    if (isObj(pp)) argsIn(pp);
  }
  const target = ev['Target'];
  if (isObj(target)) {
    const tp = target['process'];
    if (isObj(tp)) nameIn(tp);
  }
  const f = ev['file'];
  if (!isObj(f)) return;
  const path = f['path'];
  if (typeof path === 'string' && path.length > 0) {
    const needName = f['name'] === undefined || f['name'] === null;
    const needDir = f['directory'] === undefined || f['directory'] === null;
    const needExt = f['extension'] === undefined || f['extension'] === null;
    if (needName || needDir || needExt) {
      const parts = splitWindowsPath(path);
      if (needName) f['name'] = parts.name;
      if (parts.directory !== undefined && needDir) f['directory'] = parts.directory;
      if (parts.extension !== undefined && needExt) f['extension'] = parts.extension;
    }
  }
}

/** nameFrom for `executable` → `name` of one (process) object. */
function nameIn(o: Obj): void {
  const exe = o['executable'];
  if (typeof exe !== 'string' || exe === '' || (o['name'] !== undefined && o['name'] !== null)) return;
  const name = baseName(exe);
  if (name !== '') o['name'] = name;
}

/** argsFrom for `command_line` → `args`, `args_count` of one (process) object. */
function argsIn(o: Obj): void {
  const cmd = o['command_line'];
  if (typeof cmd !== 'string' || cmd === '' || (o['args'] !== undefined && o['args'] !== null)) return;
  const args = splitCommandLine(cmd);
  o['args'] = args;
  o['args_count'] = args.length;
}
