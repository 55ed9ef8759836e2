/** Events that arrive in ECS (Defend, Winlogbeat 7+, Winlogbeat 6): flavour, in-place completion, native view. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getField, type Event } from '../../src/events/field.js';
import { detectFlavour, eventHost, eventTime, toEcs, toNative } from '../../src/normalize/index.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { ndjson } from './helpers.js';

const g = (ev: Event, path: string): unknown => getField(ev, path.split('.'));

test('Defend: identity ECS view completed with nothing to add; native view synthesises Sysmon EventID/Channel', (t) => {
  const path = sharedOrSkip(t, 'datasets/ecs-derived/POS_psexesvc_remote_copy.defend.ndjson');
  if (!path) return;
  const [write, exec] = ndjson(path) as [Event, Event];
  assert.equal(detectFlavour(write), 'elastic-defend');
  assert.equal(toEcs(write), write, 'same object');
  assert.equal(eventHost(write), '446f993b-d3d6-57b6-86ad-ff8790cea599', 'Defend host.id kept');
  const nw = toNative(write);
  assert.equal(nw['EventID'], 11);
  assert.equal(nw['Channel'], 'Microsoft-Windows-Sysmon/Operational');
  assert.equal(nw['TargetFilename'], 'C:\\Windows\\PSEXESVC.exe');
  assert.equal(nw['ProcessId'], 4);
  assert.equal(nw['Computer'], '04246w-win10');
  const ne = toNative(exec);
  assert.equal(ne['EventID'], 1);
  assert.equal(ne['Image'], 'C:\\Windows\\PSEXESVC.exe');
  assert.equal(ne['CommandLine'], 'C:\\WINDOWS\\PSEXESVC.exe');
  assert.equal(ne['ParentImage'], 'C:\\Windows\\System32\\services.exe');
  assert.equal(ne['ParentProcessId'], 632);
  assert.equal(ne['TargetFilename'], undefined, 'file fields only for file events');
  assert.equal(toNative(exec), ne, 'cached');
});

test('Winlogbeat 7+: host.id from the logging computer; native view from event_data plus ECS read back', (t) => {
  const path = sharedOrSkip(t, 'datasets/ecs-derived/POS_psexesvc_remote_copy.winlogbeat.ndjson');
  if (!path) return;
  const [write, exec] = ndjson(path) as [Event, Event];
  assert.equal(toEcs(exec), exec, 'same object, completed in place');
  assert.equal(g(exec, 'host.id'), '04246w-win10.threebeesco.com');
  assert.equal(g(exec, 'host.os.type'), 'windows');
  assert.equal(g(exec, 'process.hash.md5'), '75b55bb34dac9d02740b9ad6b6820360', 'Hashes parsed as the pipeline would');
  assert.equal(g(exec, 'user.name'), 'SYSTEM');
  assert.equal(g(exec, 'process.executable'), 'C:\\Windows\\PSEXESVC.exe', 'existing value untouched');
  const ne = toNative(exec);
  assert.equal(ne['EventID'], 1);
  assert.equal(ne['Channel'], 'Microsoft-Windows-Sysmon/Operational');
  assert.equal(ne['Image'], 'C:\\Windows\\PSEXESVC.exe');
  assert.equal(ne['User'], 'NT AUTHORITY\\SYSTEM');
  assert.equal(ne['IntegrityLevel'], 'System');
  const nw = toNative(write);
  assert.equal(nw['EventID'], 11);
  assert.equal(nw['TargetFilename'], 'C:\\Windows\\PSEXESVC.exe');
  assert.equal(nw['Image'], 'System');
});

test('Winlogbeat golden sample (8.x ECS): flavour, native view names, args kept', (t) => {
  const path = sharedOrSkip(t, 'datasets/ecs-derived/beats_sysmon-12-processcreate.golden.json');
  if (!path) return;
  const [ev] = JSON.parse(readFileSync(path, 'utf8')) as Event[];
  assert.ok(ev);
  assert.equal(detectFlavour(ev), 'winlogbeat');
  toEcs(ev);
  assert.equal(g(ev, 'host.id'), 'vagrant');
  assert.deepEqual(g(ev, 'process.args'), ['C:\\Windows\\system32\\notepad.exe']);
  const n = toNative(ev);
  assert.equal(n['Image'], 'C:\\Windows\\System32\\notepad.exe');
  assert.equal(n['ParentImage'], 'C:\\Windows\\explorer.exe');
  assert.equal(n['Hashes'], 'SHA1=B6D237154F2E528F0B503B58B025862D66B02B73');
  assert.equal(n['Company'], 'Microsoft Corporation');
  assert.equal(eventTime(ev)?.ms, Date.parse('2020-10-27T20:00:14.320Z'));
});

test('Winlogbeat 6 (top-level event_data, WEF collector): full ECS view, host from computer_name', (t) => {
  const path = sharedOrSkip(t, 'datasets/ecs-derived/winlogbeat6_samples_from_empire_scm_dll_hijack_ikeext.ndjson');
  if (!path) return;
  const events = ndjson(path);
  assert.equal(events.length, 14);
  for (const e of events) {
    assert.equal(detectFlavour(e), 'winlogbeat');
    const ecs = toEcs(e);
    const data = e['event_data'] as Record<string, unknown>;
    assert.equal(g(ecs, 'event.code'), String(e['event_id']));
    assert.equal(g(ecs, 'host.id'), String(e['computer_name']).toLowerCase(), 'not the collector');
    assert.equal(g(ecs, 'winlog.channel'), e['log_name']);
    if (e['event_id'] === 1) {
      assert.equal(g(ecs, 'process.executable'), data['Image']);
      assert.equal(g(ecs, 'process.pid'), Number(data['ProcessId']));
    }
    const n = toNative(e);
    assert.equal(n['EventID'], e['event_id']);
    assert.equal(n['Channel'], e['log_name']);
    assert.equal(n['Computer'], e['computer_name']);
    for (const [k, v] of Object.entries(data)) assert.equal(n[k], v);
  }
});

test('flavours of hand-made minimal events', () => {
  assert.equal(detectFlavour({ event_type: 'process', serial_event_id: 1, timestamp: 1 }), 'endgame');
  assert.equal(detectFlavour({ EventID: 4688, Channel: 'Security', NewProcessName: 'x' }), 'flat');
  assert.equal(detectFlavour({ 'winlog.channel': 'Security', 'event.code': '4688' }), 'winlogbeat');
  assert.equal(detectFlavour({ 'event.category': 'process', 'process.pid': 4 }), 'ecs');
  assert.equal(detectFlavour({ agent: { type: 'endpoint' }, event: { category: ['process'] } }), 'elastic-defend');
  assert.equal(detectFlavour({ hello: 'world' }), 'unknown');
  const odd = { hello: 'world' };
  assert.equal(toEcs(odd), odd);
  assert.equal(toNative(odd), odd);
  assert.equal(eventTime(odd), null);
  assert.equal(eventHost(odd), null);
});

test('generic ECS with dotted keys: host.id from host.name, names derived, native view by category', () => {
  const ev: Event = {
    '@timestamp': '2024-01-02T03:04:05.123456789Z',
    'event.category': ['file'],
    'event.type': ['creation'],
    'host.name': 'WS1.Corp.Example',
    'host.os.family': 'windows',
    'file.path': 'C:\\Temp\\EVIL.EXE',
    'process.pid': 4,
  };
  const ecs = toEcs(ev);
  assert.equal(ecs, ev);
  assert.equal(g(ecs, 'host.id'), 'ws1.corp.example');
  assert.equal(g(ecs, 'host.os.type'), 'windows');
  assert.equal(g(ecs, 'file.extension'), 'exe', 'lower-case');
  assert.equal(g(ecs, 'file.name'), 'EVIL.EXE');
  assert.deepEqual(eventTime(ev), { ms: Date.parse('2024-01-02T03:04:05.123Z'), ns: 456789 });
  const n = toNative(ev);
  assert.equal(n['EventID'], 11);
  assert.equal(n['TargetFilename'], 'C:\\Temp\\EVIL.EXE');
  assert.equal(n['ProcessId'], 4);
});

test('Defend file events: creation and overwrite are Sysmon 11, other changes have no equivalent', () => {
  const file = (type: string, action: string): Event => ({
    event: { category: ['file'], type: [type], action, module: 'endpoint' },
    file: { path: 'C:\\x\\a.exe' },
  });
  assert.equal(toNative(file('creation', 'creation'))['EventID'], 11);
  assert.equal(toNative(file('change', 'overwrite'))['EventID'], 11);
  assert.equal(toNative(file('change', 'rename'))['EventID'], undefined);
  assert.equal(toNative(file('deletion', 'deletion'))['EventID'], 23);
});

test('views of a frozen event are cached apart; an event frozen after its views keeps them', () => {
  // A frozen event cannot take the views symbol: its views live in a WeakMap (normalize/index.ts).
  const frozen = Object.freeze({ '@timestamp': '2024-01-02T03:04:05.000000100Z', event: Object.freeze({ category: ['process'] }), host: Object.freeze({ id: 'h1' }) }) as Event;
  const native = toNative(frozen);
  assert.equal(toNative(frozen), native, 'native view cached for a frozen event');
  assert.equal(toEcs(frozen), frozen);
  assert.deepEqual(eventTime(frozen), { ms: Date.UTC(2024, 0, 2, 3, 4, 5), ns: 100 });
  assert.equal(eventHost(frozen), 'h1');
  assert.equal(detectFlavour(frozen), 'ecs');
  const later: Event = { '@timestamp': '2024-01-02T03:04:05Z', event: { category: ['file'] }, host: { name: 'WS' } };
  const nv = toNative(later);
  Object.freeze(later);
  assert.equal(toNative(later), nv, 'views attached before freezing are still read');
  assert.equal(eventHost(later), 'ws');
});
