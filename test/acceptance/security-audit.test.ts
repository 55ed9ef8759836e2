/**
 * The native-auditing rule (Security 5145 write → 4688 of the local path) and the service
 * companion, on hand-built events in the evtx_dump JSON shape spoor's EVTX reader produces.
 * There is no real 5145 followed by a 4688 in ../shared: the events follow Microsoft's documented
 * field layout of 5145, 5140, 4624, 4688 (version 2) and 7045, with realistic values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from '../../src/events/field.js';
import type { SourceEvent } from '../../src/sources/types.js';
import { loadRulePack } from '../../src/rules/index.js';
import { detect } from './pipeline.js';
import { logon4624 as logon4624At, process4688 as process4688At, share5145 as share5145At, sysmon11 as sysmon11At, winEvent } from '../shares/fixtures.js';

const HOST = 'FS01.corp.example';

// The event builders are test/shares/fixtures.ts's, on this file's host.
type ShareOptions = Parameters<typeof share5145At>[3];
const share5145 = (time: string, rel: string, o: ShareOptions = {}) => share5145At(HOST, time, rel, o);
const process4688 = (time: string, exe: string, host = HOST) => process4688At(host, time, exe);
const logon4624 = (time: string) => logon4624At(HOST, time, 'mallory', '10.0.0.66');
const sysmon11 = (time: string, path: string) => sysmon11At(HOST, time, path);

function service7045(time: string, imagePath: string): Event {
  return winEvent('Service Control Manager', 'System', 7045, time, {
    ServiceName: 'BTOBTO', ImagePath: imagePath, ServiceType: 'user mode service', StartType: 'demand start', AccountName: 'LocalSystem',
  }, HOST);
}

const sources = (events: Event[]): SourceEvent[] => events.map((event, i) => ({ event, file: 'hand-built.json', position: i + 1 }));
const rules = () => {
  const { rules, problems } = loadRulePack([]);
  assert.deepEqual(problems, []);
  return rules;
};

test('5145 write to ADMIN$ then 4688 of the same path: alert naming the writer', () => {
  const alerts = detect(rules(), sources([
    logon4624('2024-03-05T09:59:58.0000000Z'),
    share5145('2024-03-05T10:00:00.1234567Z', 'evil.exe'),
    process4688('2024-03-05T10:00:02.5000000Z', 'C:\\Windows\\evil.exe'),
  ]));
  assert.deepEqual(alerts.map((a) => a.ruleId), ['file-share-remote-exec-security-audit']);
  const a = alerts[0]!;
  assert.equal(a.host, HOST);
  assert.equal(a.filePath, 'C:\\Windows\\evil.exe');
  assert.equal(a.firstTime, '2024-03-05T10:00:00.1234567Z');
  assert.equal(a.gapMs, 2376.5433);
  assert.deepEqual(a.writer, { evidence: 'Security 5145 (matched event)', ip: '10.0.0.66', user: 'mallory', domain: 'CORP' });
  assert.equal(a.process?.executable, 'C:\\Windows\\evil.exe');
  assert.equal(a.process?.pid, 0x1a2c);
  assert.equal(a.process?.parentExecutable, 'C:\\Windows\\System32\\services.exe');
  assert.deepEqual(a.events.map((e) => e.position), [2, 3]);
});

test('AppendData (%%4418) counts as a write; subfolders of C$ join too', () => {
  const alerts = detect(rules(), sources([
    share5145('2024-03-05T10:00:00Z', 'Temp\\x.scr', { access: '%%4418', share: '\\\\*\\C$', local: '\\??\\C:\\' }),
    process4688('2024-03-05T10:00:01Z', 'C:\\Temp\\x.scr'),
  ]));
  assert.deepEqual(alerts.map((a) => [a.ruleId, a.filePath]), [['file-share-remote-exec-security-audit', 'C:\\Temp\\x.scr']]);
});

test('no alert: read-only access, too late, another host, another path', () => {
  const none = (events: Event[], why: string) => assert.deepEqual(detect(rules(), sources(events)).map((a) => a.ruleId), [], why);
  none([share5145('2024-03-05T10:00:00Z', 'evil.exe', { access: '%%4416' }), process4688('2024-03-05T10:00:01Z', 'C:\\Windows\\evil.exe')], 'ReadData only');
  none([share5145('2024-03-05T10:00:00Z', 'evil.exe'), process4688('2024-03-05T10:01:00.001Z', 'C:\\Windows\\evil.exe')], 'beyond 1 minute');
  none([share5145('2024-03-05T10:00:00Z', 'evil.exe'), process4688('2024-03-05T10:00:01Z', 'C:\\Windows\\evil.exe', 'WS02.corp.example')], 'other host');
  none([share5145('2024-03-05T10:00:00Z', 'evil.exe'), process4688('2024-03-05T10:00:01Z', 'C:\\Windows\\System32\\evil.exe')], 'other path');
  none([process4688('2024-03-05T09:59:59Z', 'C:\\Windows\\evil.exe'), share5145('2024-03-05T10:00:00Z', 'evil.exe')], 'start before the write');
});

test('Sysmon write by System + 4688 start: the strict rule fires, with the writer from a 5145 seen separately', () => {
  // 5145 on the path (access check), the kernel write (Sysmon 11), then the start (4688).
  const alerts = detect(rules(), sources([
    share5145('2024-03-05T10:00:00.000Z', 'PSEXESVC.exe'),
    sysmon11('2024-03-05T10:00:00.050Z', 'C:\\Windows\\PSEXESVC.exe'),
    process4688('2024-03-05T10:00:00.300Z', 'C:\\Windows\\PSEXESVC.exe'),
  ]));
  // Both kinds of evidence fire their own rule; the strict one gets its writer from the WriterContext.
  assert.deepEqual(alerts.map((a) => a.ruleId).sort(), ['file-share-remote-exec', 'file-share-remote-exec-security-audit']);
  const strict = alerts.find((a) => a.ruleId === 'file-share-remote-exec')!;
  assert.equal(strict.writer?.ip, '10.0.0.66');
  assert.match(strict.writer!.evidence!, /5145/);
});

test('paths spelled in different case by the two logs still join (ShareLocalPath C:\\WINDOWS, 4688 C:\\Windows)', () => {
  const alerts = detect(rules(), sources([
    share5145('2024-03-05T10:00:00Z', 'Evil.EXE', { local: '\\??\\C:\\WINDOWS' }),
    process4688('2024-03-05T10:00:01Z', 'C:\\Windows\\evil.exe'),
  ]));
  assert.deepEqual(alerts.map((a) => a.ruleId), ['file-share-remote-exec-security-audit']);
  assert.equal(alerts[0]!.filePath, 'C:\\WINDOWS\\Evil.EXE', 'the path as the writer logged it');
  // Elastic's own rule keeps Elasticsearch semantics (case-sensitive keys): see elastic-equivalence.
});

test('service companion: System write then 7045 of that binary (%SystemRoot% expanded), low severity', () => {
  const alerts = detect(rules(), sources([
    sysmon11('2024-03-05T10:00:00Z', 'C:\\Windows\\BTOBTO.exe'),
    service7045('2024-03-05T10:00:03Z', '%SystemRoot%\\BTOBTO.exe'),
  ]));
  assert.deepEqual(alerts.map((a) => [a.ruleId, a.severity, a.filePath]), [['file-share-service-install', 'low', 'C:\\Windows\\BTOBTO.exe']]);
  const other = detect(rules(), sources([sysmon11('2024-03-05T10:00:00Z', 'C:\\Windows\\BTOBTO.exe'), service7045('2024-03-05T10:00:03Z', '%SystemRoot%\\other.exe')]));
  assert.deepEqual(other, []);
});
