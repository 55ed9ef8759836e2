/**
 * engine/multi-match: the Aho–Corasick automaton against a brute-force search, the necessary
 * literals read from IR conditions, and the matcher's selection (a rule is never left out when
 * it matches; rules whose literals are absent are left out).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AhoCorasick } from '../../src/engine/multi-match/aho-corasick.js';
import { SkipScanner } from '../../src/engine/multi-match/skip-scan.js';
import { MultiMatcher, necessaryClauses } from '../../src/engine/multi-match/index.js';
import { regexLiteral } from '../../src/engine/multi-match/necessary.js';
import { compilePredicate } from '../../src/engine/index.js';
import { loadSigmaText } from '../../src/sigma/index.js';
import type { Expr } from '../../src/ir/types.js';
import { multiValue } from '../../src/events/multi-value.js';

function brute(needles: string[], text: string): string[] {
  const out: string[] = [];
  needles.forEach((n, p) => {
    for (let i = text.indexOf(n); i >= 0; i = text.indexOf(n, i + 1)) out.push(`${p}@${i}-${i + n.length}`);
  });
  return out.sort();
}

function found(ac: AhoCorasick, text: string, fold = false): string[] {
  const out: string[] = [];
  const hit = (p: number, s: number, e: number): void => void out.push(`${p}@${s}-${e}`);
  if (fold) assert.equal(ac.scanFoldingAscii(text, hit), true);
  else ac.scan(text, hit);
  return out.sort();
}

test('Aho–Corasick finds every occurrence of every needle, overlapping ones included', () => {
  const needles = ['he', 'she', 'his', 'hers', 'e', 'ушь', '\\cmd.exe', 'cmd', '–enc', 'ss'];
  const ac = new AhoCorasick(needles.map((text, payload) => ({ text, payload })));
  for (const text of ['ushers', 'c:\\windows\\system32\\cmd.exe /c hiss', 'powershell –enc ушь', 'hhhhersssss', '', 'zzz']) {
    assert.deepEqual(found(ac, text), brute(needles, text), text);
  }
  // Random texts over a small alphabet (many partial matches and fail transitions).
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const alphabet = 'abcхé\\.';
  const randomNeedles = Array.from({ length: 60 }, () => Array.from({ length: 1 + rnd(5) }, () => alphabet[rnd(alphabet.length)]).join(''));
  const ac2 = new AhoCorasick(randomNeedles.map((text, payload) => ({ text, payload })));
  // The same needles with dense rows for the root alone, and for a few shallow nodes: the sparse
  // steps (children, fail links down to a dense row) must find the same occurrences.
  const sparse = [1, 12, 40].map((entries) => new AhoCorasick(randomNeedles.map((text, payload) => ({ text, payload })), entries));
  for (let i = 0; i < 300; i++) {
    const text = Array.from({ length: rnd(40) }, () => (rnd(3) === 0 ? alphabet.toUpperCase() : alphabet)[rnd(alphabet.length)]).join('');
    const want = brute(randomNeedles, text);
    assert.deepEqual(found(ac2, text), want, text);
    for (const ac of sparse) assert.deepEqual(found(ac, text), want, `sparse: ${text}`);
    if (!/[^\x00-\x7f]/.test(text)) for (const ac of [ac2, ...sparse]) assert.deepEqual(found(ac, text, true), brute(randomNeedles, text.toLowerCase()), `folded: ${text}`);
  }
});

test('scanFoldingAscii matches the lower-cased text, and gives up on non-ASCII text', () => {
  const needles = ['cmd.exe', 'powershell'];
  const ac = new AhoCorasick(needles.map((text, payload) => ({ text, payload })));
  assert.deepEqual(found(ac, 'C:\\Windows\\CMD.EXE PowerShell', true), brute(needles, 'c:\\windows\\cmd.exe powershell'));
  assert.equal(ac.scanFoldingAscii('PowerShell İ', () => {}), false);
});

test('the Wu–Manber keyword scan finds every occurrence in the lower-cased text, İ and the Kelvin sign included', () => {
  const skipFound = (sc: SkipScanner, text: string): string[] => {
    const out: string[] = [];
    sc.scan(text, (p, s, e) => void out.push(`${p}@${s}-${e}`));
    return out.sort();
  };
  const payloads = (hits: string[]): string[] => [...new Set(hits.map((h) => h.split('@')[0]!))].sort();
  const needles = ['sekurlsa::', 'lsadump::', 'kerberos::ptt', 'eo.oe.kiwi', '\\mimilib.dll', 'privilege::debug'];
  assert.equal(SkipScanner.suits(needles.map((text, payload) => ({ text, payload }))), true);
  assert.equal(SkipScanner.suits([{ text: 'abc', payload: 0 }]), false, 'shorter than 4');
  assert.equal(SkipScanner.suits([{ text: 'ушьушь', payload: 0 }]), false, 'not ASCII');
  assert.equal(SkipScanner.suits([{ text: 'Abcd', payload: 0 }]), false, 'not lower-case');
  const sc = new SkipScanner(needles.map((text, payload) => ({ text, payload })));
  for (const text of ['mimikatz # SEKURLSA::LogonPasswords', 'x LSADUMP::sam lsadump::', 'C:\\x\\MimiLib.DLL é', 'Privilege::Debug', 'sekurlsa:', '', 'abc', 'ushers']) {
    assert.deepEqual(skipFound(sc, text), brute(needles, text.toLowerCase()), text);
  }
  // İ lower-cases to i + U+0307 (two code units), the Kelvin sign to k: occurrences are found,
  // at the text's positions.
  assert.deepEqual(skipFound(sc, 'sekurlsa:: İ'), ['0@0-10']);
  assert.deepEqual(skipFound(sc, 'İ sekurlsa::'), ['0@2-12']);
  assert.deepEqual(skipFound(sc, 'EO.OE.KIWİ'), ['3@0-10'], 'İ ending an occurrence in the lower-cased text');
  assert.deepEqual(skipFound(sc, '\u212Aerberos::ptt'), ['2@0-13']);
  // Random needles and texts over a small alphabet (upper case and non-ASCII in the texts): every
  // needle of the lower-cased text is reported; around an İ, at most a few more.
  let seed = 11;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const lower = 'abck:.i';
  const randomNeedles = Array.from({ length: 40 }, () => Array.from({ length: 4 + rnd(6) }, () => lower[rnd(lower.length)]).join(''));
  const sc2 = new SkipScanner(randomNeedles.map((text, payload) => ({ text, payload })));
  const alphabet = 'abcABCkK:.éiIİ\u212A';
  for (let i = 0; i < 600; i++) {
    const text = Array.from({ length: rnd(60) }, () => alphabet[rnd(alphabet.length)]).join('');
    const want = brute(randomNeedles, text.toLowerCase());
    const got = skipFound(sc2, text);
    if (!text.includes('İ')) assert.deepEqual(got, want, text);
    else for (const p of payloads(want)) assert.ok(payloads(got).includes(p), `${text}: needle ${p}`);
  }
});

const where = (yaml: string): Expr => {
  const r = loadSigmaText(yaml, 'inline.yml');
  assert.deepEqual(r.problems, []);
  const q = r.rules[0]!.query;
  assert.equal(q.kind, 'event');
  return (q as { query: { where: Expr } }).query.where;
};

const rule = (detection: string): string => `title: t\nlogsource: {product: windows, category: process_creation}\ndetection:\n${detection}\n`;

test('necessary clauses: one per positive selection; negations, regexes and |cased give none', () => {
  const w = where(rule(`  sel1: {Image|endswith: ['\\\\cmd.exe', '\\\\pwsh.exe']}\n  sel2: {CommandLine|contains: ' /c '}\n  filter: {User: SYSTEM}\n  condition: sel1 and sel2 and not filter`));
  const clauses = necessaryClauses(w);
  // Sysmon and Security 4688 variants: each clause holds the atom of both (Image / NewProcessName).
  const texts = clauses.map((c) => c.map((a) => `${String(a.path[0])}:${a.kind}:${a.text}`).sort().join(' | ')).sort();
  assert.ok(texts.some((t) => t.includes('Image:suffix:\\cmd.exe') && t.includes('NewProcessName:suffix:\\cmd.exe')), texts.join('\n'));
  assert.ok(texts.some((t) => t.includes('CommandLine:contains: /c ')), texts.join('\n'));
  assert.ok(!texts.some((t) => t.includes('system')), 'a negated selection gives no atom');
  assert.deepEqual(necessaryClauses(where(rule(`  sel: {CommandLine|re: 'a.*|b'}\n  condition: sel`))), []);
  assert.deepEqual(necessaryClauses(where(rule(`  sel: {CommandLine|cased: 'ABC'}\n  condition: sel`))), []);
  assert.deepEqual(necessaryClauses(where(rule(`  sel: {CommandLine|contains: 'x'}\n  f: {User: y}\n  condition: sel or not f`))), []);
});

test('the matcher selects every rule that matches, and leaves out rules whose literals are absent', () => {
  const yamls = [
    rule(`  sel: {Image|endswith: '\\\\cmd.exe', CommandLine|contains|all: [' /c ', 'whoami']}\n  condition: sel`),
    rule(`  sel: {ParentImage|startswith: 'C:\\\\Windows\\\\', Image|endswith: '\\\\rundll32.exe'}\n  condition: sel`),
    rule(`  sel: {CommandLine|re: 'who.mi'}\n  condition: sel`),
    rule(`  sel: {OriginalFileName: ['PowerShell.EXE', 'pwsh.dll']}\n  condition: sel`),
    `title: k\nlogsource: {product: windows}\ndetection:\n  keywords: ['sekurlsa::', 'mimikatz']\n  condition: keywords\n`,
    rule(`  sel: {EventID: 1, IntegrityLevel: System}\n  condition: sel`),
  ];
  const wheres = yamls.map(where);
  const keys = yamls.map((y) => loadSigmaText(y, 'x.yml').rules[0]!.gate?.eventIds ?? null);
  const m = new MultiMatcher(wheres.map((w, i) => ({ where: w, keys: keys[i]! })));
  const tests = wheres.map((w) => compilePredicate(w));
  const events: Record<string, unknown>[] = [
    { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\Windows\\System32\\CMD.exe', CommandLine: 'cmd.exe /c WHOAMI /all', ParentImage: 'C:\\Windows\\explorer.exe' },
    { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\Windows\\System32\\rundll32.exe', ParentImage: 'c:\\windows\\system32\\svchost.exe', OriginalFileName: 'RUNDLL32.EXE' },
    { EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\x\\pwsh.exe', OriginalFileName: 'pwsh.dll', CommandLine: ['a', 'sekurlsa::logonpasswords'], IntegrityLevel: 'SYSTEM' },
    { EventID: '1', Channel: 'Microsoft-Windows-Sysmon/Operational', Image: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd /c echo', IntegrityLevel: 'Medium' },
    { EventID: 4688, Channel: 'Security', NewProcessName: 'C:\\Windows\\System32\\cmd.exe', CommandLine: 'cmd /c whoami', ParentProcessName: 'C:\\Windows\\explorer.exe' },
    { EventID: 13, Channel: 'Microsoft-Windows-Sysmon/Operational', Details: 'mimikatz' },
  ];
  const want = [[0], [1], [3, 4, 5], [], [0, 2], [4]];
  events.forEach((ev, i) => {
    const id = ev.EventID;
    const key = typeof id === 'number' ? id : Number(id);
    const selected = [...m.select(ev, key)];
    const matched = tests.map((t, j) => (t(ev) ? j : -1)).filter((j) => j >= 0);
    assert.deepEqual(matched, want[i], `event ${i}: rules that match`);
    for (const j of matched) assert.ok(selected.includes(j), `event ${i}: rule ${j} matches but was not selected (${selected.join(',')})`);
    // Only the regex rule (no literals) is always selected for process creation events.
    for (const j of selected) assert.ok(matched.includes(j) || j === 2, `event ${i}: rule ${j} selected without its literals`);
  });
});

test('unkeyed rules limited to channels meet only events of those channels when select is told the channel', () => {
  const yamls = [
    `title: a\nlogsource: {product: windows, service: application}\ndetection:\n  keywords: ['mimikatz', 'hacktool']\n  condition: keywords\n`,
    `title: b\nlogsource: {product: windows}\ndetection:\n  keywords: ['sekurlsa::']\n  condition: keywords\n`,
  ];
  const rules = yamls.map((y) => loadSigmaText(y, 'x.yml').rules[0]!);
  assert.deepEqual(rules[0]!.gate?.channels, ['Application']);
  const m = new MultiMatcher(rules.map((r) => ({ where: where2(r), keys: r.gate?.eventIds ?? null, channels: r.gate?.channels ?? null })));
  const tests = rules.map((r) => compilePredicate(where2(r)));
  const events: Record<string, unknown>[] = [
    { EventID: 1, Channel: 'Application', Data: 'HackTool found; sekurlsa::x' },
    { EventID: 1, Channel: 'Security', Data: 'HackTool found; sekurlsa::x' },
    { EventID: 1, Data: 'HackTool found' },
    { EventID: 1, Channel: ['Application'], Data: 'HackTool found' },
  ];
  const want = [[0, 1], [1], [], [0]];
  const withChannel = [[0, 1], [1], [0], [0]];
  events.forEach((ev, i) => {
    assert.deepEqual(tests.map((t, j) => (t(ev) ? j : -1)).filter((j) => j >= 0), want[i], `event ${i}: rules that match`);
    assert.deepEqual([...m.select(ev, 1, ev.Channel)], withChannel[i], `event ${i}: selected with its channel`);
    assert.deepEqual([...m.select(ev, 1)], i === 1 ? [0, 1] : withChannel[i], `event ${i}: selected without a channel`);
  });
});

const where2 = (r: ReturnType<typeof loadSigmaText>['rules'][number]): Expr => {
  const q = r.query;
  assert.equal(q.kind, 'event');
  return (q as Extract<typeof q, { kind: 'event' }>).query.where;
};

test('regexLiteral: the longest literal run every match must contain, or null', () => {
  const cases: [string, boolean, string | null][] = [
    ['\\+.*\\+.*\\+', false, '+'],
    ['powershell(\\.exe)?\\s+-enc', false, 'powershell'],
    ['abc|def', false, null],
    ['(abc|def)ghij', false, 'ghij'],
    ['[a-z]+xyz1?', false, 'xyz'],
    ['\\\\Windows\\\\Temp\\\\[^\\\\]+\\.exe$', false, '\\windows\\temp\\'],
    ['\\x41BC', false, 'bc'],
    ['(?<n>ab)\\k<n>cd', false, 'cd'],
    ['mimikatz', true, 'mimi'],
    ['IEX.{0,5}Net', false, 'iex'],
    ['.*', false, null],
  ];
  for (const [src, i, want] of cases) assert.equal(regexLiteral(src, i), want, src);
  // Soundness on random texts: whenever the regex matches, the text (lower-cased) holds the literal.
  const texts = ['a+b+c+', 'PowerShell.exe -enc x', 'XYZ', 'c:\\windows\\temp\\a.exe', 'ABC', 'abcd', 'MIMIKATZ', 'iex   net', 'defghij'];
  for (const [src, i] of cases) {
    const lit = regexLiteral(src, i);
    if (lit === null) continue;
    const re = new RegExp(src, i ? 'i' : '');
    for (const t of texts) if (re.test(t)) assert.ok(t.toLowerCase().includes(lit), `${src} matches ${t} without ${lit}`);
  }
});

test('a multi-valued field is also scanned as its joined text (joined EventData Data), as the engine reads it', () => {
  const w = where(`title: d\nlogsource: {product: windows, service: application}\ndetection:\n  sel: {Data|contains: 'a b'}\n  condition: sel\n`);
  const m = new MultiMatcher([{ where: w, keys: null }]);
  const data = multiValue(['x a', 'b y']);
  assert.equal(compilePredicate(w)({ Channel: 'Application', Data: data }), true, 'the engine matches the joined text');
  assert.deepEqual([...m.select({ Channel: 'Application', Data: data }, null)], [0]);
  assert.deepEqual([...m.select({ Channel: 'Application', Data: ['x a', 'b y'] }, null)], []);
});

/** A seeded generator (xorshift) for the randomized matcher tests below. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Rules and events over a few fields whose values repeat (so texts hit the memo), some always-true clauses. */
function randomWorkload(seed: number, events: number): { wheres: Expr[]; events: Record<string, unknown>[] } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const names = ['cmd.exe', 'powershell.exe', 'svchost.exe', 'rundll32.exe', 'explorer.exe', 'Ünïcode.exe', 'İx.exe'];
  const dirs = ['C:\\Windows\\System32\\', 'C:\\Users\\bob\\AppData\\', 'C:\\ProgramData\\', 'D:\\tools\\'];
  const yamls: string[] = [];
  for (let i = 0; i < 40; i++) {
    const n = pick(names);
    const d = pick(dirs);
    const parts = [`OsType: windows`];
    if (r() < 0.7) parts.push(`Image|endswith: '\\\\${n}'`);
    if (r() < 0.5) parts.push(`Image|startswith: '${d.replace(/\\/g, '\\\\')}'`);
    if (r() < 0.4) parts.push(`CommandLine|contains: '${pick([' /c ', '-enc', 'whoami', 'İ', 'x'])}'`);
    if (r() < 0.3) parts.push(`Kind: ${pick(['start', 'end'])}`);
    yamls.push(rule(`  sel: {${parts.join(', ')}}\n  condition: sel`));
  }
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < events; i++) {
    const img = pick(dirs) + pick(names);
    out.push({
      EventID: 1,
      OsType: r() < 0.97 ? 'windows' : 'linux',
      Image: r() < 0.1 ? img.toUpperCase() : img,
      CommandLine: r() < 0.5 ? `${img} ${pick([' /c dir', '-enc AAA', 'whoami /all', 'İNSTALL', 'y'])}` : [img, pick(['/c', 'x', '-enc'])],
      Kind: r() < 0.95 ? 'start' : 'end',
    });
  }
  return { wheres: yamls.map(where), events: out };
}

test('the per-field text memo changes no selection (same texts again, upper-case, non-ASCII, arrays)', () => {
  const { wheres, events } = randomWorkload(11, 3000);
  const inputs = wheres.map((w) => ({ where: w, keys: [1] }));
  const withMemo = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 0 });
  const without = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 0, memo: false });
  for (const [i, ev] of events.entries()) assert.deepEqual([...withMemo.select(ev, 1)], [...without.select(ev, 1)], `event ${i}`);
});

test('the memo front table (texts by length and a few characters) answers only for the same text: thousands of near-identical texts', () => {
  // Texts of one length differing in one character (the front table's slot reads five of them, so
  // many collide), more distinct texts than the table has slots, each text again later.
  const wheres = [where(rule("  sel: {Image|endswith: '7.exe'}\n  condition: sel")), where(rule("  sel: {Image|contains: '/a1'}\n  condition: sel")), where(rule("  sel: {Image: 'c:/a1/b2.exe'}\n  condition: sel"))];
  const inputs = wheres.map((w) => ({ where: w, keys: [1] }));
  const withMemo = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 0 });
  const without = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 0, memo: false });
  const tests = wheres.map((w) => compilePredicate(w));
  const sysmon = (image: string): Record<string, unknown> => ({ Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: image });
  const texts: string[] = [];
  for (let i = 0; i < 1200; i++) texts.push(`C:/${'abcdefghij'[i % 10]}${i % 7}/b${(i * 7) % 10}.exe`, `c:/a1/b${i % 10}.ex${i % 3 === 0 ? 'e' : 'x'}`, 'c:/a1/b2.exe'.slice(0, 3 + (i % 12)) + String(i % 500), i % 5 === 0 ? 'C:/A1/B2.EXE' : 'c:/a1/b2.exe');
  let selected = 0;
  for (let round = 0; round < 2; round++) {
    for (const [i, t] of texts.entries()) {
      const ev = sysmon(t);
      const got = [...withMemo.select(ev, 1)];
      assert.deepEqual(got, [...without.select(ev, 1)], `round ${round}, text ${i} ${t}`);
      tests.forEach((p, j) => assert.ok(!p(ev) || got.includes(j), `round ${round}, text ${t}: rule ${j} matches but was not selected`));
      selected += got.length;
    }
  }
  // Every rule is selected for some texts and not for others.
  for (let j = 0; j < wheres.length; j++) assert.ok(texts.some((t) => tests[j]!(sysmon(t))) && texts.some((t) => !tests[j]!(sysmon(t))), `rule ${j}`);
  assert.ok(selected > 0);
});

test('clauses true for nearly every event stop being counted after adaptAfter selects; every matching rule is still selected', () => {
  const { wheres, events } = randomWorkload(5, 4000);
  const inputs = wheres.map((w) => ({ where: w, keys: [1] }));
  const adaptive = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 1000 });
  const fixed = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 0 });
  const tests = wheres.map((w) => compilePredicate(w));
  let extra = 0;
  for (const [i, ev] of events.entries()) {
    const a = new Set(adaptive.select(ev, 1));
    const f = [...fixed.select(ev, 1)];
    for (const j of f) assert.ok(a.has(j), `event ${i}: rule ${j} selected before adapting, not after`);
    tests.forEach((t, j) => assert.ok(!t(ev) || a.has(j), `event ${i}: rule ${j} matches but was not selected`));
    extra += a.size - f.length;
  }
  // OsType == windows holds for ~97% of events and is dropped wherever a rule has another clause;
  // the linux events are then selected more often (extra), never fewer.
  assert.ok(adaptive.stats.droppedClauses > 0, 'some always-true clause was dropped');
  assert.equal(fixed.stats.droppedClauses, 0);
  assert.ok(extra > 0, 'dropping clauses lets more rules through on the events they would have excluded');
});

test("guards 'one' (one guard clause per rule read first) selects exactly what guards 'all' selects; adapted, it still selects every matching rule", () => {
  const { wheres, events } = randomWorkload(17, 4000);
  // Keys 1 and 2: rules in one bucket or both, so buckets share rules with different fields.
  const inputs = wheres.map((w, i) => ({ where: w, keys: i % 3 === 0 ? [1, 2] : [1 + (i % 2)] }));
  const all = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 0 });
  const one = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 0, guards: 'one' });
  // Hit rates sampled by what each reads differ, so adapted matchers may drop different clauses:
  // both only ever let more rules through.
  const adapted = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 1000, guards: 'one' });
  const tests = wheres.map((w) => compilePredicate(w));
  let selected = 0;
  for (const [i, ev] of events.entries()) {
    const key = 1 + (i % 2);
    const want = [...all.select(ev, key)];
    assert.deepEqual([...one.select(ev, key)], want, `event ${i}`);
    selected += want.length;
    const a = new Set(adapted.select(ev, key));
    tests.forEach((t, j) => assert.ok(!inputs[j]!.keys.includes(key) || !t(ev) || a.has(j), `event ${i}: rule ${j} matches but was not selected after adapting`));
  }
  assert.ok(selected > 0 && selected < events.length * inputs.length / 4, `${selected} selections: the workload selects some rules, not all`);
  assert.ok(adapted.stats.droppedClauses > 0);
});

test("guards 'one': a rule whose guard held reads its other fields, also those no other rule reads first", () => {
  // Image makes up many single-field clauses, so it is every rule's guard; CommandLine and User
  // are read only for the rules whose Image clause held.
  const yamls = [
    rule(`  sel: {Image|endswith: '\\\\cmd.exe', CommandLine|contains: 'whoami'}\n  condition: sel`),
    rule(`  sel: {Image|endswith: '\\\\pwsh.exe', User|contains: 'admin'}\n  condition: sel`),
    ...['a', 'b', 'c', 'd', 'e'].map((n) => rule(`  sel: {Image|endswith: '\\\\${n}.exe'}\n  condition: sel`)),
  ];
  const inputs = yamls.map((y) => ({ where: where(y), keys: null }));
  const m = new MultiMatcher(inputs, 'elasticsearch', { adaptAfter: 0, guards: 'one' });
  const sel = (ev: Record<string, unknown>) => [...m.select(ev, null)];
  assert.deepEqual(sel({ Image: 'C:\\x\\cmd.exe', CommandLine: 'cmd /c WHOAMI' }), [0]);
  assert.deepEqual(sel({ Image: 'C:\\x\\cmd.exe', CommandLine: 'cmd /c dir' }), []);
  assert.deepEqual(sel({ Image: 'C:\\x\\pwsh.exe', User: 'DOM\\Admin', CommandLine: 'whoami' }), [1]);
  assert.deepEqual(sel({ Image: 'C:\\x\\c.exe', User: 'admin', CommandLine: 'whoami' }), [4]);
  assert.deepEqual(sel({ Image: 'C:\\x\\y.exe', User: 'admin', CommandLine: 'whoami' }), []);
});
