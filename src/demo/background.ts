/** Everyday activity of a host: process starts/ends, file writes, network, registry, DNS, library loads. */
import { ACTIVE_RESIDENTS, DOMAINS, FILE_NAMES, LIBRARIES, REGISTRY_KEYS, TRANSIENT_PROGRAMS, USER_FILE_DIRS, type Program } from './catalog.js';
import { dnsEvent, fileEvent, libraryEvent, networkEvent, processEnd, processStart, registryEvent } from './events.js';
import { DOMAIN_SID, hashFor, spawn, SYSTEM_USER, type Host, type HostVocabulary, type RunningProcess } from './hosts.js';
import { cumulativeWeights } from './prng.js';

type Kind = 'start' | 'end' | 'file' | 'network' | 'registry' | 'dns' | 'library';
const KINDS: readonly Kind[] = ['start', 'end', 'file', 'network', 'registry', 'dns', 'library'];
const KIND_WEIGHTS = cumulativeWeights([14, 10, 22, 20, 14, 10, 10]);

const RECENT_LIMIT = 24;
const FILE_ACTIONS = ['creation', 'modification', 'overwrite', 'deletion'] as const;
const REMOTE_PORTS = [443, 443, 443, 80, 53, 445, 135, 389, 88, 3268, 5985];

function parentFor(host: Host, program: Program): RunningProcess {
  if (program.parent === 'cmd') {
    for (let i = host.recent.length - 1; i >= 0; i--) if (host.recent[i]!.name === 'cmd.exe') return host.recent[i]!;
    return host.residents.get('explorer')!;
  }
  return host.residents.get(program.parent === 'taskeng' ? 'svchost' : program.parent)!;
}

function activeResident(host: Host): RunningProcess {
  return host.rng.pick(vocabulary(host).active);
}

/** The catalog with this host's user name and SID filled in, computed once per host. */
function vocabulary(host: Host): HostVocabulary {
  let v = host.vocabulary;
  if (v === undefined) {
    const user = host.user.name;
    v = {
      active: ACTIVE_RESIDENTS.map((k) => host.residents.get(k)!),
      programs: TRANSIENT_PROGRAMS.map((program) => {
        const exe = program.executable.replaceAll('{user}', user);
        return { program, exe, commandLines: program.commandLines.map((c) => c.replaceAll('{exe}', exe).replaceAll('{user}', user)) };
      }),
      fileDirs: USER_FILE_DIRS.map((d) => d.replaceAll('{user}', user)),
      registryKeys: REGISTRY_KEYS.map((k) => k.replace('{dom}', DOMAIN_SID).replace('{rid}', String(1100 + host.index))),
    };
    host.vocabulary = v;
  }
  return v;
}

/** One background event of `host` at `ts`. */
export function backgroundEvent(host: Host, ts: string): string {
  const rng = host.rng;
  const kind = rng.weighted(KINDS, KIND_WEIGHTS);
  switch (kind) {
    case 'start': {
      const { program, exe, commandLines } = rng.pick(vocabulary(host).programs);
      const user = program.userContext === 'user' ? host.user : SYSTEM_USER;
      const p = spawn(host, exe, rng.pick(commandLines), program.signer, parentFor(host, program), user);
      host.recent.push(p);
      if (host.recent.length > RECENT_LIMIT) host.recent.shift();
      return processStart(host, ts, p, user === SYSTEM_USER ? 'C:\\Windows\\system32\\' : `C:\\Users\\${host.user.name}\\`);
    }
    case 'end': {
      if (host.recent.length === 0) return backgroundEvent(host, ts);
      const i = rng.int(host.recent.length);
      const p = host.recent[i]!;
      host.recent.splice(i, 1);
      return processEnd(host, ts, p, rng.chance(0.95) ? 0 : 1);
    }
    case 'file': {
      const p = activeResident(host);
      const [name, header] = rng.pick(FILE_NAMES);
      const dir = rng.pick(vocabulary(host).fileDirs);
      return fileEvent(host, ts, p, rng.pick(FILE_ACTIONS), `${dir}\\${name}`, header, 200 + rng.int(2_000_000));
    }
    case 'network': {
      const p = activeResident(host);
      const port = rng.pick(REMOTE_PORTS);
      const internal = port !== 443 && port !== 80;
      const remote = internal ? `10.10.0.${4 + rng.int(8)}` : `${rng.pick([13, 20, 40, 52, 104, 142, 172])}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
      const inbound = rng.chance(0.15);
      const local = { ip: host.ip, port: 49_152 + rng.int(16_000) };
      return networkEvent(host, ts, p, inbound
        ? { direction: 'ingress', sourceIp: remote, sourcePort: 49_152 + rng.int(16_000), destinationIp: host.ip, destinationPort: port, transport: 'tcp' }
        : { direction: 'egress', sourceIp: local.ip, sourcePort: local.port, destinationIp: remote, destinationPort: port, transport: port === 53 ? 'udp' : 'tcp' },
        rng.chance(0.2) ? 'disconnect_received' : inbound ? 'connection_accepted' : 'connection_attempted');
    }
    case 'registry': {
      const p = activeResident(host);
      const key = rng.pick(vocabulary(host).registryKeys);
      return registryEvent(host, ts, p, key, String(rng.u32()), 'REG_DWORD');
    }
    case 'dns': {
      const p = host.residents.get(rng.chance(0.5) ? 'svchost_dns' : 'chrome')!;
      return dnsEvent(host, ts, p, rng.pick(DOMAINS), [`${rng.pick([13, 20, 40, 52])}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`]);
    }
    case 'library': {
      const p = host.recent.length > 0 && rng.chance(0.6) ? rng.pick(host.recent) : activeResident(host);
      const [dll, signer] = rng.pick(LIBRARIES);
      return libraryEvent(host, ts, p, dll, signer, hashFor(dll));
    }
  }
}
