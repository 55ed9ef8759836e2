import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyOf, escapesFor, textCheckOf, textMeets, type TextCheck } from '../../src/hunt/text-checks.js';
import { parseEql } from '../../src/eql/index.js';
import { ECS_DERIVED_FIELDS } from '../../src/normalize/index.js';
import { completeEcs } from '../../src/normalize/ecs.js';

/** The text check of an EQL event query's condition. */
function checkOf(eql: string): TextCheck | null {
  const q = parseEql(eql);
  assert.equal(q.kind, 'event');
  return textCheckOf(q.query.where);
}

test('an equality on a field is looked up by its key, in any JSON spelling of the value', () => {
  const c = checkOf('process where process.pid == 4')!;
  for (const yes of ['{"process":{"pid":4}}', '{"process":{"pid" : 4 }}', '{"process.pid":4}', '{"process":{"pid":4.0}}', '{"process":{"pid":[7,4]}}', '{"x":{"pid":"4"}}', '{"process":{"pid":{"v":1}}}'])
    assert.equal(textMeets(c, yes), true, yes);
  for (const no of ['{"process":{"pid":44}}', '{"process":{"ppid":4}}', '{"process":{"pid":null}}', '{"process":{"name":"pid"}}', '{"a":"pid\\":4"}'])
    assert.equal(textMeets(c, no), false, no);
});

test('string values compare with the operator\'s case; escaped values are never ruled out', () => {
  const exact = checkOf('process where event.type == "start"')!;
  assert.equal(textMeets(exact, '{"event":{"type":["start"]}}'), true);
  assert.equal(textMeets(exact, '{"event":{"type":["info", "start"]}}'), true);
  assert.equal(textMeets(exact, '{"event":{"type":"Start"}}'), false);
  assert.equal(textMeets(exact, '{"event":{"type":"st\\u0061rt"}}'), true);
  const folded = checkOf('process where event.type : "start"')!;
  assert.equal(textMeets(folded, '{"event":{"type":"START"}}'), true);
  const list = checkOf('file where event.type in ("creation", "change")')!;
  assert.equal(textMeets(list, '{"event":{"type":["change"]}}'), true);
  assert.equal(textMeets(list, '{"event":{"type":["deletion"]}}'), false);
});

test('fields normalization derives are looked for as the text they come from', () => {
  // process.name is the executable's base name when missing; file.extension the path's, lower-cased.
  const name = checkOf('process where process.name == "System"')!;
  assert.equal(textMeets(name, '{"process":{"executable":"C:\\\\x\\\\System"}}'), true);
  assert.equal(textMeets(name, '{"process":{"name":"System"}}'), true);
  assert.equal(textMeets(name, '{"user":{"name":"SYSTEM"}}'), false);
  const ext = checkOf('file where file.extension : "exe"')!;
  assert.equal(textMeets(ext, '{"file":{"path":"C:\\\\A.EXE"}}'), true);
  assert.equal(textMeets(ext, '{"file":{"path":"C:\\\\a.dll"}}'), false);
  // Arguments are split from the command line: no text to look for, so no check.
  assert.equal(checkOf('process where process.args == "-s"'), null);
});

test('conditions that cannot be read as text checks impose none; `or` needs every branch', () => {
  assert.equal(checkOf('process where process.pid != 4'), null);
  assert.equal(checkOf('process where process.pid == null'), null);
  assert.equal(checkOf('process where process.name : "*.exe"'), null);
  assert.equal(checkOf('process where process.pid == 4 or process.command_line : "*x*"'), null);
  const both = checkOf('process where process.pid == 4 or process.pid == 8')!;
  assert.equal(both.kind, 'any');
  const and = checkOf('process where process.pid == 4 and not process.pid == 5 and event.type == "start"')!;
  assert.equal(and.kind, 'all');
  assert.equal(textMeets(and, '{"event":{"type":"start"},"process":{"pid":4}}'), true);
  assert.equal(textMeets(and, '{"event":{"type":"end"},"process":{"pid":4}}'), false);
});

test('anyOf keeps one copy of what alternatives share and drops alternatives a weaker one implies', () => {
  const a = checkOf('file where event.type == "creation"')!;
  const b = checkOf('file where process.pid == 4')!;
  const c = checkOf('file where file.path == "x"')!;
  const d = checkOf('file where file.path == "y"')!;
  const ab: TextCheck = { kind: 'all', checks: [a, b] };
  const abc: TextCheck = { kind: 'all', checks: [a, b, c] };
  const abd: TextCheck = { kind: 'all', checks: [a, b, d] };
  assert.deepEqual(anyOf([abc, ab]), ab);
  const f = anyOf([abc, abd])!;
  assert.equal(f.kind, 'all');
  assert.deepEqual((f as { checks: readonly TextCheck[] }).checks.slice(0, 2), [a, b]);
  assert.deepEqual((f as { checks: readonly TextCheck[] }).checks[2], { kind: 'any', checks: [c, d] });
  assert.equal(anyOf([abc, null]), null);
  assert.deepEqual(anyOf([abc, abc]), abc);
});

test('escapes are watched for only where a writer would use them', () => {
  assert.deepEqual(escapesFor([checkOf('process where process.name == "System"')!]), []);
  assert.deepEqual(escapesFor([checkOf('process where process.name == "Ärger.exe"')!]), ['\\u']);
  assert.deepEqual(escapesFor([checkOf('process where process.title == "a<b"')!]), ['\\u']);
  assert.deepEqual(escapesFor([checkOf('process where process.title == "a/b"')!]), ['\\/']);
});

test('ECS_DERIVED_FIELDS lists every field completeEcs adds to an event', () => {
  const ev = {
    host: { name: 'WS-1', os: { family: 'Windows' } },
    process: { executable: 'C:\\a\\b.exe', command_line: 'b.exe -x', parent: { executable: 'C:\\p.exe', command_line: 'p.exe' } },
    Target: { process: { executable: 'C:\\t.exe' } },
    file: { path: 'C:\\dir\\f.txt' },
  };
  const leaves = (v: unknown, prefix = ''): string[] =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.entries(v).flatMap(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k))
      : [prefix];
  const before = new Set(leaves(ev));
  const added = leaves(completeEcs(JSON.parse(JSON.stringify(ev)) as Record<string, unknown>)).filter((p) => !before.has(p));
  assert.ok(added.length >= 10, added.join(' '));
  for (const p of added) assert.ok(ECS_DERIVED_FIELDS.has(p), `${p} is derived but not listed`);
});
