/**
 * Elastic Defend-shaped events for the hunt tests: a file written by System (PID 4, an SMB write),
 * a process started from a path, and network noise — the file-share rule's two stages and filler.
 */
export const BASE = Date.parse('2024-03-01T10:00:00Z');
export const iso = (ms: number): string => new Date(BASE + ms).toISOString();

export function host(id: string): Record<string, unknown> {
  return { id, name: id, hostname: id, os: { type: 'windows', family: 'windows' } };
}

export function systemWrite(ms: number, h: string, path: string): Record<string, unknown> {
  const name = path.split('\\').pop()!;
  return {
    '@timestamp': iso(ms),
    host: host(h),
    event: { category: ['file'], type: ['creation'], kind: 'event', action: 'creation' },
    process: { pid: 4, name: 'System', executable: 'System' },
    file: { path, name, extension: name.split('.').pop(), directory: path.slice(0, path.lastIndexOf('\\')) },
  };
}

/** A start by services.exe of an unsigned program (as PsExec's service is); `extra` adds process fields. */
export function start(ms: number, h: string, path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    '@timestamp': iso(ms),
    host: host(h),
    event: { category: ['process'], type: ['start'], kind: 'event', action: 'start' },
    process: {
      pid: 4000 + (ms % 1000),
      name: path.split('\\').pop(),
      executable: path,
      parent: { executable: 'C:\\Windows\\System32\\services.exe', name: 'services.exe', pid: 600 },
      code_signature: { trusted: false, exists: false },
      ...extra,
    },
  };
}

export function noise(ms: number, h: string): Record<string, unknown> {
  return {
    '@timestamp': iso(ms),
    host: host(h),
    event: { category: ['network'], type: ['connection'], kind: 'event' },
    process: { pid: 900, name: 'svchost.exe', executable: 'C:\\Windows\\System32\\svchost.exe' },
    destination: { ip: '10.0.0.1', port: 443 },
  };
}

export const ndjson = (evs: Record<string, unknown>[]): string => evs.map((e) => JSON.stringify(e)).join('\n') + '\n';
