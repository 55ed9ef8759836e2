/** Sigma values, modifiers and conditions, evaluated through the engine on small native events. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSigmaText, type SigmaOptions } from '../../src/sigma/index.js';
import { compilePredicate } from '../../src/engine/index.js';
import type { Rule } from '../../src/ir/types.js';

function ruleOf(detection: string, opts?: SigmaOptions): Rule {
  const text = `title: t\nid: t-1\nlogsource:\n  product: windows\ndetection:\n${detection.replace(/^/gm, '  ')}\n`;
  const r = loadSigmaText(text, 'inline.yml', opts);
  assert.deepEqual(r.problems, [], JSON.stringify(r.problems));
  return r.rules[0]!;
}

/** Does the detection match each event? */
function matches(detection: string, events: Record<string, unknown>[], opts?: SigmaOptions): boolean[] {
  const rule = ruleOf(detection, opts);
  assert.equal(rule.query.kind, 'event');
  const where = rule.query.kind === 'event' ? rule.query.query.where : null;
  const pred = compilePredicate(where!);
  return events.map((e) => pred(e));
}

function problemsOf(detection: string, opts?: SigmaOptions): string[] {
  const text = `title: t\nid: t-1\nlogsource:\n  product: windows\ndetection:\n${detection.replace(/^/gm, '  ')}\n`;
  const r = loadSigmaText(text, 'inline.yml', opts);
  return r.problems.map((p) => `${p.severity}: ${p.reason}`);
}

test('plain values are case-insensitive whole-value matches; cased is exact', () => {
  const d = "sel:\n  Image: 'C:\\Windows\\cmd.exe'\ncondition: sel";
  assert.deepEqual(matches(d, [{ Image: 'c:\\windows\\CMD.EXE' }, { Image: 'C:\\Windows\\cmd.exe2' }, {}]), [true, false, false]);
  const c = "sel:\n  Image|cased: 'C:\\Windows\\cmd.exe'\ncondition: sel";
  assert.deepEqual(matches(c, [{ Image: 'c:\\windows\\CMD.EXE' }, { Image: 'C:\\Windows\\cmd.exe' }]), [false, true]);
});

test('wildcards and backslash escapes follow pySigma', () => {
  // A backslash before a letter is literal; before `*` it escapes the wildcard (`\*` is a literal star).
  const d = "sel:\n  Path: 'C:\\Windows\\*'\ncondition: sel";
  assert.deepEqual(matches(d, [{ Path: 'C:\\Windows*' }, { Path: 'C:\\Windows\\System32' }]), [true, false]);
  const star = "sel:\n  Cmd: 'a\\*b'\ncondition: sel";
  assert.deepEqual(matches(star, [{ Cmd: 'a*b' }, { Cmd: 'axxb' }]), [true, false]);
  const q = "sel:\n  Cmd: 'a?c\\?'\ncondition: sel";
  assert.deepEqual(matches(q, [{ Cmd: 'abc?' }, { Cmd: 'abcd' }, { Cmd: 'ac?' }]), [true, false, false]);
  // `\\` is one backslash, then `*` is a wildcard.
  const dbl = "sel:\n  Cmd: 'x\\\\*'\ncondition: sel";
  assert.deepEqual(matches(dbl, [{ Cmd: 'x\\anything' }, { Cmd: 'x\\\\' }, { Cmd: 'xa' }]), [true, true, false]);
  const trailing = "sel:\n  Cmd: 'dir\\'\ncondition: sel";
  assert.deepEqual(matches(trailing, [{ Cmd: 'dir\\' }, { Cmd: 'dir' }]), [true, false]);
});

test('contains, startswith, endswith, all', () => {
  const d = "sel:\n  CommandLine|contains|all:\n    - ' -enc '\n    - 'hidden'\ncondition: sel";
  assert.deepEqual(
    matches(d, [{ CommandLine: 'powershell -w HIDDEN -enc AAA' }, { CommandLine: 'powershell -enc AAA' }]),
    [true, false],
  );
  const s = "sel:\n  Image|startswith: 'C:\\Users\\'\n  Image|endswith:\n    - '.exe'\n    - '.scr'\ncondition: sel";
  assert.deepEqual(matches(s, [{ Image: 'c:\\users\\a\\b.SCR' }, { Image: 'D:\\users\\a.exe' }]), [true, false]);
});

test('windash expands -, /, en dash, em dash and horizontal bar for flags only', () => {
  const d = "sel:\n  CommandLine|windash|contains: ' -exec bypass'\ncondition: sel";
  const evs = [' -exec bypass', ' /exec bypass', ' \u2013exec bypass', ' \u2014exec bypass', ' \u2015exec bypass', ' +exec bypass'];
  assert.deepEqual(matches(d, evs.map((c) => ({ CommandLine: `ps${c}` }))), [true, true, true, true, true, false]);
  // A dash inside a word is not a flag and stays as written.
  const w = "sel:\n  CommandLine|windash: 'a-b'\ncondition: sel";
  assert.deepEqual(matches(w, [{ CommandLine: 'a-b' }, { CommandLine: 'a/b' }]), [true, false]);
});

test('re searches (not anchored), case-sensitive unless i; (?i) prefix is honoured', () => {
  const d = "sel:\n  CommandLine|re: 'Invoke-\\w+Shell'\ncondition: sel";
  assert.deepEqual(matches(d, [{ CommandLine: 'x Invoke-PowerShell y' }, { CommandLine: 'invoke-powershell' }]), [true, false]);
  const i = "sel:\n  CommandLine|re|i: 'invoke-\\w+shell'\ncondition: sel";
  assert.deepEqual(matches(i, [{ CommandLine: 'Invoke-PowerShell' }]), [true]);
  const inline = "sel:\n  CommandLine|re: '(?i)^cmd'\ncondition: sel";
  assert.deepEqual(matches(inline, [{ CommandLine: 'CMD /c' }, { CommandLine: 'x cmd' }]), [true, false]);
  const s = "sel:\n  CommandLine|re|s: 'a.b'\ncondition: sel";
  assert.deepEqual(matches(s, [{ CommandLine: 'a\nb' }]), [true]);
  const py = "sel:\n  CommandLine|re: '\\A(?P<x>ab)(?P=x)\\Z'\ncondition: sel";
  assert.deepEqual(matches(py, [{ CommandLine: 'abab' }, { CommandLine: 'ababc' }]), [true, false]);
  const m = "sel:\n  CommandLine|re|m: '^b$'\ncondition: sel";
  assert.deepEqual(matches(m, [{ CommandLine: 'a\nb\nc' }, { CommandLine: 'abc' }]), [true, false]);
});

test('base64 and base64offset (three offsets) with utf16 variants', () => {
  const b64 = "sel:\n  Data|base64: 'http'\ncondition: sel";
  assert.deepEqual(matches(b64, [{ Data: Buffer.from('http').toString('base64') }, { Data: 'http' }]), [true, false]);
  const off = "sel:\n  Data|base64offset|contains: 'http://'\ncondition: sel";
  const enc = (s: string): string => Buffer.from(s).toString('base64');
  assert.deepEqual(
    matches(off, [{ Data: enc('http://x') }, { Data: enc('ahttp://x') }, { Data: enc('abhttp://x') }, { Data: enc('abc') }]),
    [true, true, true, false],
  );
  const wide = "sel:\n  Data|wide|base64offset|contains: 'iex'\ncondition: sel";
  const encW = (s: string): string => Buffer.from(s, 'utf16le').toString('base64');
  assert.deepEqual(matches(wide, [{ Data: encW('iex (x)') }, { Data: encW('a iex') }, { Data: enc('iex') }]), [true, true, false]);
  const be = "sel:\n  Data|utf16be|base64: 'ab'\ncondition: sel";
  assert.deepEqual(matches(be, [{ Data: Buffer.from([0, 0x61, 0, 0x62]).toString('base64') }]), [true]);
  const bom = "sel:\n  Data|utf16|base64: 'ab'\ncondition: sel";
  assert.deepEqual(matches(bom, [{ Data: Buffer.from([0xff, 0xfe, 0x61, 0, 0x62, 0]).toString('base64') }]), [true]);
  assert.match(problemsOf("sel:\n  Data|wide: 'x'\ncondition: sel")[0]!, /unsupported: .*base64/);
});

test('cidr (IPv4 and IPv6)', () => {
  const d = "sel:\n  DestinationIp|cidr:\n    - '10.0.0.0/8'\n    - 'fe80::/10'\ncondition: sel";
  assert.deepEqual(
    matches(d, [{ DestinationIp: '10.1.2.3' }, { DestinationIp: '11.0.0.1' }, { DestinationIp: 'fe80::1' }, { DestinationIp: '2001:db8::1' }]),
    [true, false, true, false],
  );
  assert.match(problemsOf("sel:\n  Ip|cidr: '10.0.0.0/40'\ncondition: sel")[0]!, /error: .*CIDR/);
  const single = "sel:\n  Ip|cidr: '192.168.1.7'\ncondition: sel";
  assert.deepEqual(matches(single, [{ Ip: '192.168.1.7' }, { Ip: '192.168.1.8' }]), [true, false]);
});

test('neq: field present and different from every value', () => {
  const d = "sel:\n  User|neq:\n    - SYSTEM\n    - 'LOCAL SERVICE'\ncondition: sel";
  assert.deepEqual(matches(d, [{ User: 'bob' }, { User: 'system' }, { User: 'local service' }, {}]), [true, false, false, false]);
});

test('exists true/false; null; empty string', () => {
  const e = "sel:\n  Parent|exists: false\ncondition: sel";
  assert.deepEqual(matches(e, [{}, { Parent: 'x' }, { Parent: null }]), [true, false, true]);
  const t = "sel:\n  Parent|exists: true\ncondition: sel";
  assert.deepEqual(matches(t, [{}, { Parent: '' }]), [false, true]);
  const n = "sel:\n  Parent: null\ncondition: sel";
  assert.deepEqual(matches(n, [{}, { Parent: 'x' }]), [true, false]);
  const empty = "sel:\n  Parent: ''\ncondition: sel";
  assert.deepEqual(matches(empty, [{ Parent: '' }, { Parent: 'x' }, {}]), [true, false, false]);
});

test('numbers match numeric and textual field values; lt/lte/gt/gte', () => {
  const d = 'sel:\n  EventID: 4688\ncondition: sel';
  assert.deepEqual(matches(d, [{ EventID: 4688 }, { EventID: '4688' }, { EventID: 4689 }]), [true, true, false]);
  const c = 'sel:\n  LogonType|gte: 3\n  LogonType|lt: 10\ncondition: sel';
  assert.deepEqual(matches(c, [{ LogonType: 3 }, { LogonType: 10 }, { LogonType: 2 }, { LogonType: 9 }]), [true, false, false, true]);
  // Numeric text (XML, flat JSON) compares as a number; a missing field is false, also under `not`.
  assert.deepEqual(matches(c, [{ LogonType: '3' }, { LogonType: '10' }, { LogonType: 'x' }]), [true, false, false]);
  const n = 'sel:\n  LogonType|gt: 5\ncondition: not sel';
  assert.deepEqual(matches(n, [{}, { LogonType: '7' }, { LogonType: 2 }]), [true, false, true]);
});

test('fieldref compares two fields of the same event', () => {
  const d = 'sel:\n  SourceUser|fieldref: TargetUser\ncondition: sel';
  assert.deepEqual(matches(d, [{ SourceUser: 'A', TargetUser: 'a' }, { SourceUser: 'a', TargetUser: 'b' }]), [true, false]);
});

test('expand uses placeholders; a missing placeholder is reported, not dropped', () => {
  const d = "sel:\n  Computer|expand: '%admin_hosts%'\ncondition: sel";
  assert.deepEqual(
    matches(d, [{ Computer: 'ws1' }, { Computer: 'DC-2' }, { Computer: 'x' }], { placeholders: { admin_hosts: ['ws1', 'dc-*'] } }),
    [true, true, false],
  );
  assert.match(problemsOf(d)[0]!, /unsupported: placeholder %admin_hosts%/);
});

test('time modifiers read the date text of the field', () => {
  const d = 'sel:\n  UtcTime|hour|gte: 22\ncondition: sel';
  assert.deepEqual(
    matches(d, [{ UtcTime: '2024-01-01 23:10:00.000' }, { UtcTime: '2024-01-01T08:00:00Z' }]),
    [true, false],
  );
  const m = 'sel:\n  UtcTime|month: 2\ncondition: sel';
  assert.deepEqual(matches(m, [{ UtcTime: '2024-02-11 01:00:00' }, { UtcTime: '2024-12-11 01:00:00' }]), [true, false]);
  // ISO 8601 weeks: 2021-01-03 (a Sunday) still belongs to week 53 of 2020; 2024-12-30 to week 1 of 2025.
  const w = 'sel:\n  UtcTime|week: 53\ncondition: sel';
  assert.deepEqual(matches(w, [{ UtcTime: '2021-01-03 10:00:00' }, { UtcTime: '2021-01-04T10:00:00Z' }, { UtcTime: 'yesterday' }]), [true, false, false]);
  const w1 = 'sel:\n  UtcTime|week|lte: 1\ncondition: sel';
  assert.deepEqual(matches(w1, [{ UtcTime: '2024-12-30 00:00:00' }, { UtcTime: '2024-01-08 00:00:00' }, { UtcTime: '2024-01-07 23:59:59' }]), [true, false, true]);
  assert.deepEqual(problemsOf(w), []);
});

test('keywords search any field; lists are OR, maps are AND, lists of maps are OR', () => {
  const k = "keywords:\n  - 'mimikatz'\n  - 'sekurlsa'\ncondition: keywords";
  assert.deepEqual(matches(k, [{ A: 'run Mimikatz.exe' }, { B: { C: 'x sekurlsa::' } }, { A: 'calc' }]), [true, true, false]);
  const lm = "sel:\n  - A: 1\n    B: 2\n  - C: 3\ncondition: sel";
  assert.deepEqual(matches(lm, [{ A: 1, B: 2 }, { A: 1 }, { C: '3' }]), [true, false, true]);
});

test('conditions: precedence, 1 of / all of / them, underscore names', () => {
  const det = "a:\n  A: 1\nb:\n  B: 1\nc:\n  C: 1\ncondition: a or b and not c";
  // or binds loosest: a or (b and (not c))
  assert.deepEqual(matches(det, [{ A: 1, C: 1 }, { B: 1, C: 1 }, { B: 1 }]), [true, false, true]);
  const of = "sel_a:\n  A: 1\nsel_b:\n  B: 1\nfilter:\n  F: 1\ncondition: 1 of sel_* and not filter";
  assert.deepEqual(matches(of, [{ B: 1 }, { A: 1, F: 1 }, { F: 1 }]), [true, false, false]);
  const allOf = "sel_a:\n  A: 1\nsel_b:\n  B: 1\ncondition: all of sel_*";
  assert.deepEqual(matches(allOf, [{ A: 1, B: 1 }, { A: 1 }]), [true, false]);
  const them = "x:\n  A: 1\n_helper:\n  H: 1\ncondition: all of them";
  assert.deepEqual(matches(them, [{ A: 1 }]), [true]);
  const paren = "a:\n  A: 1\nb:\n  B: 1\nc:\n  C: 1\ncondition: (a or b) and not c";
  assert.deepEqual(matches(paren, [{ A: 1, C: 1 }, { B: 1 }]), [false, true]);
  const list = "a:\n  A: 1\nb:\n  B: 1\ncondition:\n  - a\n  - b";
  assert.deepEqual(matches(list, [{ B: 1 }, {}]), [true, false]);
});

test('problems: unknown modifier is an error (not in the Sigma spec), bad condition is an error, both keep rule id and file', () => {
  const text = "title: x\nid: r-9\nlogsource:\n  product: windows\ndetection:\n  sel:\n    A|frobnicate: 1\n  condition: sel\n";
  const r = loadSigmaText(text, 'rules/x.yml');
  assert.equal(r.rules.length, 0);
  assert.deepEqual(r.problems.map((p) => [p.id, p.source, p.severity]), [['r-9', 'rules/x.yml', 'error']]);
  assert.equal(r.problems[0]!.reason, "unknown modifier 'frobnicate' in 'A|frobnicate'");
  assert.match(problemsOf('sel:\n  A: 1\ncondition: sel and')[0]!, /^error: /);
  assert.match(problemsOf('sel:\n  A: 1\ncondition: nope')[0]!, /unknown detection 'nope'/);
  assert.match(problemsOf('sel:\n  A: 1\ncondition: sel | count() > 5')[0]!, /^unsupported: legacy aggregation/);
  assert.match(problemsOf("sel:\n  A|re: '(?<!x)a['\ncondition: sel")[0]!, /^unsupported: regex/);
});
