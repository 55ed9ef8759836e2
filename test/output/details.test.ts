import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '../../src/alert/types.js';
import { detailsEntry, detailsText, eventDetails, userAndSource } from '../../src/output/details.js';
import { DETAILS_TABLE } from '../../src/output/details-table.js';
import { cutCommandLine, cutDetails, cutPath, cutWords } from '../../src/output/cut.js';
import { formatAlerts, formatCsv } from '../../src/output/index.js';
import { CSV_COLUMNS } from '../../src/output/csv.js';
import { sampleAlert } from './fixtures.js';

const sysmon1 = {
  event: { code: '1', category: ['process'], type: ['start'] },
  process: { executable: 'C:\\Windows\\System32\\cmd.exe', command_line: 'cmd.exe /c whoami', pid: 42, parent: { command_line: 'explorer.exe' } },
  user: { name: 'alice', domain: 'CORP' },
  winlog: { channel: 'Microsoft-Windows-Sysmon/Operational', event_id: '1', record_id: '9007199254740993' },
};
const logon = {
  event: { code: '4624', category: ['authentication'] },
  source: { ip: '10.0.0.5' },
  winlog: { channel: 'Security', event_id: 4624, record_id: 77, event_data: { TargetUserName: 'adm', TargetDomainName: 'CORP', LogonType: 3, IpAddress: '10.0.0.5' } },
};
const defendFile = { event: { category: ['file'], type: ['creation'] }, file: { path: 'C:\\x\\a.exe' }, process: { executable: 'System' } };

test('details: the table entry per event type, fields in table order, empty ones left out, ids as text', () => {
  const d = eventDetails(sysmon1);
  assert.deepEqual(d.fields, { Cmdline: 'cmd.exe /c whoami', Proc: 'C:\\Windows\\System32\\cmd.exe', User: 'alice', ParentCmdline: 'explorer.exe', PID: '42' });
  assert.equal(d.channel, 'Microsoft-Windows-Sysmon/Operational');
  assert.equal(d.eventId, '1');
  assert.equal(d.recordId, '9007199254740993', 'beyond 2^53, exact');
  assert.equal(detailsEntry(logon).name, 'Security 4624/4625/4648 logon');
  assert.deepEqual(eventDetails(logon).fields, { TgtUser: 'adm', TgtDomain: 'CORP', LogonType: '3', SrcIP: '10.0.0.5' });
  assert.equal(detailsEntry(defendFile).name, 'any file event (ECS)', 'no Windows ids: chosen by ECS category');
  assert.equal(detailsText(eventDetails(defendFile)), 'Path: C:\\x\\a.exe ¦ Proc: System');
  assert.equal(detailsEntry({}).name, 'fallback');
  // The table is data: a different table changes the choice without code.
  assert.deepEqual(eventDetails(sysmon1, [{ name: 'only', fields: [{ label: 'Who', paths: ['user.name'] }] }]).fields, { Who: 'alice' });
  assert.ok(DETAILS_TABLE.every((e, i) => (e.when === undefined) === (i === DETAILS_TABLE.length - 1)), 'exactly one fallback, last');
});

test('userAndSource: the matched events\' user and source address', () => {
  const a = sampleAlert({ writer: undefined, events: [{ file: 'f', event: logon }, { file: 'f', event: sysmon1 }] });
  assert.equal(userAndSource(a), 'CORP\\alice 10.0.0.5');
});

test('cut: paths keep the file name, words are not split, command lines keep program and end', () => {
  const path = 'C:\\Program Files\\Very Long Vendor Name\\Product\\bin\\payload.exe';
  const p = cutPath(path, 30);
  assert.ok(p.length <= 30, p);
  assert.match(p, /^C:\\Program Files\\…\\payload\.exe$/);
  assert.equal(cutPath('short.exe', 30), 'short.exe');
  const w = cutWords('Remote Execution via File Shares – Creation by System', 30);
  assert.ok(w.length <= 30);
  assert.match(w, /^Remote Execution via File…$/, w);
  const cmd = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -NoProfile -ExecutionPolicy Bypass -enc SQBFAFgAIAAoAE4AZQB3AC0A';
  const c = cutCommandLine(cmd, 50);
  assert.ok(c.length <= 50, c);
  assert.match(c, /^powershell\.exe …/);
  assert.match(c, /-enc SQBFAFgAIAAoAE4AZQB3AC0A$/);
  const d = cutDetails({ Cmdline: cmd, User: 'alice' }, 70, (f) => detailsText({ fields: f }));
  assert.ok(d.length <= 70, d);
  assert.match(d, /Cmdline: powershell\.exe ….*AC0A ¦ User: alice$/, d);
});

function alertWithUser(): Alert {
  return sampleAlert({ id: 's', ruleId: '0b1c2d3e-1111-2222-3333-444455556666', ruleName: 'Suspicious Whoami', writer: undefined, filePath: undefined, gapMs: 0, events: [{ file: 'f', event: sysmon1 }] });
}

test('table: WRITER only when an alert has a writer; USER / SOURCE for the others; single events show no gap', () => {
  const sigmaOnly = formatAlerts([alertWithUser()], 'table', { width: Number.POSITIVE_INFINITY });
  assert.doesNotMatch(sigmaOnly, /WRITER/);
  assert.match(sigmaOnly, /USER \/ SOURCE/);
  assert.match(sigmaOnly, /CORP\\alice/);
  assert.doesNotMatch(sigmaOnly, / 0 ms/);
  const mixed = formatAlerts([sampleAlert(), alertWithUser()], 'table', { width: Number.POSITIVE_INFINITY });
  const [head, , writerRow, userRow] = mixed.split('\n');
  assert.ok(head!.includes('WRITER') && head!.includes('USER / SOURCE'));
  assert.equal(writerRow!.indexOf('10.20.0.6'), head!.indexOf('WRITER'));
  assert.equal(userRow!.indexOf('CORP\\alice'), head!.indexOf('USER / SOURCE'));
  const packOnly = formatAlerts([sampleAlert()], 'table', { width: Number.POSITIVE_INFINITY });
  assert.doesNotMatch(packOnly, /USER \/ SOURCE/);
});

test('table: in a file or pipe no cell is cut; on a terminal paths keep their file name', () => {
  const long = `C:\\${'Very Long Folder\\'.repeat(10)}payload.exe`;
  const rule = 'A Rule Name Well Beyond Forty Characters Of Text For Sure';
  const a = sampleAlert({ filePath: long, ruleId: rule, events: [{ file: 'f', event: { ...sysmon1, process: { ...sysmon1.process, command_line: `cmd.exe /c ${'x'.repeat(300)} END` } } }] });
  const piped = formatAlerts([a], 'table', { width: Number.POSITIVE_INFINITY });
  assert.ok(piped.includes(long) && piped.includes(rule) && piped.includes(' END'));
  assert.doesNotMatch(piped, /…/);
  const tty = formatAlerts([a], 'table', { width: 150 });
  for (const line of tty.trimEnd().split('\n')) assert.ok(line.length <= 150, `${line.length}: ${line}`);
  assert.match(tty, /…\\payload\.exe/);
  assert.doesNotMatch(tty, /Beyond Fo…|Beyond Fort…/, 'not cut inside a word');
});

test('CSV: details, channel, event id and record id columns', () => {
  const rows = formatCsv([alertWithUser()]).trimEnd().split('\r\n');
  const head = rows[0]!.split(',');
  assert.deepEqual(head, [...CSV_COLUMNS]);
  assert.deepEqual(head.slice(-4), ['details', 'channel', 'event_id', 'record_id']);
  assert.match(rows[1]!, /Cmdline: cmd\.exe \/c whoami ¦ Proc: C:\\Windows\\System32\\cmd\.exe.*,Microsoft-Windows-Sysmon\/Operational,1,9007199254740993$/);
});

test('on a terminal, details give way before a rule name is cut to a prefix of another rule', () => {
  const a = sampleAlert({ ruleId: 'file-share-remote-exec-security-audit' });
  const b = sampleAlert({ ruleId: 'file-share-remote-exec' });
  const tty = formatAlerts([a, b], 'table', { width: 160 });
  for (const line of tty.trimEnd().split('\n')) assert.ok(line.length <= 160, `${line.length}: ${line}`);
  assert.match(tty, /file-share-remote-exec-security-audit/);
});
