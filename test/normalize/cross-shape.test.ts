/**
 * The same real Sysmon events in three shapes (raw EVTX, Elastic Defend, Winlogbeat) must give the
 * same ECS values for every field the file-share rule reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getField, parseFieldPath, type Event } from '../../src/events/field.js';
import { detectFlavour, eventHost, eventTime, toEcs } from '../../src/normalize/index.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { byRecordId, evtxRecords, ndjson, toFlatShape } from './helpers.js';

const RULE_FIELDS = [
  'host.os.type',
  'event.category',
  'event.type',
  'process.pid',
  'process.executable',
  'process.name',
  'file.path',
  'file.name',
  'file.extension',
  'process.parent.executable',
  'process.parent.pid',
  'process.command_line',
  'process.parent.command_line',
];

const CASES = [
  { derived: 'POS_psexesvc_remote_copy', evtx: 'Lateral Movement/remote_file_copy_system_proc_file_write_sysmon_11.evtx' },
  { derived: 'NEG_smbmap_dll_upload_rundll32', evtx: 'Lateral Movement/smbmap_upload_exec_sysmon.evtx' },
  { derived: 'NEG_startup_folder_write_no_exec', evtx: 'Lateral Movement/lateral_movement_startup_3_11.evtx' },
];

function field(ev: Event, path: string): unknown {
  const v = getField(ev, parseFieldPath(path));
  // Defend writes "System" for process.executable only when it has one: compare what both have.
  return v;
}

function recordIdOf(ev: Event): number {
  const tag = (ev['tags'] as string[]).find((t) => t.startsWith('source:'))!;
  return Number(tag.slice(tag.indexOf('#') + 1));
}

function firstLabel(host: unknown): string {
  return String(host).toLowerCase().split('.')[0]!;
}

for (const c of CASES) {
  test(`${c.derived}: EVTX, flat, Defend and Winlogbeat shapes give the same ECS rule fields`, async (t) => {
    const raw = await evtxRecords(t, 'datasets/evtx-attack-samples', c.evtx);
    const defendPath = sharedOrSkip(t, 'datasets/ecs-derived', `${c.derived}.defend.ndjson`);
    const wlbPath = sharedOrSkip(t, 'datasets/ecs-derived', `${c.derived}.winlogbeat.ndjson`);
    if (!raw || !defendPath || !wlbPath) return;
    const records = byRecordId(raw);
    const defend = ndjson(defendPath);
    const winlogbeat = ndjson(wlbPath);
    assert.equal(defend.length, winlogbeat.length);
    assert.ok(defend.length > 0);
    let compared = 0;
    for (let i = 0; i < defend.length; i++) {
      const d = defend[i]!;
      const w = winlogbeat[i]!;
      const rec = records.get(recordIdOf(d));
      assert.ok(rec, `record ${recordIdOf(d)} is in ${c.evtx}`);
      assert.equal(detectFlavour(d), 'elastic-defend');
      assert.equal(detectFlavour(w), 'winlogbeat');
      assert.equal(detectFlavour(rec), 'evtx');
      const flat = toFlatShape(rec);
      assert.equal(detectFlavour(flat), 'flat');
      const shapes = { evtx: toEcs(rec), flat: toEcs(flat), defend: toEcs(d), winlogbeat: toEcs(w) };
      for (const f of RULE_FIELDS) {
        const want = field(shapes.evtx, f);
        for (const [name, ecs] of Object.entries(shapes)) {
          const got = field(ecs, f);
          // Derived files leave out some fields (no command line on file events, no executable for
          // System in Defend): compare every field the derived shape has.
          if (got === undefined && name === 'defend') continue;
          assert.deepEqual(got, want, `${c.derived} record ${recordIdOf(d)} ${f} (${name})`);
        }
        if (want !== undefined) compared++;
      }
      // Time: the derived files carry Sysmon's UtcTime to the millisecond.
      const times = [rec, flat, d, w].map((e) => eventTime(e));
      for (const tm of times) assert.ok(tm);
      for (const tm of times.slice(1)) assert.equal(tm!.ms, times[0]!.ms, `${c.derived} @timestamp`);
      assert.equal(new Date(String(shapes.evtx['@timestamp'])).getTime(), times[0]!.ms);
      // Host: Defend has a short host name, Sysmon an FQDN; the first label agrees.
      for (const ecs of Object.values(shapes)) {
        assert.equal(firstLabel(getField(ecs, ['host', 'name'])), firstLabel(getField(shapes.evtx, ['host', 'name'])));
      }
      assert.equal(eventHost(rec), eventHost(flat));
      assert.equal(eventHost(rec), eventHost(w));
    }
    assert.ok(compared > 0);
  });
}

test('P1: the raw Sysmon 11 → 1 pair satisfies the file-share rule field conditions after normalization', async (t) => {
  const raw = await evtxRecords(t, 'datasets/evtx-attack-samples', CASES[0]!.evtx);
  if (!raw) return;
  const records = byRecordId(raw);
  const write = toEcs(records.get(263572)!);
  const exec = toEcs(records.get(263573)!);
  assert.equal(getField(write, ['host', 'os', 'type']), 'windows');
  assert.deepEqual(getField(write, ['event', 'category']), ['file']);
  assert.ok((getField(write, ['event', 'type']) as string[]).includes('creation'));
  assert.equal(getField(write, ['process', 'pid']), 4);
  assert.equal(getField(write, ['file', 'extension']), 'exe');
  assert.deepEqual(getField(exec, ['event', 'category']), ['process']);
  assert.ok((getField(exec, ['event', 'type']) as string[]).includes('start'));
  assert.equal(getField(exec, ['process', 'executable']), getField(write, ['file', 'path']));
  assert.equal(getField(write, ['file', 'path']), 'C:\\Windows\\PSEXESVC.exe');
  const hostId = getField(write, ['host', 'id']);
  assert.equal(hostId, '04246w-win10.threebeesco.com');
  assert.equal(getField(exec, ['host', 'id']), hostId);
  const gap = eventTime(records.get(263573)!)!.ms - eventTime(records.get(263572)!)!.ms;
  assert.ok(gap > 0 && gap < 60_000, `0 < ${gap} ms < 1 min`);
});

test('P1 through python-evtx XML and spoor XML reader: same ECS rule fields as through the EVTX reader', async (t) => {
  const evtx = sharedOrSkip(t, 'datasets/evtx-attack-samples', CASES[0]!.evtx);
  if (!evtx) return;
  const { existsSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const dumper = '/usr/bin/evtx_dump.py';
  if (!existsSync(dumper)) {
    t.skip('python-evtx (evtx_dump.py) is not installed: apt-get install -y python3-evtx');
    return;
  }
  const xml = execFileSync(dumper, [evtx], { maxBuffer: 64 * 1024 * 1024 });
  const { readByteStream } = await import('../../src/sources/index.js');
  const fromXml: Event[] = [];
  async function* once(): AsyncIterable<Uint8Array> {
    yield xml;
  }
  for await (const batch of readByteStream(once(), 'p1.xml', () => {})) for (const s of batch) fromXml.push(s.event);
  const raw = await evtxRecords(t, 'datasets/evtx-attack-samples', CASES[0]!.evtx);
  if (!raw) return;
  assert.equal(fromXml.length, raw.length);
  for (let i = 0; i < raw.length; i++) {
    assert.equal(detectFlavour(fromXml[i]!), 'evtx');
    const a = toEcs(fromXml[i]!);
    const b = toEcs(raw[i]!);
    for (const f of [...RULE_FIELDS, 'host.id', '@timestamp', 'event.code']) {
      assert.deepEqual(field(a, f), field(b, f), `${f} (XML vs EVTX)`);
    }
    // python-evtx prints SystemTime to the microsecond, spoor's reader to 100 ns.
    const ca = Date.parse(String(getField(a, ['event', 'created'])));
    const cb = Date.parse(String(getField(b, ['event', 'created'])));
    assert.equal(ca, cb);
  }
});
