/** Odd and malformed input never throws; unusual but valid shapes still map. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getField, type Event } from '../../src/events/field.js';
import { detectFlavour, eventHost, eventTime, toEcs, toNative } from '../../src/normalize/index.js';

const g = (ev: Event, path: string): unknown => getField(ev, path.split('.'));

const ODD: Event[] = [
  { Event: { System: {} } },
  { Event: { System: { EventID: { '#attributes': { Qualifiers: '' } } }, EventData: null } },
  { Event: { System: { EventID: 'abc', Channel: 5, Computer: 7 }, EventData: 'text' } },
  { Event: { System: { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational' }, EventData: { Image: 5, CommandLine: null, Hashes: 7, ProcessId: 'x', User: { a: 1 } } } },
  { Event: { System: { EventID: 5145, Channel: 'Security' }, UserData: [1, 2] } },
  { Event: { System: { EventID: 5145, Channel: 'Security' }, EventData: { ShareLocalPath: 3, RelativeTargetName: {}, AccessList: 9 } } },
  { Event: { System: { EventID: 7045, Channel: 'System', TimeCreated: { '#attributes': { SystemTime: 'not a time' } } }, EventData: { ImagePath: '"unterminated' } } },
  { winlog: { event_data: 'x', event_id: {} }, host: 'scalar', process: 5 },
  { winlog: {}, '@timestamp': 12 },
  { event_data: 5, log_name: 'Security' },
  { event: 'string', host: { name: 5 }, file: { path: 7 } },
  { 'event.category': 5, 'host.name': null },
  { event_type: 'process', serial_event_id: 'x', timestamp: 'yesterday', process_path: 1 },
  { event_type: 'file', timestamp: -5, user: 'kept' },
  { EventID: null, Channel: 'Security' },
  { EventID: '4688', Channel: 'Security', NewProcessId: 'zz', ProcessId: '0xZZ' },
  {},
];

test('malformed events of every flavour: no exception, a flavour, views, time and host or null', () => {
  for (const ev of ODD) {
    const label = JSON.stringify(ev);
    assert.doesNotThrow(() => {
      detectFlavour(ev);
      toEcs(ev);
      toNative(ev);
      eventTime(ev);
      eventHost(ev);
    }, label);
  }
});

test('evtx EventID with Qualifiers (`{#attributes, #text}`) and UserData fields', () => {
  const ev: Event = {
    Event: {
      System: {
        Provider: { '#attributes': { Name: 'Service Control Manager' } },
        EventID: { '#attributes': { Qualifiers: 16384 }, '#text': 7045 },
        Channel: 'System',
        Computer: 'HOST1.example.org',
        TimeCreated: { '#attributes': { SystemTime: '2016-09-21 03:41:02.542968' } },
      },
      EventData: { ServiceName: 'svc', ImagePath: '"C:\\Program Files\\A B\\svc.exe" -k run', ServiceType: 'user mode service' },
    },
  };
  const ecs = toEcs(ev);
  assert.equal(g(ecs, 'event.code'), '7045');
  assert.equal(g(ecs, 'file.path'), 'C:\\Program Files\\A B\\svc.exe');
  assert.equal(g(ecs, 'service.executable'), '"C:\\Program Files\\A B\\svc.exe" -k run');
  assert.deepEqual(eventTime(ev), { ms: Date.parse('2016-09-21T03:41:02.542Z'), ns: 968000 });
  assert.equal(toNative(ev)['EventID'], 7045);
  assert.equal(eventHost(ev), 'host1.example.org');

  const ud: Event = {
    Event: {
      System: { EventID: 1102, Channel: 'Security', Computer: 'DC1' },
      UserData: { LogFileCleared: { '#attributes': { xmlns: 'x' }, SubjectUserName: 'admin', SubjectDomainName: 'CORP' } },
    },
  };
  assert.equal(toNative(ud)['SubjectUserName'], 'admin');
  assert.equal(g(toEcs(ud), 'user.name'), 'admin');
  assert.equal(g(toEcs(ud), 'event.action'), 'audit-log-cleared');
});

test('Winlogbeat shipped without the ingest pipeline: ECS filled from winlog.event_data, nothing overwritten', () => {
  const ev: Event = {
    '@timestamp': '2020-08-27T11:40:56.625Z',
    host: { name: 'collector' },
    winlog: {
      channel: 'Microsoft-Windows-Sysmon/Operational',
      event_id: 1,
      computer_name: 'WS1.corp',
      provider_name: 'Microsoft-Windows-Sysmon',
      event_data: {
        UtcTime: '2020-08-27 11:40:56.610',
        ProcessId: '4320',
        Image: 'C:\\Windows\\PSEXESVC.exe',
        CommandLine: 'C:\\WINDOWS\\PSEXESVC.exe',
        ParentImage: 'C:\\Windows\\System32\\services.exe',
        User: 'NT AUTHORITY\\SYSTEM',
      },
    },
  };
  const ecs = toEcs(ev);
  assert.equal(ecs, ev);
  assert.equal(g(ecs, 'process.executable'), 'C:\\Windows\\PSEXESVC.exe');
  assert.equal(g(ecs, 'process.pid'), 4320);
  assert.equal(g(ecs, 'process.parent.name'), 'services.exe');
  assert.deepEqual(g(ecs, 'event.category'), ['process']);
  assert.equal(g(ecs, 'host.name'), 'collector', 'kept');
  assert.equal(g(ecs, 'host.id'), 'ws1.corp', 'the computer that logged it');
  assert.equal(g(ecs, '@timestamp'), '2020-08-27T11:40:56.625Z', 'kept');
  (g(ecs, 'event.category') as string[]).push('mutable');
  assert.equal(toNative(ev)['Image'], 'C:\\Windows\\PSEXESVC.exe');
});

test('Security-Datasets (nxlog) flat event: envelope fields stay out of winlog.event_data', () => {
  const ev: Event = {
    '@timestamp': '2020-10-19T07:30:42.900Z',
    Hostname: 'WORKSTATION5.theshire.local',
    Keywords: -9223372036854775808n,
    SeverityValue: 2,
    Severity: 'INFO',
    EventID: 11,
    SourceName: 'Microsoft-Windows-Sysmon',
    TaskValue: 11,
    RecordNumber: 44,
    ExecutionProcessID: 3132,
    Channel: 'Microsoft-Windows-Sysmon/Operational',
    Message: 'File created: …',
    UtcTime: '2020-10-19 07:30:42.056',
    ProcessId: '4',
    Image: 'System',
    TargetFilename: 'C:\\Windows\\PSEXESVC.exe',
    EventReceivedTime: '2020-10-19 03:30:44',
    tags: ['mordorDataset'],
  };
  assert.equal(detectFlavour(ev), 'flat');
  const ecs = toEcs(ev);
  assert.deepEqual(Object.keys(g(ecs, 'winlog.event_data') as object).sort(), ['Image', 'ProcessId', 'TargetFilename', 'UtcTime']);
  assert.equal(g(ecs, '@timestamp'), '2020-10-19T07:30:42.056Z', 'Sysmon UtcTime first');
  assert.equal(g(ecs, 'process.pid'), 4);
  assert.equal(g(ecs, 'file.extension'), 'exe');
  assert.equal(g(ecs, 'winlog.record_id'), '44');
  assert.equal(eventHost(ev), 'workstation5.theshire.local');
  const n = toNative(ev);
  assert.equal(n['Provider_Name'], 'Microsoft-Windows-Sysmon');
  assert.equal(n['Computer'], 'WORKSTATION5.theshire.local');
  assert.equal(n['TargetFilename'], 'C:\\Windows\\PSEXESVC.exe');
});

test('a built ECS view passed around again answers from its origin: same time, host, native view; no re-normalization', () => {
  const ev: Event = {
    Event: {
      System: {
        Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
        EventID: 1,
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: 'WS2.corp',
        TimeCreated: { '#attributes': { SystemTime: '2021-01-01T00:00:00.1234567Z' } },
      },
      EventData: { Image: 'C:\\x\\a.exe', ProcessId: 10, CommandLine: 'a.exe -q' },
    },
  };
  const ecs = toEcs(ev);
  assert.notEqual(ecs, ev);
  assert.equal(toEcs(ecs), ecs);
  assert.deepEqual(eventTime(ecs), eventTime(ev));
  assert.deepEqual(eventTime(ev), { ms: Date.parse('2021-01-01T00:00:00.123Z'), ns: 456700 });
  assert.equal(eventHost(ecs), 'ws2.corp');
  assert.equal(toNative(ecs), toNative(ev));
  assert.equal(JSON.stringify(ecs).includes('spoor.normalize'), false, 'the cache is invisible');
  assert.deepEqual(Object.keys({ ...ev }), ['Event']);

  const endgame: Event = { event_type: 'process', serial_event_id: 3, timestamp: 131485997150000000n, pid: 4 };
  const e2 = toEcs(endgame);
  assert.equal(toEcs(e2), e2);
  assert.deepEqual(eventTime(e2), eventTime(endgame));
  assert.equal(toNative(e2), endgame);
});
