/** Sample alerts and a hunt summary for output tests. */
import type { Alert } from '../../src/alert/types.js';
import type { HuntResult, HuntSummary } from '../../src/hunt/types.js';

export function sampleAlert(over: Partial<Alert> = {}): Alert {
  const write = { '@timestamp': '2026-03-02T08:03:51.764837Z', host: { name: 'ws-0007', id: 'h-7' }, event: { category: ['file'], type: ['creation'] }, process: { pid: 4, name: 'System' }, file: { path: 'C:\\Windows\\PSEXESVC.exe' } };
  const start = { '@timestamp': '2026-03-02T08:03:51.979000Z', host: { name: 'ws-0007', id: 'h-7' }, event: { category: ['process'], type: ['start'] }, process: { pid: 5120, executable: 'C:\\Windows\\PSEXESVC.exe', parent: { name: 'services.exe' } } };
  return {
    id: 'a1b2c3',
    ruleId: 'file-share-remote-exec',
    ruleName: 'Remote Execution via File Shares – Creation by System',
    severity: 'medium',
    riskScore: 47,
    mitre: ['T1021.002', 'T1570'],
    host: 'ws-0007',
    filePath: 'C:\\Windows\\PSEXESVC.exe',
    firstTime: '2026-03-02T08:03:51.764837Z',
    lastTime: '2026-03-02T08:03:51.979000Z',
    gapMs: 214.163,
    writer: { ip: '10.20.0.6', user: 'adm-jdoe', domain: 'CORP', evidence: 'Security 5145' },
    process: { executable: 'C:\\Windows\\PSEXESVC.exe', pid: 5120, commandLine: 'C:\\Windows\\PSEXESVC.exe', parentExecutable: 'C:\\Windows\\System32\\services.exe', signatureTrusted: false },
    events: [
      { file: 'demo/events.ndjson', position: 101, event: write },
      { file: 'demo/events.ndjson', position: 102, event: start },
    ],
    context: [
      { file: 'demo/events.ndjson', position: 99, event: { '@timestamp': '2026-03-02T08:03:51.760000Z', host: { name: 'ws-0007' }, event: { category: ['network', 'file'], code: '5145' }, winlog: { event_id: 5145 }, source: { ip: '10.20.0.6' } } },
      { file: 'demo/events.ndjson', position: 103, event: { '@timestamp': '2026-03-02T08:03:52.900000Z', host: { name: 'ws-0007' }, event: { category: ['process'], type: ['start'] }, process: { executable: 'C:\\Windows\\System32\\cmd.exe', command_line: 'cmd /c whoami' } } },
    ],
    ...over,
  };
}

export function sampleSummary(over: Partial<HuntSummary> = {}): HuntSummary {
  return {
    files: 2,
    events: 20_000,
    seconds: 0.5,
    eventsPerSecond: 40_000,
    rulesLoaded: 6,
    rulesSkipped: [{ id: 'odd-rule', source: 'rules/odd.yml', reason: 'unsupported pipe `window`' }],
    alertsByRule: { 'file-share-remote-exec': 2, 'file-share-remote-exec-security-audit': 1 },
    skipped: { 'malformed-json': 3 },
    problems: [{ kind: 'malformed-json', file: 'x.ndjson', where: 'line 12', message: 'Unexpected token', skipped: true }],
    ...over,
  };
}

export function sampleResult(alerts: Alert[] = [sampleAlert()]): HuntResult {
  return { alerts, summary: sampleSummary() };
}
