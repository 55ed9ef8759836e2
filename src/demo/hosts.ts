/** The simulated fleet: stable identities per host (derived from the seed and the host index). */
import { FIRST_NAMES, LAST_NAMES, RESIDENTS, SERVER_ROLES, SERVER_VERSIONS, WINDOWS_VERSIONS, type Program, type Signature } from './catalog.js';
import { Rng } from './prng.js';

export interface RunningProcess {
  pid: number;
  entity_id: string;
  executable: string;
  name: string;
  command_line: string;
  args: string[];
  signer: Signature;
  parent: RunningProcess | null;
  user: UserRef;
  hash: string;
  /** Serialised compact form, filled on first use by events.ts. */
  actorJson?: string;
  /** Resident for the whole run (its cached JSON is worth flattening). */
  longLived?: boolean;
}

export interface UserRef {
  name: string;
  domain: string;
  id: string;
  json?: string;
}

export interface Host {
  index: number;
  id: string;
  name: string;
  fqdn: string;
  ip: string;
  role: 'workstation' | 'server';
  /** Prebuilt ECS `host` and `agent` objects, shared by all events of the host. */
  hostDoc: Record<string, unknown>;
  agentDoc: Record<string, unknown>;
  user: UserRef;
  system: UserRef;
  residents: Map<string, RunningProcess>;
  nextPid: number;
  sequence: number;
  /** Prefix of this host's `event.id` values (the sequence in base 36 follows). */
  eventIdPrefix: string;
  /** Prefix of this host's process entity ids (base64 of the agent id). */
  entityPrefix: string;
  /** Recently started transient processes (for end events and as parents). */
  recent: RunningProcess[];
  rng: Rng;
  /** Serialised `agent`/`host`/`ecs` members, filled on first use by events.ts. */
  json?: string;
  /** The catalog with this host's user and SID filled in, built on first use by background.ts. */
  vocabulary?: HostVocabulary;
}

export interface HostVocabulary {
  /** The residents that produce background activity. */
  active: RunningProcess[];
  programs: { program: Program; exe: string; commandLines: string[] }[];
  fileDirs: string[];
  registryKeys: string[];
}

export const DOMAIN = 'CORP';
export const DOMAIN_SID = '3623811015-3361044348-30300820';
export const SYSTEM_USER: UserRef = { name: 'SYSTEM', domain: 'NT AUTHORITY', id: 'S-1-5-18' };


export function makeFleet(count: number, seed: number): Host[] {
  const hosts: Host[] = [];
  const servers = Math.max(1, Math.round(count / 8));
  for (let i = 0; i < count; i++) hosts.push(makeHost(i, i < servers, seed));
  return hosts;
}

function makeHost(index: number, server: boolean, seed: number): Host {
  const rng = new Rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const name = server
    ? `srv-${SERVER_ROLES[index % SERVER_ROLES.length]}-${String(Math.floor(index / SERVER_ROLES.length) + 1).padStart(2, '0')}`
    : `ws-${String(index).padStart(4, '0')}`;
  const fqdn = `${name}.corp.example.com`;
  const ip = server ? `10.10.${Math.floor(index / 250)}.${(index % 250) + 4}` : `10.20.${Math.floor(index / 250)}.${(index % 250) + 4}`;
  const os = server ? rng.pick(SERVER_VERSIONS) : rng.pick(WINDOWS_VERSIONS);
  const id = rng.uuid();
  const rid = 1100 + index;
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const user: UserRef = server
    ? { name: `adm-${first[0]}${last}`, domain: DOMAIN, id: `S-1-5-21-${DOMAIN_SID}-${rid}` }
    : { name: `${first}.${last}`, domain: DOMAIN, id: `S-1-5-21-${DOMAIN_SID}-${rid}` };
  const hostDoc = {
    id,
    name,
    hostname: name,
    ip: [ip],
    os: {
      type: 'windows',
      family: 'windows',
      name: os.name,
      version: os.version,
    },
  };
  const agentDoc = { id: rng.uuid(), type: 'endpoint', version: '8.15.3' };
  const host: Host = {
    index, id, name, fqdn, ip, role: server ? 'server' : 'workstation', hostDoc, agentDoc, user, system: SYSTEM_USER,
    residents: new Map(), nextPid: 4 * (75 + rng.int(100)), sequence: rng.int(50_000), eventIdPrefix: `${rng.letters(6, true)}${rng.letters(6)}+++`, entityPrefix: Buffer.from(`${id.slice(0, 18)}-`).toString('base64').replace(/=+$/, ''), recent: [], rng,
  };
  for (const r of RESIDENTS) {
    const parent = r.parentKey ? host.residents.get(r.parentKey) ?? null : null;
    const executable = r.executable.replaceAll('{user}', user.name);
    const p = spawn(host, executable, r.commandLine.replaceAll('{user}', user.name), r.signer, parent, r.userContext === 'user' ? user : SYSTEM_USER);
    p.longLived = true;
    host.residents.set(r.key, p);
  }
  return host;
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('\\');
  return i < 0 ? path : path.slice(i + 1);
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('\\');
  return i < 0 ? '' : path.slice(0, i);
}

export function extensionOf(name: string): string | undefined {
  const i = name.lastIndexOf('.');
  return i <= 0 ? undefined : name.slice(i + 1).toLowerCase();
}

/** Split a Windows command line into arguments (quotes grouped, no escape processing). */
export function splitArgs(commandLine: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(commandLine)) !== null) out.push(m[1] ?? m[2]!);
  return out;
}

/** A new process record with a fresh pid and entity id (not yet emitted as an event). */
export function spawn(host: Host, executable: string, commandLine: string, signer: Signature, parent: RunningProcess | null, user: UserRef): RunningProcess {
  host.nextPid += 4 * (1 + host.rng.int(60));
  if (host.nextPid > 65_000) host.nextPid = 4 * (75 + host.rng.int(100));
  const pid = host.nextPid;
  return {
    pid,
    entity_id: `${host.entityPrefix}${base64Digits(pid * 4096 + (host.rng.u32() & 4095))}${base64Digits(host.rng.u32())}`,
    executable,
    name: baseName(executable),
    command_line: commandLine,
    args: argsOf(commandLine),
    signer,
    parent,
    user,
    hash: hashFor(executable),
  };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** A non-negative integer as base64 digits (entity ids look like Elastic's base64 ones). */
function base64Digits(n: number): string {
  let out = '';
  do {
    out = B64[n % 64]! + out;
    n = Math.floor(n / 64);
  } while (n > 0);
  return out.padStart(6, 'A');
}

const argsCache = new Map<string, string[]>();
/** Arguments of a command line; the vocabulary is small, so they are split once each. */
function argsOf(commandLine: string): string[] {
  let a = argsCache.get(commandLine);
  if (a === undefined) {
    a = splitArgs(commandLine);
    if (argsCache.size < 10_000) argsCache.set(commandLine, a);
  }
  return a;
}

/** A stable fake sha256 per executable path (same binary → same hash across hosts). */
const hashCache = new Map<string, string>();
export function hashFor(executable: string): string {
  let h = hashCache.get(executable);
  if (h === undefined) {
    const r = new Rng(fnv1a(executable.toLowerCase()));
    h = r.hex(64);
    hashCache.set(executable, h);
  }
  return h;
}

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
