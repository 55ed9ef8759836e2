/**
 * The prefilter with Sigma rules (hunt/sigma-text.ts): a line is parsed when some rule's necessary
 * literals are all in its text, as a JSON writer may have written them (escapes, any case), and
 * skipped otherwise; rules whose literals the text cannot show parse their EventIDs' lines. Each
 * case is also hunted with and without the prefilter: the same alerts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { ruleLineFilters } from '../../src/hunt/prefilter.js';
import { atomNeedle, canonicalEscapes, hasEscape, hasTextArray } from '../../src/hunt/sigma-text.js';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { runHunt } from '../../src/hunt/run.js';
import { filterDecides, PARSE } from '../../src/sources/index.js';
import { KEYWORD_PATH } from '../../src/engine/multi-match/necessary.js';

const RULES: Record<string, string> = {
  tool: `title: Tool image
id: 00000000-0000-4000-8000-000000000001
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\\evil-tool.exe'
  condition: sel
level: high`,
  enc: `title: Encoded command
id: 00000000-0000-4000-8000-000000000002
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|windash|contains: ' -encodedcommand '
    ParentImage|endswith: '\\winword.exe'
  condition: sel
level: high`,
  port: `title: Odd port
id: 00000000-0000-4000-8000-000000000003
logsource: {product: windows, category: network_connection}
detection:
  sel:
    DestinationPort: 4444
  condition: sel
level: medium`,
  keyword: `title: Keyword in the application log
id: 00000000-0000-4000-8000-000000000004
logsource: {product: windows, service: application}
detection:
  keywords:
    - 'mimikatz'
  condition: keywords
level: high`,
  unicode: `title: Non-ASCII file name
id: 00000000-0000-4000-8000-000000000005
logsource: {product: windows, category: file_event}
detection:
  sel:
    TargetFilename|contains: 'Überwachung'
  condition: sel
level: low`,
  user: `title: A user as DOMAIN\\name
id: 00000000-0000-4000-8000-000000000006
logsource: {product: windows, category: registry_set}
detection:
  sel:
    User: 'CORP\\mallory'
    TargetObject|contains: '\\CurrentVersion\\Run\\'
  condition: sel
level: low`,
  lnk: `title: Link file
id: 00000000-0000-4000-8000-000000000008
logsource: {product: windows, category: file_event}
detection:
  sel:
    TargetFilename|endswith: '\\evil.lnk'
  condition: sel
level: low`,
  regex: `title: Regex
id: 00000000-0000-4000-8000-000000000007
logsource: {product: windows, category: image_load}
detection:
  sel:
    ImageLoaded|re: '\\\\payload[0-9]+\\.dll$'
  condition: sel
level: low`,
};

const sysmon = (id: number, fields: Record<string, unknown>, t = '2026-03-02T10:00:00.000Z'): string =>
  JSON.stringify({ EventID: id, Channel: 'Microsoft-Windows-Sysmon/Operational', Hostname: 'ws1.corp.example.com', EventTime: t, UtcTime: t.slice(0, 23).replace('T', ' '), ...fields });

async function setup(): Promise<{ dir: string; rulesDir: string; rules: Awaited<ReturnType<typeof loadHuntRules>>['rules'] }> {
  const dir = tempDir('spoor-sigma-prefilter-');
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  for (const [name, text] of Object.entries(RULES)) writeFileSync(join(rulesDir, `${name}.yml`), text);
  const loaded = await loadHuntRules({ rulesDirs: [], sigmaDirs: [rulesDir], excludeRules: [], hunting: true });
  assert.equal(loaded.rules.filter((r) => r.view === 'native').length, Object.keys(RULES).length);
  return { dir, rulesDir, rules: loaded.rules };
}

/** [line, parsed?] — what the filter must decide. */
const CASES: [string, string, boolean][] = [
  ['plain match', sysmon(1, { Image: 'C:\\Temp\\evil-tool.exe', CommandLine: 'evil-tool.exe' }), true],
  ['suffix ends the value', sysmon(11, { Image: 'C:\\x.exe', TargetFilename: 'C:\\Users\\Evil.LNK' }), true],
  ['suffix inside a value', sysmon(11, { Image: 'C:\\x.exe', TargetFilename: 'C:\\Users\\evil.lnk.tmp' }), false],
  ['other case', sysmon(1, { Image: 'C:\\TEMP\\EVIL-TOOL.EXE', CommandLine: 'x' }), true],
  ['backslash as \\u005c', sysmon(1, { Image: 'C:\\Temp\\evil-tool.exe', CommandLine: 'x' }).replace('\\\\evil', '\\u005Cevil'), true],
  ['slash escaped', sysmon(1, { Image: 'C:/Temp\\evil-tool.exe', CommandLine: 'x' }).replace('C:/', 'C:\\/'), true],
  ['windash en dash', sysmon(1, { Image: 'C:\\x.exe', CommandLine: 'p \u2013encodedcommand AA', ParentImage: 'C:\\Office\\WINWORD.EXE' }), true],
  ['windash as \\u2013', sysmon(1, { Image: 'C:\\x.exe', CommandLine: 'p \u2013encodedcommand AA', ParentImage: 'C:\\Office\\winword.exe' }).replace('\u2013', '\\u2013'), true],
  ['one clause of two', sysmon(1, { Image: 'C:\\x.exe', CommandLine: 'p -encodedcommand AA', ParentImage: 'C:\\explorer.exe' }), false],
  ['port as a number', sysmon(3, { Image: 'C:\\x.exe', DestinationPort: 4444, DestinationIp: '10.0.0.1' }), true],
  ['port as text', sysmon(3, { Image: 'C:\\x.exe', DestinationPort: '4444', DestinationIp: '10.0.0.1' }), true],
  ['port as 4444.0', sysmon(3, { Image: 'C:\\x.exe', DestinationPort: 1, DestinationIp: '10.0.0.1' }).replace('"DestinationPort":1', '"DestinationPort":4444.0'), true],
  ['another port', sysmon(3, { Image: 'C:\\x.exe', DestinationPort: 14444, DestinationIp: '10.0.0.1' }), false],
  ['keyword', JSON.stringify({ EventID: 1000, Channel: 'Application', Hostname: 'ws1', EventTime: '2026-03-02T10:00:00.000Z', Message: 'MIMIKATZ ran' }), true],
  ['no keyword', JSON.stringify({ EventID: 1000, Channel: 'Application', Hostname: 'ws1', EventTime: '2026-03-02T10:00:00.000Z', Message: 'nothing' }), false],
  ['non-ASCII raw', sysmon(11, { Image: 'C:\\x.exe', TargetFilename: 'C:\\ÜBERWACHUNG\\a.txt' }), true],
  ['non-ASCII escaped', sysmon(11, { Image: 'C:\\x.exe', TargetFilename: 'C:\\Überwachung\\a.txt' }).replace('Ü', '\\u00dc'), true],
  ['regex literal', sysmon(7, { Image: 'C:\\x.exe', ImageLoaded: 'C:\\Temp\\payload12.dll' }), true],
  ['regex literal absent', sysmon(7, { Image: 'C:\\x.exe', ImageLoaded: 'C:\\Temp\\library.dll' }), false],
  ['unrelated', sysmon(1, { Image: 'C:\\Windows\\notepad.exe', CommandLine: 'notepad.exe' }), false],
];

test('each line is parsed exactly when some Sigma rule can match it (escapes, case, windash, numbers, keywords)', async () => {
  const { dir, rulesDir, rules } = await setup();
  const filters = ruleLineFilters(rules, 0);
  assert.ok(filters, 'the prefilter stays on with Sigma rules');
  for (const [name, line, parsed] of CASES) {
    JSON.parse(line); // each case is valid JSON
    assert.equal(filterDecides(filters.main(), line) === PARSE, parsed, name);
  }
  // Hunted with and without the prefilter: the same alerts, and the cases meant to match do.
  const file = join(dir, 'cases.ndjson');
  writeFileSync(file, CASES.map((c) => c[1]).join('\n') + '\n');
  const on = await runHunt({ inputs: [file], workers: 0, sigmaDirs: [rulesDir], rulesDirs: [join(dir, 'none')] });
  const off = await runHunt({ inputs: [file], workers: 0, sigmaDirs: [rulesDir], rulesDirs: [join(dir, 'none')], prefilter: false });
  const ids = (r: typeof on): string[] => r.alerts.map((a) => `${a.ruleName} ${a.firstTime}`).sort();
  assert.deepEqual(ids(on), ids(off));
  assert.ok(on.alerts.length >= 8, `alerts: ${on.alerts.length}`);
  assert.ok((on.summary.prefiltered ?? 0) >= 3, `prefiltered: ${on.summary.prefiltered}`);
});

test("an ECS document's computed native fields: User as DOMAIN\\name is found by its parts", async () => {
  const { rules } = await setup();
  const filters = ruleLineFilters(rules, 0)!;
  const doc = (user: Record<string, string>): string =>
    JSON.stringify({
      '@timestamp': '2026-03-02T10:00:00.000Z',
      event: { category: ['registry'], type: ['change'], action: 'modification', module: 'endpoint' },
      host: { name: 'ws1', id: 'h1' },
      user,
      registry: { path: 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x', value: 'x' },
      process: { executable: 'C:\\x.exe', pid: 4 },
    });
  assert.equal(filterDecides(filters.main(), doc({ name: 'Mallory', domain: 'CORP' })) === PARSE, true);
  assert.equal(filterDecides(filters.main(), doc({ name: 'bob', domain: 'CORP' })) === PARSE, false);
});

test('atoms the native view may compute give no needle; needles are JSON text', () => {
  const at = (path: string, text: string, kind: 'exact' | 'prefix' | 'suffix' | 'contains' = 'contains') => atomNeedle({ path: [path], text, kind });
  assert.equal(at('EventID', '4688', 'exact'), null, 'an ECS document gets its EventID from its category');
  assert.equal(at('Channel', 'microsoft-windows-sysmon/operational', 'exact'), null, 'the Sysmon channel an ECS document is given');
  assert.deepEqual(at('Channel', 'security', 'exact'), { text: 'security', anchor: 3 });
  assert.deepEqual(at('User', 'nt authority\\system', 'exact'), { text: 'nt authority', anchor: 0 });
  assert.deepEqual(at('Hashes', 'imphash=4a07f944a83e'), { text: '4a07f944a83e', anchor: 0 });
  assert.equal(at('Details', 'dword (0x00000001)', 'exact'), null, 'registry Details rendered from a number');
  assert.equal(at('Initiated', 'true', 'exact'), null, 'a direction written as true/false');
  assert.deepEqual(at('Image', '\\cmd.exe'), { text: '\\\\cmd.exe', anchor: 0 });
  assert.deepEqual(at('CommandLine', 'a"b'), { text: 'a\\"b', anchor: 0 });
  assert.deepEqual(at('Image', '\\cmd.exe', 'suffix'), { text: '\\\\cmd.exe', anchor: 2 }, 'a suffix ends a value');
  assert.deepEqual(at('Image', 'c:\\temp\\', 'prefix'), { text: 'c:\\\\temp\\\\', anchor: 1 }, 'a prefix starts one');
  assert.deepEqual(at('Signed', 'true', 'exact'), { text: 'true', anchor: 3 }, 'true is written unquoted: numbers\' delimiters apply');
  assert.deepEqual(at('User', 'corp\\bob', 'suffix'), { text: 'corp', anchor: 0 }, 'a piece of a computed value stands anywhere');
  assert.equal(atomNeedle({ path: KEYWORD_PATH, text: '4624', kind: 'contains' }), null, 'keyword digits may be a computed EventID');
  assert.equal(at('CommandLine', '\u03c3\u03c4'), null, 'final sigma: case folding depends on the next character');
});

test('escapes: only real \\u and \\/ escapes are rewritten, surrogate pairs as one character', () => {
  assert.equal(hasEscape('{"a":"C:\\\\users"}'), false, 'an escaped backslash before u');
  assert.equal(hasEscape('{"a":"\\u0041"}'), true);
  assert.equal(hasEscape('{"a":"x\\\\\\/y"}'), true, 'an escaped backslash, then an escaped slash');
  assert.equal(canonicalEscapes('{"a":"\\u0041\\u005C\\/\\u0022"}'), '{"a":"A\\\\/\\""}');
  assert.equal(canonicalEscapes('{"a":"\\ud83d\\ude00 \\u00e9"}'), '{"a":"\u{1f600} é"}');
  assert.equal(canonicalEscapes('{"a":"\\\\u0041"}'), '{"a":"\\\\u0041"}', 'not an escape: an escaped backslash and text');
  assert.equal(hasTextArray('{"Data":{"#text":["a","b"]}}'), true);
  assert.equal(hasTextArray('{"EventID":{"#attributes":{"Qualifiers":0},"#text":4624}}'), false);
});
