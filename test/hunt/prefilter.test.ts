import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { keepLine, ruleLineFilters } from '../../src/hunt/prefilter.js';
import { loadHuntRules } from '../../src/hunt/load-rules.js';
import { runHunt } from '../../src/hunt/run.js';
import { filterKeeps } from '../../src/sources/index.js';
import { writeNdjson } from '../../src/demo/generate.js';

const want = new Set(['file', 'process']);

test('keepLine: skips only plain, single, unwanted categories', () => {
  assert.equal(keepLine('{"event":{"category":["network"]},"x":1}', want), false);
  assert.equal(keepLine('{"event":{"category": [ "registry" , "library" ]}}', want), false);
  assert.equal(keepLine('{"event":{"category":"dns"}}', want), false);
  assert.equal(keepLine('{"event":{"category":["network","file"]}}', want), true);
  assert.equal(keepLine('{"event":{"category":["process"]}}', want), true);
  // Unusual shapes are parsed, never guessed.
  assert.equal(keepLine('{"event":{"category":["network"]}', want), false, 'complete object');
  assert.equal(keepLine('{"event":{"category":["network"]', want), true, 'truncated: parse it to report it');
  assert.equal(keepLine('{"rule":{"category":"x"},"event":{"category":["file"]}}', want), true, 'two category keys');
  assert.equal(keepLine('{"event":{"category":["net\\"work"]}}', want), true, 'escape');
  assert.equal(keepLine('{"event":{"category":null}}', want), true);
  // Windows records: decided by their EventID's table row (5145: network) and their own category.
  assert.equal(keepLine('{"winlog":{"event_id":"5145"},"event":{"category":["network"]}}', want), false, 'a 5145 is a network event');
  assert.equal(keepLine('{"winlog":{"event_id":"11"},"event":{"category":["network"]}}', want), true, 'Sysmon 11 is a file event');
  assert.equal(keepLine('{"winlog":{"event_id":"5145"},"event":{"category":["file"]}}', want), true, 'its own category counts too');
  assert.equal(keepLine('{"EventID":4688,"Channel":"Security","Hostname":"a"}', want), true, 'flat 4688: process');
  assert.equal(keepLine('{"EventID":4624,"Channel":"Security","Hostname":"a"}', want), false, 'flat 4624: authentication');
  assert.equal(keepLine('{"EventID":"x\\y","Channel":"Security"}', want), true, 'an EventID that cannot be read');
  assert.equal(keepLine('{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045}}}}', want, ['7045']), true, 'evtx_dump EventID with Qualifiers');
  assert.equal(keepLine('{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7036}}}}', want, ['7045']), true, 'System 7036 is a process event');
  assert.equal(keepLine('{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7040}}}}', want, ['7045']), false, 'System 7040: configuration');
  assert.equal(keepLine('{"Event":{"System":{"Channel":"Security"}}}', want), true, 'no EventID at all');
  assert.equal(keepLine('{"event":{"category":["network"],"code":"5145"}}', want, ['5145']), true, 'a wanted event code');
  assert.equal(keepLine('{"event.category":"network"}', want), true, 'flat keys are not read');
});

test('the built-in pack can be prefiltered; Sigma rules, context and ungated rules turn it off', async () => {
  const pack = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
  assert.ok(ruleLineFilters(pack.rules, 0));
  assert.equal(ruleLineFilters(pack.rules, 12), null);
  const anyRule = { ...pack.rules[0]!, query: { kind: 'event' as const, query: { category: null, where: { kind: 'literal' as const, value: true } }, pipes: [] } };
  assert.equal(ruleLineFilters([...pack.rules, anyRule], 0), null);
  assert.equal(ruleLineFilters([...pack.rules, { ...pack.rules[0]!, view: 'native' as const }], 0), null);
});

test('a hunt gives the same alerts with and without the prefilter, and counts every line', async () => {
  const dir = tempDir('spoor-prefilter-');
  const file = join(dir, 'fleet.ndjson');
  const gen = await writeNdjson({ events: 30_000, hosts: 30, seed: 5 }, file);
  const a = await runHunt({ inputs: [file], workers: 0, prefilter: true });
  const b = await runHunt({ inputs: [file], workers: 0, prefilter: false });
  assert.ok((a.summary.prefiltered ?? 0) > 1000, `prefiltered ${a.summary.prefiltered}`);
  assert.equal(b.summary.prefiltered ?? 0, 0);
  assert.equal(a.summary.events, gen.events);
  assert.equal(b.summary.events, gen.events);
  assert.deepEqual(a.alerts.map((x) => x.id), b.alerts.map((x) => x.id));
  assert.ok(a.alerts.length >= gen.planted.length);
});

test('keepLine finds a wanted event code before the category key too', () => {
  assert.equal(keepLine('{"event":{"code":"5145","category":["network"]}}', want, ['5145']), true);
  assert.equal(keepLine('{"event":{"code":"5140","category":["network"]}}', want, ['5145']), false);
  assert.equal(keepLine('{"event":{"code":"5.45","category":["network"]}}', want, ['5.45']), true, 'codes are literal text');
  assert.equal(keepLine('{"event":{"code":"5x45","category":["network"]}}', want, ['5.45']), false, 'not regular expressions');
});

test('the overlap filter keeps what continues a sequence, and narrows to the rules still pending', async () => {
  const pack = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
  const f = ruleLineFilters(pack.rules, 0)!.overlap();
  const proc = '{"event":{"category":["process"],"type":["start"]},"process":{"pid":1}}';
  const file = '{"event":{"category":["file"],"type":["creation"]},"process":{"pid":4}}';
  const svc = '{"event":{"code":"7045","category":["configuration"]},"winlog":{"event_id":7045}}';
  assert.equal(filterKeeps(f, proc), true, 'a process start can finish a file-share sequence');
  assert.equal(filterKeeps(f, file), false, 'a first stage cannot continue anything');
  f.narrow(new Set(['file-share-service-install']));
  assert.equal(filterKeeps(f, proc), false, 'only the service rule is pending: process starts no longer matter');
  assert.equal(filterKeeps(f, svc), true);
  f.narrow(new Set());
  assert.equal(filterKeeps(f, proc), false);
});

test('the main filter keeps the share and logon events that name a writer, whatever the rules need', async () => {
  const pack = await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: false });
  const f = ruleLineFilters(pack.rules, 0)!.main();
  assert.equal(filterKeeps(f, '{"event":{"code":"4624","category":["authentication"]},"source":{"ip":"10.0.0.5"}}'), true);
  assert.equal(filterKeeps(f, '{"event":{"code":"5140","category":["network"]},"source":{"ip":"10.0.0.5"}}'), true);
  assert.equal(filterKeeps(f, '{"event":{"code":"4625","category":["authentication"]}}'), false);
});

test('keepKeyed: the decision of keep, by the event.category and event.code the ingest scan read (serve)', async () => {
  const { generateEvents } = await import('../../src/demo/generate.js');
  const { scanDocument } = await import('../../src/serve/scan-doc.js');
  const { isKeyed } = await import('../../src/hunt/prefilter.js');
  const { filterDecides } = await import('../../src/sources/index.js');
  const rules = (await loadHuntRules({ rulesDirs: [], sigmaDirs: [], excludeRules: [], hunting: true })).rules;
  const f = ruleLineFilters(rules, 0)!.main();
  assert.ok(isKeyed(f));
  assert.deepEqual(f.keyedNeedles, [], 'the built-in pack looks for no escape');
  const parts = (line: string): string[] => scanDocument(line)!.tkey!.split('\u0001');
  const decide = (line: string, category = parts(line)[0]!, code = parts(line)[2]!): number => f.keepKeyed(line, 0, category, code);
  let decided = 0;
  const seen = new Set<number>();
  for (const line of generateEvents({ events: 3000, hosts: 6, seed: 3 }).lines) {
    if (!scanDocument(line)?.tkey) continue;
    const d = decide(line);
    assert.equal(d, filterDecides(f, line), line);
    if (d === 2) assert.deepEqual(f.deferredCategories, JSON.parse(parts(line)[0]!));
    seen.add(d);
    decided++;
  }
  assert.ok(decided > 2000);
  assert.deepEqual([...seen].sort(), [0, 1, 2]);
  // A second "category" key: keep parses it; by event.category it is skipped (no rule wants network) or deferred.
  const net = '{"@timestamp":"2026-01-01T00:00:00Z","host":{"id":"h"},"rule":{"category":"process"},"event":{"category":["network"],"type":["start"]}}';
  assert.equal(filterDecides(f, net), 1);
  assert.equal(decide(net), 0);
  const proc = net.replace('["network"]', '["process"]');
  assert.equal(decide(proc), 2);
  // Text that looks like a Windows record or another code key does not matter; event.code does.
  const winlike = net.replace('"rule"', '"note":"EventLog winlog","error":{"code":"5145"},"rule"');
  assert.equal(filterDecides(f, winlike), 1);
  assert.equal(decide(winlike), 0);
  assert.equal(decide(net, undefined, '"5145"'), 1, 'a wanted event.code');
  assert.equal(decide(net, undefined, '"4625"'), 0);
  assert.equal(decide(net, undefined, '5145'), 1, 'a number may be one');
  assert.equal(decide(net, undefined, '"51\\u0034"'), 1, 'an escape may hide one');
  // A category that is not a plain string or array of strings, or none: parsed; so is an escape the checks may not see through.
  assert.equal(decide(net, '"net\\"work"'), 1);
  assert.equal(decide(net, '\u0002'), 1);
  assert.equal(decide(net, 'null'), 1);
  assert.equal(f.keepKeyed(net, 1, '["network"]', '\u0002'), 1);
});
