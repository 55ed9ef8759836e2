/** Alerts for the UI model tests: file-share alerts with writers, and Sigma-style single-event alerts. */
import type { Alert } from '../../src/alert/types.js';
import type { Severity } from '../../src/ir/types.js';

let n = 0;

export function shareAlert(o: { host: string; path: string; at: string; writerIp?: string; user?: string; rule?: string; severity?: Severity; file?: string; positions?: [number, number]; hostIps?: string[] }): Alert {
  const id = `fs${++n}`;
  const [p0, p1] = o.positions ?? [n * 10, n * 10 + 1];
  const t0 = o.at;
  const t1 = new Date(Date.parse(o.at) + 200).toISOString();
  const host = { name: o.host, ip: o.hostIps ?? [] };
  const a: Alert = {
    id,
    ruleId: o.rule ?? 'file-share-remote-exec',
    ruleName: o.rule ?? 'Remote Execution via File Shares',
    severity: o.severity ?? 'medium',
    host: o.host,
    filePath: o.path,
    firstTime: t0,
    lastTime: t1,
    gapMs: 200,
    process: { executable: o.path, pid: 100 + n },
    events: [
      { file: o.file ?? 'events.ndjson', position: p0, event: { '@timestamp': t0, host, event: { category: ['file'], type: ['creation'] }, file: { path: o.path }, process: { pid: 4, name: 'System' } } },
      { file: o.file ?? 'events.ndjson', position: p1, event: { '@timestamp': t1, host, event: { category: ['process'], type: ['start'] }, process: { executable: o.path, pid: 100 + n } } },
    ],
  };
  if (o.writerIp || o.user) a.writer = { ...(o.writerIp ? { ip: o.writerIp } : {}), ...(o.user ? { user: o.user, domain: 'CORP' } : {}), evidence: 'Security 5145' };
  return a;
}

export function sigmaAlert(o: { host: string; at: string; rule: string; exe?: string; position?: number; file?: string; severity?: Severity }): Alert {
  const id = `sg${++n}`;
  return {
    id,
    ruleId: o.rule,
    ruleName: `Sigma ${o.rule}`,
    severity: o.severity ?? 'high',
    host: o.host,
    ...(o.exe ? { filePath: o.exe } : {}),
    firstTime: o.at,
    lastTime: o.at,
    gapMs: 0,
    ...(o.exe ? { process: { executable: o.exe } } : {}),
    events: [{ file: o.file ?? 'Security.evtx', position: o.position ?? n, event: { '@timestamp': o.at, host: { name: o.host }, event: { code: '4688', category: ['process'], type: ['start'] }, process: { executable: o.exe ?? 'C:\\x.exe', command_line: 'x' } } }],
  };
}
