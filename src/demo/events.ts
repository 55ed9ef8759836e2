/**
 * Builders of Elastic Defend documents (and Winlogbeat Security 5145 documents), serialised
 * straight to JSON text: the constant parts of a host and of a process are serialised once and
 * reused, which is what makes generating gigabytes fast. `event.sequence` and `event.id` are
 * taken from the host when the builder runs, so scenario events are built at emission time.
 */
import type { Signature } from './catalog.js';
import { baseName, dirName, extensionOf, type Host, type RunningProcess, type UserRef } from './hosts.js';

const j = JSON.stringify;

/**
 * A flat copy of a string built by concatenation. Cached fragments are reused in millions of
 * lines; left as V8 rope trees they would be walked again every time a line is written out.
 */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

function signatureJson(s: Signature): string {
  return s.subject_name === undefined
    ? `{"exists":${s.exists},"trusted":${s.trusted},"status":${j(s.status)}}`
    : `{"exists":${s.exists},"trusted":${s.trusted},"status":${j(s.status)},"subject_name":${j(s.subject_name)}}`;
}

function userJson(u: UserRef): string {
  return (u.json ??= flat(`{"name":${j(u.name)},"domain":${j(u.domain)},"id":${j(u.id)}}`));
}

function ids(p: RunningProcess): string {
  return `"pid":${p.pid},"entity_id":${j(p.entity_id)},"executable":${j(p.executable)},"name":${j(p.name)}`;
}
function ancestry(p: RunningProcess): string {
  return `"Ext":{"ancestry":[${p.parent ? j(p.parent.entity_id) : ''}]`;
}
function parentShort(par: RunningProcess): string {
  return `,"parent":{"pid":${par.pid},"entity_id":${j(par.entity_id)},"executable":${j(par.executable)},"name":${j(par.name)}`;
}

/** The compact `process` block of file, network, registry, DNS and library events (cached). */
function actorJson(p: RunningProcess): string {
  if (p.actorJson === undefined) {
    const text = `{${ids(p)},"code_signature":${signatureJson(p.signer)}}`;
    p.actorJson = p.longLived ? flat(text) : text;
  }
  return p.actorJson;
}

/** The `process` block of a start event, without its closing brace. */
function startJson(p: RunningProcess): string {
  const par = p.parent;
  const integrity = p.user.domain === 'NT AUTHORITY' ? 'system' : 'medium';
  return `{${ids(p)},"command_line":${j(p.command_line)},"args":${j(p.args)},"args_count":${p.args.length},` +
    `"code_signature":${signatureJson(p.signer)},"hash":{"sha256":"${p.hash}"},"pe":{"original_file_name":${j(p.name)}}` +
    (par ? `${parentShort(par)},"command_line":${j(par.command_line)}}` : '') +
    `,${ancestry(p)},"token":{"integrity_level_name":"${integrity}"}}`;
}

/** The `process` block of an end event, without its closing brace. */
function endJson(p: RunningProcess): string {
  return `{${ids(p)},"code_signature":${signatureJson(p.signer)}${p.parent ? parentShort(p.parent) + '}' : ''},${ancestry(p)}}`;
}

function hostJson(host: Host): string {
  return (host.json ??= flat(`"agent":${j(host.agentDoc)},"host":${j(host.hostDoc)},"ecs":{"version":"8.11.0"}`));
}

/** `"event":{…}` with the next sequence number of the host. */
/** The constant start of an `"event":{…}` member, up to the id value. */
function eventKind(category: string, type: string, action: string, dataset: string): string {
  return `"event":{"kind":"event","category":["${category}"],"type":["${type}"],"action":"${action}","module":"endpoint","dataset":"${dataset}","id":"`;
}

const K_PROCESS_START = eventKind('process', 'start', 'start', 'endpoint.events.process');
const K_PROCESS_END = eventKind('process', 'end', 'end', 'endpoint.events.process');
const K_FILE: Record<FileAction, string> = {
  creation: eventKind('file', 'creation', 'creation', 'endpoint.events.file'),
  modification: eventKind('file', 'change', 'modification', 'endpoint.events.file'),
  overwrite: eventKind('file', 'change', 'overwrite', 'endpoint.events.file'),
  deletion: eventKind('file', 'deletion', 'deletion', 'endpoint.events.file'),
  rename: eventKind('file', 'change', 'rename', 'endpoint.events.file'),
};
const K_NETWORK = {
  connection_attempted: eventKind('network', 'start', 'connection_attempted', 'endpoint.events.network'),
  connection_accepted: eventKind('network', 'start', 'connection_accepted', 'endpoint.events.network'),
  disconnect_received: eventKind('network', 'end', 'disconnect_received', 'endpoint.events.network'),
};
const K_REGISTRY = eventKind('registry', 'change', 'modification', 'endpoint.events.registry');
const K_DNS = eventKind('network', 'protocol', 'lookup_result', 'endpoint.events.network');
const K_LIBRARY = eventKind('library', 'start', 'load', 'endpoint.events.library');

/** `"event":{…}` with the next sequence number of the host. */
function eventJson(host: Host, kind: string): string {
  const seq = ++host.sequence;
  return `${kind}${host.eventIdPrefix}${seq.toString(36)}","sequence":${seq}}`;
}

function head(ts: string, host: Host): string {
  return `{"@timestamp":"${ts}",${hostJson(host)},`;
}

export function processStart(host: Host, ts: string, p: RunningProcess, workingDirectory = 'C:\\Windows\\system32\\'): string {
  return `${head(ts, host)}${eventJson(host, K_PROCESS_START)},"process":${startJson(p)},"working_directory":${j(workingDirectory)},"start":"${ts}"},"user":${userJson(p.user)}}`;
}

export function processEnd(host: Host, ts: string, p: RunningProcess, exitCode: number): string {
  return `${head(ts, host)}${eventJson(host, K_PROCESS_END)},"process":${endJson(p)},"exit_code":${exitCode}},"user":${userJson(p.user)}}`;
}

export type FileAction = 'creation' | 'modification' | 'overwrite' | 'deletion' | 'rename';

/** A file event by `p`; the System process (pid 4) is how SMB writes from other machines appear. */
export function fileEvent(host: Host, ts: string, p: RunningProcess, action: FileAction, path: string, headerBytes: string, size: number): string {
  const name = baseName(path);
  const ext = extensionOf(name);
  return `${head(ts, host)}${eventJson(host, K_FILE[action])},` +
    `"file":{"path":${j(path)},"name":${j(name)},${ext === undefined ? '' : `"extension":${j(ext)},`}"directory":${j(dirName(path))},"size":${size},` +
    `"Ext":{"header_bytes":"${headerBytes}","entropy":${(300 + (size % 500)) / 100}}},` +
    `"process":${actorJson(p)},"user":${userJson(p.user)}}`;
}

export interface Connection {
  direction: 'egress' | 'ingress';
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
  transport: 'tcp' | 'udp';
}

export function networkEvent(host: Host, ts: string, p: RunningProcess, c: Connection, action: 'connection_attempted' | 'connection_accepted' | 'disconnect_received'): string {
  return `${head(ts, host)}${eventJson(host, K_NETWORK[action])},` +
    `"network":{"direction":"${c.direction}","transport":"${c.transport}","type":"ipv4"},` +
    `"source":{"ip":"${c.sourceIp}","port":${c.sourcePort}},"destination":{"ip":"${c.destinationIp}","port":${c.destinationPort}},` +
    `"process":${actorJson(p)},"user":${userJson(p.user)}}`;
}

/** The constant part of a registry value's JSON (path, hive, key, value name), cached per path. */
const registryKeyCache = new Map<string, string>();
function registryKeyJson(path: string): string {
  let k = registryKeyCache.get(path);
  if (k === undefined) {
    const cut = path.lastIndexOf('\\');
    const hive = path.startsWith('HKEY_USERS') ? 'HKU' : 'HKLM';
    k = flat(`"path":${j(path)},"hive":"${hive}","key":${j(path.slice(path.indexOf('\\') + 1, cut))},"value":${j(path.slice(cut + 1))}`);
    if (registryKeyCache.size < 50_000) registryKeyCache.set(path, k);
  }
  return k;
}

export function registryEvent(host: Host, ts: string, p: RunningProcess, path: string, data: string, dataType: string): string {
  return `${head(ts, host)}${eventJson(host, K_REGISTRY)},` +
    `"registry":{${registryKeyJson(path)},"data":{"strings":[${j(data)}],"type":"${dataType}"}},` +
    `"process":${actorJson(p)},"user":${userJson(p.user)}}`;
}

export function dnsEvent(host: Host, ts: string, p: RunningProcess, name: string, answers: string[]): string {
  return `${head(ts, host)}${eventJson(host, K_DNS)},` +
    `"network":{"protocol":"dns","transport":"udp","direction":"egress"},` +
    `"dns":{"question":{"name":${j(name)},"type":"A"},"resolved_ip":${j(answers)},"Ext":{"status":0}},` +
    `"process":${actorJson(p)},"user":${userJson(p.user)}}`;
}

const dllCache = new Map<string, string>();

export function libraryEvent(host: Host, ts: string, p: RunningProcess, dllPath: string, signer: Signature, sha256: string): string {
  const key = `${dllPath}|${sha256}|${signer.subject_name ?? ''}|${signer.trusted}`;
  let dll = dllCache.get(key);
  if (dll === undefined) {
    dll = flat(`"dll":{"path":${j(dllPath)},"name":${j(baseName(dllPath))},"code_signature":${signatureJson(signer)},"hash":{"sha256":"${sha256}"}}`);
    if (dllCache.size < 10_000) dllCache.set(key, dll);
  }
  return `${head(ts, host)}${eventJson(host, K_LIBRARY)},${dll},` +
    `"process":${actorJson(p)},"user":${userJson(p.user)}}`;
}

export interface ShareAccess {
  shareName: string;
  shareLocalPath: string;
  relativeTargetName: string;
  ip: string;
  port: number;
  user: string;
  domain: string;
  /** Write access (WriteData/AppendData) or read only. */
  write: boolean;
}

const WRITE_ACCESS = '%%1538\n\t\t\t\t%%1541\n\t\t\t\t%%4416\n\t\t\t\t%%4417\n\t\t\t\t%%4418\n\t\t\t\t%%4419\n\t\t\t\t%%4420\n\t\t\t\t%%4423\n\t\t\t\t%%4424\n\t\t\t\t';
const READ_ACCESS = '%%1538\n\t\t\t\t%%1541\n\t\t\t\t%%4416\n\t\t\t\t%%4423\n\t\t\t\t';

/** The local path a 5145 names: `\??\C:\Windows` + `PSEXESVC.exe` → `C:\Windows\PSEXESVC.exe`. */
export function shareLocalFile(a: Pick<ShareAccess, 'shareLocalPath' | 'relativeTargetName'>): string {
  const local = a.shareLocalPath.replace(/^\\\?\?\\/, '');
  return local.endsWith('\\') ? local + a.relativeTargetName : `${local}\\${a.relativeTargetName}`;
}

/** Windows Security 5145 (detailed file share) as Winlogbeat ships it: who wrote what, from where. */
export function share5145(host: Host, ts: string, a: ShareAccess, recordId: number): string {
  const seq = ++host.sequence;
  const doc = {
    '@timestamp': ts,
    agent: { type: 'winlogbeat', version: '8.15.3', id: host.agentDoc['id'], name: host.name },
    host: { id: host.id, name: host.name, hostname: host.name, os: host.hostDoc['os'] },
    ecs: { version: '8.11.0' },
    event: {
      kind: 'event',
      category: ['network', 'file'],
      type: ['access', 'connection'],
      action: 'network-share-object-access-checked',
      code: '5145',
      module: 'security',
      dataset: 'windows.security',
      provider: 'Microsoft-Windows-Security-Auditing',
      outcome: 'success',
      id: `${host.eventIdPrefix}${seq.toString(36)}`,
      sequence: seq,
    },
    message: 'A network share object was checked to see whether client can be granted desired access.',
    source: { ip: a.ip, port: a.port },
    user: { name: a.user, domain: a.domain },
    file: { path: shareLocalFile(a), name: baseName(a.relativeTargetName) },
    winlog: {
      channel: 'Security',
      event_id: 5145,
      provider_name: 'Microsoft-Windows-Security-Auditing',
      computer_name: host.fqdn,
      record_id: recordId,
      keywords: ['Audit Success'],
      event_data: {
        SubjectUserSid: `S-1-5-21-3623811015-3361044348-30300820-${1000 + (recordId % 97)}`,
        SubjectUserName: a.user,
        SubjectDomainName: a.domain,
        SubjectLogonId: `0x${(0x3e7000 + (recordId % 4096)).toString(16)}`,
        ObjectType: 'File',
        IpAddress: a.ip,
        IpPort: String(a.port),
        ShareName: a.shareName,
        ShareLocalPath: a.shareLocalPath,
        RelativeTargetName: a.relativeTargetName,
        AccessMask: a.write ? '0x13019f' : '0x120089',
        AccessList: a.write ? WRITE_ACCESS : READ_ACCESS,
        AccessReason: '-',
      },
    },
  };
  return j(doc);
}
