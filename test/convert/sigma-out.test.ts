/** spoor EQL rules → Sigma (src/convert/sigma-out.ts): loads back in spoor and matches the same events. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEql } from '../../src/eql/index.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import { toEcs, toNative } from '../../src/normalize/index.js';
import { convertRules } from '../../src/convert/index.js';
import { sigmaValue } from '../../src/convert/sigma-out.js';
import type { Rule } from '../../src/ir/types.js';
import { sharedOrSkip } from '../helpers/shared.js';
import { events, run, view } from './helpers.js';

const eqlRule = (id: string, text: string): Rule => ({
  id, name: `rule ${id}`, source: '<test>', language: 'eql', view: 'ecs', query: parseEql(text), severity: 'high', mitre: ['T1021.002'],
});

const valueCases: [string, string][] = [
  ['C:\\Windows\\x.exe', 'C:\\Windows\\x.exe'],
  ['\\\\server\\share', '\\\\\\server\\share'],
  ['a*b?', 'a\\*b\\?'],
];
for (const [text, want] of valueCases) {
  test(`Sigma value escaping: ${text}`, () => {
    assert.equal(sigmaValue([{ t: 'lit', v: text }]), want);
    // spoor's own Sigma reader gives the literal back.
    const y = `title: t\nid: 33333333-2222-4333-8444-555555555555\nlogsource:\n  product: windows\ndetection:\n  sel:\n    CommandLine: ${JSON.stringify(want)}\n  condition: sel\n`;
    const r = loadSigmaText(y, 'v.yml');
    assert.deepEqual(r.problems, []);
    assert.ok(JSON.stringify(r.rules[0]!.query).includes(JSON.stringify(text).slice(1, -1)), JSON.stringify(r.rules[0]!.query));
    assert.equal(sigmaValue([{ t: 'star' }, { t: 'lit', v: '\\' }, { t: 'star' }]), '*\\\\*');
  });
}

const SINGLE = 'process where event.type == "start" and process.executable : "*\\\\PSEXESVC.exe" and not process.parent.executable : "C:\\\\Tools\\\\*"';
const SEQUENCE =
  'sequence with maxspan=1m [file where event.type in ("creation", "change") and process.pid == 4 and file.path : ("*.exe", "*.scr")] by host.id, file.path ' +
  '[process where event.type == "start"] by host.id, process.executable';

test('EQL → Sigma: single event and sequence load back and match P1 as the EQL rules do', async (t) => {
  const p = sharedOrSkip(t, 'datasets', 'evtx-attack-samples', 'Lateral Movement', 'remote_file_copy_system_proc_file_write_sysmon_11.evtx');
  if (!p) return;
  const evs = await events([p]);
  for (const [id, text, want] of [['single', SINGLE, 1], ['seq', SEQUENCE, 1]] as const) {
    const rule = eqlRule(id, text);
    const { queries, problems } = convertRules([rule], 'sigma');
    assert.deepEqual(problems, [], id);
    const loaded = loadSigmaText(queries[0]!.text, `${id}.yml`);
    assert.deepEqual(loaded.problems, [], queries[0]!.text);
    const sigma = loaded.rules.find((r) => id === 'single' || r.query.kind === 'correlation')!;
    assert.equal(run(rule.query, view(evs, toEcs)), want, `${id}: EQL`);
    assert.equal(run(sigma.query, view(evs, toNative)), want, `${id}: Sigma\n${queries[0]!.text}`);
  }
});

test('EQL → Sigma: what Sigma cannot say is reported', () => {
  const cases: [string, RegExp][] = [
    ['process where event.type == "start" and length(process.executable) > 3', /function length\(\)/],
    ['sequence with maxspan=1m [process where true] by process.pid [process where true] by process.pid until [process where true] by process.pid', /until/],
    ['sequence [process where event.type == "start"] [process where event.type == "start"]', /without maxspan/],
    ['process where event.type == "start" | head 1', /pipes/],
  ];
  for (const [text, reason] of cases) {
    const r = convertRules([eqlRule('x', text)], 'sigma');
    assert.equal(r.queries.length, 0, text);
    assert.match(r.problems[0]!.reason, reason);
  }
});

test('EQL → Sigma: fields Sysmon does not record are written in the ecs taxonomy, which spoor reads back', () => {
  const rule = eqlRule('signed', 'process where event.type == "start" and process.code_signature.trusted == true and process.name == "x.exe"');
  const { queries, problems } = convertRules([rule], 'sigma');
  assert.deepEqual(problems, []);
  assert.match(queries[0]!.text, /^taxonomy: ecs$/m);
  assert.match(queries[0]!.text, /event\.category: process/);
  const back = loadSigmaText(queries[0]!.text, 'signed.yml');
  assert.deepEqual(back.problems, []);
  assert.equal(back.rules[0]!.view, 'ecs');
  const ev = (trusted: boolean, name: string) => ({ event: { category: ['process'], type: ['start'] }, process: { name, code_signature: { trusted } } });
  const hits = [ev(true, 'x.exe'), ev(false, 'x.exe'), ev(true, 'X.EXE')].map((e) => run(back.rules[0]!.query, [e]));
  assert.deepEqual(hits, [1, 0, 0]);
  // Sysmon-named fields keep Sigma's own taxonomy.
  assert.doesNotMatch(convertRules([eqlRule('plain', SINGLE)], 'sigma').queries[0]!.text, /taxonomy/);
});
