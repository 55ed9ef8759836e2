/**
 * The multi-rule matcher over ECS (EQL) rules (hunt/eql-match.ts) only narrows: `gateExpr` is implied
 * by the condition it comes from, and on real and generated events every rule stage that matches an
 * event was selected for it (Elastic's Windows EQL pack over generated Defend events and the EVTX
 * attack samples).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { listFiles } from '../../src/sources/list-files.js';
import { parseEql } from '../../src/eql/index.js';
import { EcsRuleMatcher, gateExpr, impliedByBuckets, keyTexts } from '../../src/hunt/eql-match.js';
import { stageBit } from '../../src/engine/sequence.js';
import { compilePredicate } from '../../src/engine/index.js';
import { loadRulePack } from '../../src/rules/index.js';
import { generateEvents } from '../../src/demo/generate.js';
import { readEvtxFile } from '../../src/sources/evtx/index.js';
import { toEcs } from '../../src/normalize/index.js';
import { markIfNested, type Event } from '../../src/events/field.js';
import type { Query, Rule, Stage } from '../../src/ir/types.js';
import { sharedOrSkip } from '../helpers/shared.js';

const where = (q: string) => (parseEql(q) as Extract<Query, { kind: 'event' }>).query.where;
const rule = (id: string, q: string): Rule => ({ id, name: id, source: 't', language: 'eql', view: 'ecs', query: parseEql(q), severity: 'low' });

test('gateExpr: == / in on strings and like become case-insensitive wildcards; the rest is true', () => {
  assert.deepEqual(gateExpr(where('process where process.name == "A.exe"')), { kind: 'wildcard', expr: { kind: 'field', path: ['process', 'name'] }, patterns: [[{ t: 'lit', v: 'A.exe' }]], caseInsensitive: true });
  assert.equal(gateExpr(where('process where not process.name == "a"')).kind, 'literal');
  // A small integer: its digits, or the integer below followed by nines (text that rounds to it).
  assert.deepEqual((gateExpr(where('process where process.pid == 4')) as { patterns: unknown }).patterns, [
    [{ t: 'star' }, { t: 'lit', v: '4' }, { t: 'star' }],
    [{ t: 'star' }, { t: 'lit', v: '3.9999999999' }, { t: 'star' }],
  ]);
  assert.equal(gateExpr(where('process where process.pid == 0.5')).kind, 'literal', 'fractions: no atom');
  assert.equal(gateExpr(where('process where process.pid == 123456789')).kind, 'literal', 'large integers: no atom');
  assert.equal(gateExpr(where('process where process.pid in (4, 0.5)')).kind, 'literal', 'a list with one value without atoms: none');
  // A numeric string also equals a number field by value: its number's text is an alternative.
  assert.deepEqual((gateExpr(where('any where event.code == "4.50"')) as { patterns: unknown }).patterns, [[{ t: 'lit', v: '4.50' }], [{ t: 'lit', v: '4.5' }]]);
  assert.deepEqual((gateExpr(where('any where event.code in ("5137", "05")')) as { patterns: unknown }).patterns, [[{ t: 'lit', v: '5137' }], [{ t: 'lit', v: '05' }], [{ t: 'lit', v: '5' }]]);
  assert.equal(gateExpr(where('process where process.name == "1e3"')).kind, 'literal', 'other numeric texts: no atom');
  assert.equal(gateExpr(where('process where process.name == "9007199254740993"')).kind, 'literal', 'integers past 2^53: no atom');
  assert.equal(gateExpr(where('any where @timestamp == "2020-01-01T00:00:00Z"')).kind, 'literal', 'date fields compare as instants');
  assert.equal(gateExpr(where('process where process.name like "Ab*"')).kind, 'wildcard');
  assert.equal(gateExpr(where('process where process.name != "a"')).kind, 'literal');
  assert.equal(gateExpr(where('process where process.pid != 4')).kind, 'literal', '!= holds for a missing field');
  assert.equal(gateExpr(where('process where process.pid >= 4')).kind, 'wildcard', 'a number ordered: some digit (presence)');
  assert.equal(gateExpr(where('process where process.pid > 4.5')).kind, 'wildcard');
  assert.equal(gateExpr(where('process where process.name > "a"')).kind, 'literal', 'strings ordered: no atom');
});

test('the matcher selects a rule only when a stage can match; categories key the stages', () => {
  const rules = [
    rule('a', 'process where process.name == "cmd.exe" and process.args : "*/c*"'),
    rule('b', 'sequence [file where file.extension : "exe"] [process where process.executable : "*\\\\x.exe"]'),
    rule('c', 'process where not process.name == "x"'),
  ];
  const m = new EcsRuleMatcher(rules);
  const ids = (ev: Event, cats: string[]) => [...m.select(ev, cats)].map((i) => rules[i]!.id).sort();
  assert.deepEqual(ids({ process: { name: 'CMD.EXE', args: ['cmd', '/C', 'dir'] } }, ['process']), ['a', 'c']);
  assert.deepEqual(ids({ process: { name: 'cmd.exe', args: ['x'] } }, ['process']), ['c']);
  assert.deepEqual(ids({ file: { extension: 'EXE' } }, ['file']), ['b']);
  assert.deepEqual(ids({ process: { executable: 'C:\\y\\x.exe' } }, ['process']), ['b', 'c']);
  assert.deepEqual(ids({ process: { name: 'cmd.exe', args: '/c' } }, ['network']), []);
  // Numeric strings: a number field meets them by value, a string field by text.
  const n = [rule('n', 'any where event.code == "4.50"'), rule('o', 'any where event.code in ("05", "7")')];
  const mn = new EcsRuleMatcher(n);
  const sel = (ev: Event) => [...mn.select(ev, [])].map((i) => n[i]!.id).sort();
  const tests = n.map((r) => compilePredicate((r.query as Extract<Query, { kind: 'event' }>).query.where));
  // [value, the rules that match, the rules selected] — selected ⊇ matching (the string "4.5", the number 5 and the bigint 7 only pass the gate).
  for (const [code, want, selected] of [[4.5, ['n'], ['n']], ['4.50', ['n'], ['n']], ['4.5', [], ['n']], [5, [], ['o']], ['05', ['o'], ['o']], [7, ['o'], ['o']], [7n, [], ['o']], ['x', [], []]] as const) {
    const ev = { event: { code } };
    assert.deepEqual(n.filter((_r, i) => tests[i]!(ev)).map((r) => r.id), want, `engine on event.code ${String(code)} (${typeof code})`);
    assert.deepEqual(sel(ev), selected, `selected for event.code ${String(code)} (${typeof code})`);
  }
});

/**
 * For each value, the event `at(value)` of category `cat`: every rule the engine matches on it
 * was selected by the matcher over `rules` (the gate is a superset). Returns the matcher.
 */
function assertGatesSound(rules: Rule[], cat: string, at: (v: unknown) => Event, values: readonly unknown[]): EcsRuleMatcher {
  const m = new EcsRuleMatcher(rules);
  const tests = rules.map((r) => compilePredicate((r.query as Extract<Query, { kind: 'event' }>).query.where));
  for (const v of values) {
    const ev = at(v);
    const selected = new Set([...m.select(ev, [cat])].map((i) => rules[i]!.id));
    for (let i = 0; i < rules.length; i++) {
      if (tests[i]!(ev) === true) assert.ok(selected.has(rules[i]!.id), `${rules[i]!.id} matches ${String(v)} (${typeof v}) but was not selected`);
    }
  }
  return m;
}

test('number literals: every value the engine finds equal passes the gate', () => {
  const n = [
    rule('p', 'network where destination.port == 445'),
    rule('q', 'network where destination.port in (88, "3389", 0)'),
    rule('r', 'network where destination.port == -7'),
  ];
  const m = assertGatesSound(n, 'network', (port) => ({ event: { category: 'network' }, destination: { port } }), [
    445, 445n, '445', '0445', '445.0', '445.000', '444.99999999999999999', '445.00000000000000001', '444.9', '4450', 44500, '1e3', true,
    88, 88n, '88.0', '087', '87.999999999999999999', 3389, '3389', '3389.0', 0, -0, '0', '-0', '0.0000000000000000000001', '-0.000', 0n,
    -7, '-7', '-07.0', '-6.99999999999999999999', -7n, '7', 7, [1, 445], ['x', '0088'], [], null, 'x',
  ]);
  // And it narrows: other ports do not select the rules.
  assert.deepEqual([...m.select({ destination: { port: 53 } }, ['network'])], []);
  assert.deepEqual([...m.select({ destination: { port: 'x' } }, ['network'])], []);
});

test('boolean literals: only a boolean equals one (the matcher reads it as its text)', () => {
  const b = [rule('t', 'process where process.code_signature.trusted == false'), rule('u', 'process where process.code_signature.exists in (true)')];
  const m = assertGatesSound(b, 'process', (v) => ({ process: { code_signature: { trusted: v, exists: v } } }), [false, true, 'false', 'true', 0, 1, [true, false], ['x', false], null]);
  assert.deepEqual([...m.select({ process: { code_signature: { trusted: true, exists: false } } }, ['process'])], []);
});

test('order comparisons with a number: any numeric value passes, a missing field does not; != is not gated', () => {
  // `!=` holds for a missing field, as in Elasticsearch.
  const o = [
    rule('gt', 'process where process.parent.Ext.real.pid > 0'),
    rule('le', 'process where process.parent.Ext.real.pid <= -1'),
    rule('ne', 'process where process.parent.Ext.real.pid != 4'),
  ];
  const m = assertGatesSound(o, 'process', (pid) => ({ process: { parent: { Ext: { real: { pid } } } } }), [1, 0, -3, 4, 7n, '12', '-0.5', '0012.50', 'x', true, Infinity, -Infinity, NaN, [0, 5], [], null, 1e21, 5e-7]);
  assert.deepEqual([...m.select({ process: { name: 'x' } }, ['process'])].map((i) => o[i]!.id), ['ne'], 'without the field only != is selected');
});

function stagesOf(q: Query): Stage[] {
  if (q.kind === 'event') return [{ query: q.query, by: [] }];
  if (q.kind === 'sequence' || q.kind === 'join') return [...q.stages, ...(q.until ? [q.until] : [])];
  if (q.kind === 'sample') return q.stages;
  return [];
}

test("soundness on Elastic's pack: every stage that matches an event was selected (its rule and the stage itself)", async (t) => {
  const repo = sharedOrSkip(t, 'reference/elastic-detection-rules/repo');
  const samples = sharedOrSkip(t, 'datasets/evtx-attack-samples');
  if (!repo || !samples) return;
  const pack = loadRulePack([join(repo, 'rules'), join(repo, 'rules_building_block')], { builtin: false, buildingBlocks: true });
  const rules = pack.rules.filter((r) => EcsRuleMatcher.accepts(r) && (r.tags ?? []).some((x) => x === 'OS: Windows'));
  assert.ok(rules.length > 400, `${rules.length} Windows EQL rules`);
  // Adapted (clauses true for nearly every event dropped) on the generated Defend events, then checked
  // on the EVTX samples too: dropping clauses only ever lets more rules through.
  const m = new EcsRuleMatcher(rules, { adaptAfter: 1000 });
  const tests = rules.map((r) =>
    stagesOf(r.query).map((s) => ({ cat: s.query.category, test: compilePredicate(s.query.where, { dialect: 'elasticsearch', ...(typeof r.meta?.categoryField === 'string' ? { category: r.meta.categoryField.split('.') } : {}) }) })),
  );
  const events: Event[] = [];
  for (const ev of generateEvents({ events: 2000, hosts: 20, seed: 3 }).events) events.push(toEcs(ev as Event));
  const files = listFiles(samples, '.evtx');
  for (const f of files.slice(0, 40)) for await (const batch of readEvtxFile(f, () => {})) for (const se of batch) events.push(toEcs(se.event));
  let matched = 0;
  let selectedTotal = 0;
  for (const ev of events) {
    markIfNested(ev);
    const c = (ev.event as { category?: unknown } | undefined)?.category;
    const cats = typeof c === 'string' ? [c] : Array.isArray(c) ? (c as string[]) : [];
    const selected = new Set(m.select(ev, cats));
    selectedTotal += selected.size;
    tests.forEach((stages, ri) => {
      stages.forEach((s, j) => {
        if (s.cat !== null && s.cat !== 'any' && rules[ri]!.meta?.categoryField === undefined && !cats.includes(s.cat)) return;
        if (!s.test(ev)) return;
        matched++;
        assert.ok(selected.has(ri), `${rules[ri]!.id} (${rules[ri]!.name}) matches an event it was not selected for: ${JSON.stringify(ev).slice(0, 300)}`);
        // The detector evaluates only the selected stages: this one must be among them.
        assert.ok((m.stages[ri]! & stageBit(j)) !== 0, `${rules[ri]!.id} stage ${j} matches an event it was not selected for`);
      });
    });
  }
  assert.ok(m.matcher.stats.droppedClauses > 0, 'the matcher adapted');
  assert.ok(matched > 50, `${matched} stage matches checked over ${events.length} events`);
  t.diagnostic(`${events.length} events, ${matched} stage matches, ${(selectedTotal / events.length).toFixed(1)} rules selected per event of ${rules.length}, ${m.matcher.stats.droppedClauses} clauses dropped`);
});

test('keyTexts: the texts a key field must show for a gate to hold', () => {
  const g = (q: string) => gateExpr(where(q));
  assert.deepEqual([...keyTexts(g('process where event.type == "start" and process.name == "a"'), 'event.type')!], ['start']);
  assert.deepEqual([...keyTexts(g('process where event.type in ("Start", "process_started")'), 'event.type')!].sort(), ['process_started', 'start']);
  assert.deepEqual([...keyTexts(g('process where (event.type == "start" and a == 1) or event.type : "end"'), 'event.type')!].sort(), ['end', 'start']);
  assert.equal(keyTexts(g('process where event.type == "start" or process.name == "a"'), 'event.type'), null, 'an or branch without it');
  assert.equal(keyTexts(g('process where event.type : "st*"'), 'event.type'), null, 'a wildcard pattern');
  assert.equal(keyTexts(g('process where not event.type == "start"'), 'event.type'), null);
  assert.deepEqual([...keyTexts(g('any where event.code == "4.50"'), 'event.code')!].sort(), ['4.5', '4.50']);
});

test('stages keyed by a field value: an event reaches the stages its value (any element, any case) names, and the unkeyed ones', () => {
  const rules = [
    rule('start', 'process where event.type == "start" and process.name == "a.exe"'),
    rule('end', 'process where event.type : "END" and process.name == "a.exe"'),
    rule('free', 'process where process.name == "a.exe"'),
    rule('seq', 'sequence [process where event.type == "start" and process.name == "a.exe"] [process where event.type == "end" and process.name == "a.exe"] until [process where process.name == "a.exe"]'),
  ];
  const m = new EcsRuleMatcher(rules);
  const sel = (type: unknown) => {
    const ids = [...m.select({ event: { type }, process: { name: 'A.exe' } }, ['process'])].map((i) => rules[i]!.id).sort();
    return ids.map((id) => (id === 'seq' ? `seq:${m.stages[rules.findIndex((r) => r.id === 'seq')]!}` : id));
  };
  // seq's stages: bit 0 the start stage, bit 1 the end stage, bit 2 until.
  assert.deepEqual(sel('start'), ['free', 'seq:5', 'start']);
  assert.deepEqual(sel(['START']), ['free', 'seq:5', 'start']);
  assert.deepEqual(sel(['change', 'End']), ['end', 'free', 'seq:6']);
  assert.deepEqual(sel(['start', 'end']), ['end', 'free', 'seq:7', 'start']);
  assert.deepEqual(sel('info'), ['free', 'seq:4']);
  assert.deepEqual(sel(undefined), ['free', 'seq:4']);
  assert.deepEqual(sel(7), ['free', 'seq:4']);
});

test('stages of any category keyed by a value are selected besides the category\'s when the event shows it', () => {
  const rules = [
    rule('code', 'any where event.code in ("5136", "5137") and winlog.event_data.x == "y"'),
    rule('anyfree', 'any where winlog.event_data.x == "y"'),
    rule('proc', 'process where winlog.event_data.x == "y"'),
  ];
  const m = new EcsRuleMatcher(rules);
  const sel = (code: unknown, cats: string[]) => [...m.select({ event: { code }, winlog: { event_data: { x: 'Y' } } }, cats)].map((i) => rules[i]!.id).sort();
  assert.deepEqual(sel('5136', []), ['anyfree', 'code']);
  assert.deepEqual(sel(5137, ['process']), ['anyfree', 'code', 'proc']);
  assert.deepEqual(sel(['1', '5137'], ['iam']), ['anyfree', 'code']);
  assert.deepEqual(sel('4624', ['process']), ['anyfree', 'proc']);
  assert.deepEqual(sel(undefined, []), ['anyfree']);
});

test('a stage of any category that names event.category values sits with those categories (as written or lower-cased)', () => {
  const rules = [
    rule('lib', 'any where event.category : ("library", "driver") and process.name : "x.exe"'),
    rule('mixed', 'any where (event.category == "file" and process.name : "x.exe") or process.name == "y.exe"'),
  ];
  const m = new EcsRuleMatcher(rules);
  const sel = (cat: unknown, name = 'X.exe') => {
    const cats = typeof cat === 'string' ? [cat] : Array.isArray(cat) ? (cat as string[]) : [];
    return [...m.select({ event: { category: cat }, process: { name } }, cats)].map((i) => rules[i]!.id).sort();
  };
  assert.deepEqual(sel('library'), ['lib']);
  assert.deepEqual(sel('Driver'), ['lib'], 'a category in another case: `:` is case-insensitive');
  assert.deepEqual(sel(['process', 'library']), ['lib']);
  assert.deepEqual(sel('process'), []);
  assert.deepEqual(sel('file'), ['mixed']);
  assert.deepEqual(sel('process', 'y.exe'), ['mixed'], 'an or branch without event.category keeps the stage in every category');
  assert.deepEqual(sel(undefined, 'y.exe'), ['mixed']);
});

test('regex stages gate on a literal run each top-level branch needs; a branch without one gives no gate', () => {
  const g = (q: string) => gateExpr(where(q));
  assert.deepEqual(g('file where file.path regex~ """[A-Z]:\\\\:.+"""'), { kind: 'regex', expr: { kind: 'field', path: ['file', 'path'] }, patterns: ['[A-Z]:\\\\:.+'], flags: 'is' });
  assert.deepEqual((g('network where dns.question.name regex """.*\\.(top|xyz)|evil[0-9]+\\.com"""') as { patterns: unknown }).patterns, ['.*\\.(top|xyz)', 'evil[0-9]+\\.com']);
  assert.equal(g('any where @timestamp regex "2020.*"').kind, 'literal', 'date fields are left alone');
  const rules = [
    rule('ads', 'any where event.category in ("file", "process") and (file.path regex~ """[A-Z]:\\\\:.+""" or process.executable regex~ """[A-Z]:\\\\:.+""")'),
    rule('alt', 'network where dns.question.name regex """.*\\.(top|xyz)|evil[0-9]+\\.com"""'),
    rule('none', 'network where dns.question.name regex """[a-z]+|.*\\.ru"""'),
  ];
  const m = new EcsRuleMatcher(rules, { adaptAfter: 0 });
  const tests = rules.map((r) => compilePredicate((r.query as Extract<Query, { kind: 'event' }>).query.where));
  const cases: [Event, string[], string[]][] = [
    // [event, categories, rules that match (each must be selected)]
    [{ event: { category: 'file' }, file: { path: 'C:\\:stream' } }, ['file'], ['ads']],
    [{ event: { category: 'process' }, process: { executable: 'c:\\:x.exe' } }, ['process'], ['ads']],
    [{ event: { category: 'file' }, file: { path: 'C:\\x\\y' } }, ['file'], []],
    [{ event: { category: 'network' }, dns: { question: { name: 'a.b.XYZ' } } }, ['network'], []],
    [{ event: { category: 'network' }, dns: { question: { name: 'a.b.xyz' } } }, ['network'], ['alt']],
    [{ event: { category: 'network' }, dns: { question: { name: 'evil12.com' } } }, ['network'], ['alt']],
    [{ event: { category: 'network' }, dns: { question: { name: 'good.org' } } }, ['network'], []],
    [{ event: { category: 'network' }, dns: { question: { name: 'mail' } } }, ['network'], ['none']],
  ];
  for (const [ev, cats, want] of cases) {
    const selected = new Set([...m.select(ev, cats)].map((i) => rules[i]!.id));
    const catOf = (r: Rule) => (r.query as Extract<Query, { kind: 'event' }>).query.category;
    const matched = rules.filter((r, i) => (catOf(r) === null || catOf(r) === 'any' || cats.includes(catOf(r)!)) && tests[i]!(ev)).map((r) => r.id);
    assert.deepEqual(matched, want, `engine on ${JSON.stringify(ev)}`);
    for (const id of matched) assert.ok(selected.has(id), `${id} matches ${JSON.stringify(ev)} but was not selected`);
    // The literal gates leave out the regex rules on events without their literals ('none' has a branch without one: always selected).
    assert.ok(selected.has('none') === cats.includes('network'), `none: ${JSON.stringify(ev)}`);
    if (!JSON.stringify(ev).toLowerCase().includes(':\\\\:')) assert.ok(!selected.has('ads'), `ads selected without ':\\:' on ${JSON.stringify(ev)}`);
  }
  // alt's branches need "." and "evil": a name with neither does not select it.
  assert.ok(![...m.select({ event: { category: 'network' }, dns: { question: { name: 'mail' } } }, ['network'])].map((i) => rules[i]!.id).includes('alt'));
  assert.ok([...m.select({ event: { category: 'network' }, dns: { question: { name: 'EVIL' } } }, ['network'])].map((i) => rules[i]!.id).includes('alt'));
});

test('a clause every bucket of a stage guarantees is not read for it; the stage is still selected exactly where it can match', () => {
  const cat = (...texts: string[]) => texts.map((text) => ({ path: ['event', 'category'], kind: 'exact' as const, text }));
  assert.equal(impliedByBuckets(cat('process', 'file'), [{ category: 'process', field: null, texts: null }, { category: 'file', field: 'event.type', texts: null }]), true);
  assert.equal(impliedByBuckets(cat('process'), [{ category: 'process', field: null, texts: null }, { category: null, field: null, texts: null }]), false, 'one bucket group without it');
  assert.equal(impliedByBuckets([{ path: ['event', 'category'], kind: 'prefix', text: 'proc' }], [{ category: 'process', field: null, texts: null }]), false, 'not an exact atom');
  const type = (...texts: string[]) => texts.map((text) => ({ path: ['event', 'type'], kind: 'exact' as const, text }));
  assert.equal(impliedByBuckets(type('start', 'end'), [{ category: null, field: 'event.type', texts: new Set(['start']) }]), true);
  assert.equal(impliedByBuckets(type('start'), [{ category: null, field: 'event.type', texts: new Set(['start', 'end']) }]), false, 'a bucket of another value');
  assert.equal(impliedByBuckets(type('start'), [{ category: null, field: 'event.type', texts: null }]), false, 'the unkeyed buckets');

  const rules = [
    rule('loss', 'sequence by host.id with maxspan=5m [any where data_stream.dataset == "endpoint.alerts"] ![any where event.category in ("process", "file")]'),
    rule('lib', 'any where event.category : ("library", "driver") and process.name : "x.exe"'),
    rule('start', 'process where event.type == "start" and process.name : "y.exe"'),
  ];
  const m = new EcsRuleMatcher(rules, { adaptAfter: 0 });
  const sel = (ev: Event) => {
    const c = (ev.event as { category?: unknown } | undefined)?.category;
    const cats = typeof c === 'string' ? [c] : Array.isArray(c) ? (c as string[]) : [];
    return [...m.select(ev, cats)].map((i) => `${rules[i]!.id}:${m.stages[i]!}`).sort();
  };
  assert.deepEqual(sel({ event: { category: 'process' } }), ['loss:2'], 'the missing-event stage in every process event, with no field read for it');
  assert.deepEqual(sel({ event: { category: ['File'] } }), ['loss:2']);
  assert.deepEqual(sel({ event: { category: 'network' } }), []);
  assert.deepEqual(sel({ event: { category: 'library' }, process: { name: 'X.EXE' } }), ['lib:1']);
  assert.deepEqual(sel({ event: { category: 'driver' }, process: { name: 'z.exe' } }), [], 'the other clause is still read');
  assert.deepEqual(sel({ event: { category: 'process', type: ['start'] }, process: { name: 'y.exe' } }), ['loss:2', 'start:1']);
  assert.deepEqual(sel({ event: { category: 'process', type: ['end'] }, process: { name: 'y.exe' } }), ['loss:2']);
  assert.deepEqual(sel({ event: { category: 'process', type: 'start' }, process: { name: 'q.exe' } }), ['loss:2']);
});
