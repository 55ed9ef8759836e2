import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sharedOrSkip } from '../helpers/shared.js';
import { runCli } from './run-cli.js';

const ENDGAME = ['conformance', 'eql', 'endgame', 'test_data.json'];
const P1 = ['datasets', 'evtx-attack-samples', 'Lateral Movement', 'remote_file_copy_system_proc_file_write_sysmon_11.evtx'];

type Json = Record<string, unknown>;

function ndjson(text: string): Json[] {
  return text.trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);
}

test('a syntax error exits 2 with line, column and a caret under the spot', async () => {
  const r = await runCli(['query', 'process where\n  process.pid == 4 and', '-']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /line 2, column \d+/);
  const lines = r.stderr.split('\n');
  const caret = lines.findIndex((l) => /^\s*\^\s*$/.test(l));
  assert.ok(caret > 0, r.stderr);
  assert.match(lines[caret - 1]!, /process\.pid == 4 and/);
});

test('endgame dialect over the Endgame test data: ndjson results that satisfy the query, exit 0', async (t) => {
  const data = sharedOrSkip(t, ...ENDGAME);
  if (!data) return;
  const events = JSON.parse(readFileSync(data, 'utf8')) as Json[];
  const expected = events.filter((e) => e.event_type === 'process' && String(e.process_name).toLowerCase() === 'svchost.exe').length;
  const r = await runCli(['query', '-d', 'endgame', "process where process_name == 'svchost.exe'", data, '-f', 'ndjson']);
  assert.equal(r.code, 1, r.stderr);
  const got = ndjson(r.stdout);
  assert.ok(expected > 0);
  assert.equal(got.length, expected);
  for (const e of got) assert.equal(e.event_type, 'process');
  assert.match(r.stderr, new RegExp(`^${expected} results from 1 file`, 'm'));
});

test('--limit stops after N results; -f json is one parseable array', async (t) => {
  const data = sharedOrSkip(t, ...ENDGAME);
  if (!data) return;
  const [limited, json] = await Promise.all([
    runCli(['query', '-d', 'endgame', 'process where true', data, '-f', 'ndjson', '--limit', '3']),
    runCli(['query', '-d', 'endgame', 'process where true', data, '-f', 'json', '-n', '5']),
  ]);
  assert.equal(ndjson(limited.stdout).length, 3);
  assert.match(limited.stderr, /^3 results \(stopped at --limit\) from 1 file/m);
  const arr = JSON.parse(json.stdout) as Json[];
  assert.ok(Array.isArray(arr));
  assert.equal(arr.length, 5);
});

test('a sequence over EVTX in the ECS view: one match of two events, as json', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const q = 'sequence by host.name with maxspan=1m [file where process.pid == 4] by file.path [process where event.type == "start"] by process.executable';
  const r = await runCli(['query', q, p1, '-f', 'json']);
  assert.equal(r.code, 1, r.stderr);
  const matches = JSON.parse(r.stdout) as { events: Json[]; join_keys?: unknown[] }[];
  assert.equal(matches.length, 1);
  assert.equal(matches[0]!.events.length, 2);
  assert.deepEqual((matches[0]!.events[1]!.process as Json).executable, 'C:\\Windows\\PSEXESVC.exe');
});

test('--view native queries Windows field names', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const r = await runCli(['query', '--view', 'native', 'any where EventID == 11', p1, '-f', 'ndjson']);
  assert.equal(r.code, 1, r.stderr);
  const got = ndjson(r.stdout);
  assert.ok(got.length >= 1);
  for (const e of got) assert.equal(Number(e.EventID), 11);
});

test('table output: time, host, category, pid and path per result', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const r = await runCli(['query', 'process where process.name : "psexesvc.exe"', p1]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^2020-08-27T11:40:56\.\d+Z\s+04246w-win10\.threebeesco\.com\s+process\s+start\s+4320\s+C:\\Windows\\PSEXESVC\.exe$/m);
});

test('no result exits 0; a field no event has is named in a warning', async (t) => {
  const p1 = sharedOrSkip(t, ...P1);
  if (!p1) return;
  const r = await runCli(['query', 'process where proces.name == "x" and ?optional.field == 1', p1]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /no event read has the field 'proces\.name'/);
  assert.doesNotMatch(r.stderr, /optional\.field/, '?optional fields are expected to be missing');
  assert.match(r.stderr, /0 results from 1 file/);
});

test('stdin input, and bad arguments exit 2', async (t) => {
  const data = sharedOrSkip(t, ...ENDGAME);
  if (!data) return;
  const ok = await runCli(['query', '-d', 'endgame', 'network where true', '-', '-f', 'ndjson'], { stdin: readFileSync(data) });
  assert.equal(ok.code, 1, ok.stderr);
  assert.ok(ndjson(ok.stdout).length >= 1);
  const bad = await Promise.all([
    runCli(['query', '-d', 'kql', 'any where true', data]),
    runCli(['query', 'any where true', data, '-f', 'csv']),
    runCli(['query', 'any where true', data, '--limit', 'ten']),
    runCli(['query', 'any where true', 'no/such/file.json']),
    runCli(['query', 'any where true']),
  ]);
  const messages = [/unknown --dialect 'kql'/, /unknown --format 'csv'/, /--limit takes a whole number/, /no\/such\/file\.json/, /missing required argument 'paths'/];
  bad.forEach((r, i) => {
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, messages[i]!);
  });
});

test('64-bit integers come out exact and unquoted, as they went in', async () => {
  const input = '{"@timestamp":"2020-01-01T00:00:00Z","event":{"category":"process"},"process":{"entity_id":18446744073709551615,"pid":4}}\n';
  const r = await runCli(['query', 'process where process.pid == 4', '-', '-f', 'ndjson'], { stdin: input });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /"entity_id":18446744073709551615[,}]/);
});
