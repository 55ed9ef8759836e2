/**
 * One alert per distinct matched event (issue 10, item 3): the alert id hashes the rule id and
 * each matched event's identity (host + channel + record id + time, or time + content), so
 * records at the same instant stay apart and the same record read twice stays one alert.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAlert } from '../../src/alert/build.js';
import { orderAlerts } from '../../src/alert/order.js';
import { eventIdentity } from '../../src/alert/event-identity.js';
import { runHunt } from '../../src/hunt/run.js';
import type { Rule } from '../../src/ir/types.js';
import type { Alert } from '../../src/alert/types.js';
import { sharedOrSkip } from '../helpers/shared.js';

const rule = { id: 'r-1', name: 'r', severity: 'high', query: { kind: 'event', query: { category: null, where: null } } } as unknown as Rule;
const share = (recordId: number | string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  '@timestamp': '2019-01-19T13:00:10.7112073Z',
  host: { name: 'PC01.example.corp' },
  event: { code: '5145', provider: 'Microsoft-Windows-Security-Auditing' },
  winlog: { channel: 'Security', record_id: recordId, event_data: { RelativeTargetName: 'PSEXESVC.exe' } },
  ...extra,
});

test('three records at the same 100 ns instant are three alerts; the same record twice is one', () => {
  const ids = [84050, 84051, 84052].map((r) => buildAlert(rule, { events: [share(r)] }, [{ file: 'a.evtx', position: r }]).id);
  assert.equal(new Set(ids).size, 3);
  const again = buildAlert(rule, { events: [share(84051)] }, [{ file: 'copy/b.evtx', position: 7 }]).id;
  assert.equal(again, ids[1], 'the same record from another file has the same id');
  // Exact beyond 2^53: record ids that differ only past double precision stay apart.
  const big = ['9007199254740993', '9007199254740992'].map((r) => buildAlert(rule, { events: [share(r)] }, []).id);
  assert.notEqual(big[0], big[1]);
  // The same record id on another host, channel or time is another event.
  assert.notEqual(buildAlert(rule, { events: [share(84050, { host: { name: 'PC02' } })] }, []).id, ids[0]);
  assert.notEqual(buildAlert(rule, { events: [share(84050, { '@timestamp': '2019-01-19T13:00:10.7112074Z' })] }, []).id, ids[0]);
  const alerts = [...ids, again].map((id) => ({ id, ruleId: 'r-1', host: 'h', firstTime: 't', lastTime: 't', events: [] }) as unknown as Alert);
  assert.equal(orderAlerts(alerts).length, 3);
});

test('JSON events without a record id: identity is time + content, not file position', () => {
  const ev = (cmd: string): Record<string, unknown> => ({ '@timestamp': '2024-01-01T00:00:00Z', host: { name: 'h' }, process: { command_line: cmd } });
  const a = buildAlert(rule, { events: [ev('x')] }, [{ file: 'a.ndjson', position: 1 }]).id;
  const b = buildAlert(rule, { events: [ev('x')] }, [{ file: 'b.ndjson', position: 9 }]).id;
  const c = buildAlert(rule, { events: [ev('y')] }, [{ file: 'a.ndjson', position: 2 }]).id;
  assert.equal(a, b);
  assert.notEqual(a, c);
  // Key order does not matter (two shippers may order fields differently).
  const reordered = { process: { command_line: 'x' }, host: { name: 'h' }, '@timestamp': '2024-01-01T00:00:00Z' };
  assert.equal(buildAlert(rule, { events: [reordered] }, []).id, a);
  assert.match(a, /^[0-9a-f]{20}$/);
});

test('renamed PsExec 5145 records at one instant: one alert each, and no duplicate when the file is given twice', async (t) => {
  const evtx = sharedOrSkip(t, 'datasets/evtx-attack-samples/Lateral Movement/LM_renamed_psexecsvc_5145.evtx');
  const ruleFile = sharedOrSkip(t, 'conformance/sigma/rules/windows/builtin/security/win_security_lm_namedpipe.yml');
  if (!evtx || !ruleFile) return;
  const dir = mkdtempSync(join(tmpdir(), 'spoor-identity-'));
  try {
    mkdirSync(join(dir, 'rules'));
    mkdirSync(join(dir, 'copy'));
    copyFileSync(ruleFile, join(dir, 'rules', 'rule.yml'));
    copyFileSync(evtx, join(dir, 'copy', 'second.evtx'));
    writeFileSync(join(dir, 'empty.txt'), '');
    const once = await runHunt({ inputs: [evtx], sigmaDirs: [join(dir, 'rules')], workers: 0, progress: false });
    const sameInstant = once.alerts.filter((a) => a.firstTime === '2019-01-19T13:00:10.7112073Z');
    assert.equal(sameInstant.length, 3, 'three records at the same instant → three alerts');
    assert.equal(new Set(once.alerts.map((a) => a.id)).size, once.alerts.length);
    const twice = await runHunt({ inputs: [evtx, join(dir, 'copy', 'second.evtx')], sigmaDirs: [join(dir, 'rules')], workers: 0, progress: false });
    assert.deepEqual(twice.alerts.map((a) => a.id).sort(), once.alerts.map((a) => a.id).sort(), 'the same log in two files: no duplicate');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an event identity remembered on the event is not carried by a copy that differs', () => {
  const ev = { '@timestamp': '2024-01-01T00:00:00Z', host: { name: 'a' }, process: { name: 'x.exe' } };
  const at = { ms: Date.parse('2024-01-01T00:00:00Z'), ns: 0 };
  const id = eventIdentity(ev, at);
  assert.equal(eventIdentity(ev, at), id, 'the same event, the same identity');
  assert.notEqual(eventIdentity({ ...ev, process: { name: 'y.exe' } }, at), id, 'a changed copy has its own');
  assert.notEqual(eventIdentity(ev, { ms: at.ms, ns: 1 }), id, 'another time, another identity');
  assert.equal(eventIdentity(JSON.parse(JSON.stringify(ev)) as typeof ev, at), id, 'an equal copy has the same');
});
