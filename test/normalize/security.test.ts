/** Security and System log events from real EVTX files: 5145, 4688, 7045, 4624. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getField, type Event } from '../../src/events/field.js';
import { eventHost, toEcs, toNative } from '../../src/normalize/index.js';
import { byRecordId, evtxRecords } from './helpers.js';

function eventId(ev: Event): number {
  const id = (ev['Event'] as { System: { EventID: unknown } }).System.EventID;
  return Number(typeof id === 'object' && id !== null ? (id as { '#text': unknown })['#text'] : id);
}

const g = (ev: Event, path: string): unknown => getField(ev, path.split('.'));

test('5145 on ADMIN$: file.path joins ShareLocalPath and RelativeTargetName; access list decoded', async (t) => {
  const raw = await evtxRecords(t, 'datasets/evtx-attack-samples', 'Lateral Movement/LM_REMCOM_5145_TargetHost.evtx');
  if (!raw) return;
  const write = toEcs(byRecordId(raw).get(237286)!);
  assert.equal(g(write, 'event.code'), '5145');
  assert.deepEqual(g(write, 'event.category'), ['network']);
  assert.equal(g(write, 'winlog.event_data.ShareName'), '\\\\*\\ADMIN$');
  assert.equal(g(write, 'file.path'), 'C:\\Windows\\System32\\RemComSvc.exe');
  assert.equal(g(write, 'file.name'), 'RemComSvc.exe');
  assert.equal(g(write, 'file.extension'), 'exe');
  assert.equal(typeof g(write, 'source.ip'), 'string');
  assert.equal(typeof g(write, 'source.port'), 'number');
  assert.equal(typeof g(write, 'user.name'), 'string');
  const raw5145 = g(write, 'winlog.event_data.AccessList') as string;
  assert.match(raw5145, /%%4417/, 'raw access list kept');
  const decoded = g(write, 'winlog.event_data.AccessListDescription') as string[];
  assert.ok(decoded.includes('WriteData (or AddFile)'));
  assert.ok(decoded.includes('AppendData (or AddSubdirectory or CreatePipeInstance)'));
  // The source event's EventData is not modified by normalization.
  const src = (byRecordId(raw).get(237286)!['Event'] as { EventData: Record<string, unknown> }).EventData;
  assert.equal(src['AccessListDescription'], undefined);
  // A share root: `\??\C:\` + `\` is `C:\`.
  const root = raw.map(toEcs).find((e) => g(e, 'winlog.event_data.RelativeTargetName') === '\\');
  if (root) assert.match(String(g(root, 'file.path')), /^[A-Z]:\\$|\\[^\\]+$/i);
  // IPC$ has no local path: no file.path is invented.
  const ipc = raw.map(toEcs).find((e) => g(e, 'winlog.event_data.ShareName') === '\\\\*\\IPC$');
  assert.ok(ipc);
  assert.equal(g(ipc, 'file.path'), undefined);
});

test('7045 then 4688 (metasploit psexec): service image and the started process line up', async (t) => {
  const sys = await evtxRecords(t, 'datasets/deepbluecli', 'metasploit-psexec-native-target-system.evtx');
  const sec = await evtxRecords(t, 'datasets/deepbluecli', 'metasploit-psexec-native-target-security.evtx');
  if (!sys || !sec) return;
  const install = toEcs(sys.find((e) => eventId(e) === 7045)!);
  assert.deepEqual(g(install, 'event.category'), ['configuration']);
  assert.equal(g(install, 'service.name'), 'KgXItsbKgTJzdzwl');
  assert.equal(g(install, 'service.executable'), '%SYSTEMROOT%\\duKhLYUX.exe', 'raw image path kept');
  assert.equal(g(install, 'file.path'), '%SYSTEMROOT%\\duKhLYUX.exe');
  assert.equal(g(install, 'spoor.expanded_path'), 'C:\\Windows\\duKhLYUX.exe');
  assert.equal(g(install, 'service.type'), 'user mode service');

  const start = toEcs(sec.find((e) => eventId(e) === 4688)!);
  assert.deepEqual(g(start, 'event.category'), ['process']);
  assert.deepEqual(g(start, 'event.type'), ['start']);
  assert.equal(g(start, 'process.executable'), 'C:\\Windows\\duKhLYUX.exe');
  assert.equal(g(start, 'process.pid'), 0xea0, 'NewProcessId is hex');
  assert.equal(g(start, 'process.parent.pid'), 0x1e8, 'ProcessId of 4688 is the creator');
  assert.equal(g(start, 'process.name'), 'duKhLYUX.exe');
  assert.equal(g(start, 'user.name'), 'IE10WIN7$');
  assert.equal(g(start, 'spoor.expanded_path'), undefined);
  assert.equal(g(install, 'spoor.expanded_path'), g(start, 'process.executable'));
  assert.equal(eventHost(sys.find((e) => eventId(e) === 7045)!), 'ie10win7');

  const native = toNative(sec.find((e) => eventId(e) === 4688)!);
  assert.equal(native['EventID'], 4688);
  assert.equal(native['Channel'], 'Security');
  assert.equal(native['NewProcessName'], 'C:\\Windows\\duKhLYUX.exe');
  assert.equal(native['Provider_Name'], 'Microsoft-Windows-Security-Auditing');
});

test('4624 network logon: logon type, source address, the account that logged on', async (t) => {
  const raw = await evtxRecords(t, 'datasets/evtx-attack-samples', 'Lateral Movement/LM_WMI_4624_4688_TargetHost.evtx');
  if (!raw) return;
  const logon = toEcs(byRecordId(raw).get(563285)!);
  assert.deepEqual(g(logon, 'event.category'), ['authentication']);
  assert.equal(g(logon, 'event.outcome'), 'success');
  assert.equal(g(logon, 'winlog.logon.type'), 'Network');
  assert.equal(g(logon, 'winlog.event_data.LogonType'), 3, 'raw logon type kept');
  assert.equal(g(logon, 'user.name'), 'Administrator');
  assert.equal(g(logon, 'user.domain'), 'EXAMPLE');
  assert.equal(g(logon, 'source.ip'), '10.0.2.17');
  assert.equal(g(logon, 'source.port'), 49244);
  assert.equal(g(logon, 'process.pid'), undefined, 'ProcessId 0x0 means none');
});

test('4720 / 4732 account management: the target account and group', async (t) => {
  const raw = await evtxRecords(t, 'datasets/deepbluecli', 'new-user-security.evtx');
  if (!raw) return;
  const created = toEcs(raw.find((e) => eventId(e) === 4720)!);
  assert.deepEqual(g(created, 'event.category'), ['iam']);
  assert.deepEqual(g(created, 'event.type'), ['user', 'creation']);
  assert.equal(typeof g(created, 'user.target.name'), 'string');
  assert.equal(typeof g(created, 'user.name'), 'string');
  const added = toEcs(raw.find((e) => eventId(e) === 4732)!);
  assert.equal(g(added, 'event.action'), 'added-member-to-group');
  assert.equal(typeof g(added, 'group.name'), 'string');
});
