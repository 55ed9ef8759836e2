/**
 * Rule regexes never hang (issue 10, item 1): the classic catastrophic-backtracking shapes finish
 * fast on both engines, unsafe syntax is refused with a reason, and both engines agree with
 * JavaScript's RegExp on random patterns and texts (the differential part replays from its seed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { compileRegex, checkRegex } from '../../src/ir/regex.js';
import { compilePike } from '../../src/ir/regex-pike.js';
import { parseRegex } from '../../src/ir/regex-syntax.js';
import { rng } from '../helpers/rng.js';

const EVIL = 'a'.repeat(36) + '!';
const REDOS: [string, string][] = [
  ['(a+)+$', ''],
  ['(a|a)*$', ''],
  ['(a|aa)+$', ''],
  ['(.*a){20}!x', ''],
  ['(.*a){12}$', ''],
  ['(a*)*b', 'i'],
  ['(a+)+$', 'i'],
  ['^(\\w+\\s?)*$', 'i'],
  ['(a|a?)+$', 'u'],
  ['(?:a?){30}a{30}', ''],
  ['.*a.*a.*a.*a.*a.*b', 's'],
  ['^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$', ''],
];

function pikeOf(source: string, flags: string) {
  const tree = parseRegex(source, { ignoreCase: flags.includes('i'), dotAll: flags.includes('s'), multiline: flags.includes('m') });
  const p = compilePike(tree, flags.includes('m'));
  assert.ok(p);
  return p;
}

/** CPU milliseconds spent in `f` (user + system). */
function cpuMs(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}

test('catastrophic-backtracking shapes finish quickly on both engines', () => {
  for (const [src, flags] of REDOS) {
    const re = compileRegex(src, flags);
    const pike = pikeOf(src, flags);
    for (const text of [EVIL, EVIL.repeat(50), 'a'.repeat(3000)]) {
      const expected = pike.test(text);
      // Warm up so V8 tiers the RegExp up to native code, then time the hostile text.
      for (let i = 0; i < 50; i++) re.test('aaa');
      const ms = cpuMs(() => assert.equal(re.test(text), expected, `/${src}/${flags} on ${text.length} chars`));
      assert.ok(ms < 2000, `/${src}/${flags} took ${ms} ms (${re.engine})`);
      const pms = cpuMs(() => pike.test(text));
      assert.ok(pms < 2000, `/${src}/${flags} took ${pms} ms on the Pike VM`);
    }
  }
});

test('the V8 guard also holds in a worker thread', async () => {
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(new URL('../../src/ir/regex.js', import.meta.url).href)}).then(({ compileRegex }) => {
      const re = compileRegex('(a+)+$', '');
      const t = process.hrtime.bigint();
      const r = re.test('a'.repeat(40) + '!');
      parentPort.postMessage({ r, ms: Number(process.hrtime.bigint() - t) / 1e6, engine: re.engine });
    });`;
  const w = new Worker(code, { eval: true });
  const msg = await new Promise<{ r: boolean; ms: number; engine: string }>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await w.terminate();
  assert.equal(msg.r, false);
  assert.ok(msg.ms < 2000, `worker took ${msg.ms} ms on ${msg.engine}`);
});

test('unsafe or unsupported syntax is refused with a reason', () => {
  const cases: [string, RegExp][] = [
    ['(a+)\\1', /backreferences and lookaround/],
    ['(?<n>a)*\\k<n>', /backreferences and lookaround/],
    ['(?=a+)b', /backreferences and lookaround/],
    ['(?<!a)b*', /backreferences and lookaround/],
    ['(?:(a|b){1,20})\\1', /backreferences and lookaround/],
    ['\\p{L}+', /Unicode property/],
    ['a{5000}', /larger than 1000/],
    ['((a{1,1000}){1,1000}){1,100}', /too large/],
  ];
  for (const [src, reason] of cases) assert.match(checkRegex(src, '') ?? 'accepted', reason, src);
  assert.match(checkRegex('a', 'g') ?? '', /flag 'g'/);
  // Bounded backtracking is fine: a backreference or lookaround without unbounded quantifiers.
  const br = compileRegex('^(?<x>ab)\\k<x>$', '');
  assert.equal(br.engine, 'v8-bounded');
  assert.deepEqual(['abab', 'ababc'].map((t) => br.test(t)), [true, false]);
  assert.equal(compileRegex('(?<!x)\\.exe', 'i').test('a.EXE'), true);
  assert.equal(checkRegex('[^\\\\]{1,256}$', ''), undefined);
});

test('counted repetitions V8 cannot run linearly: bounded ones run as written, others on the Pike VM', () => {
  const src = '(?:[Pp]rogram[Dd]ata|%(?:[Ll]ocal)?[Aa]pp[Dd]ata%)\\\\[^\\\\]{1,256}$';
  const re = compileRegex(src, '');
  assert.equal(re.engine, 'v8-bounded');
  const native = new RegExp(src);
  for (const text of ['C:\\ProgramData\\' + 'x'.repeat(256), 'C:\\ProgramData\\' + 'x'.repeat(257), '%AppData%\\a', 'C:\\ProgramData\\dir\\']) {
    assert.equal(re.test(text), native.test(text), text);
  }
  // An unbounded quantifier beside a long counted one: the Pike VM, behind a literal prefilter.
  for (const flags of ['', 'i']) {
    const host = compileRegex('HostId=[a-zA-Z0-9-]{36}\\s+EngineVersion=', flags);
    assert.equal(host.engine, 'pike');
    const nat = new RegExp('HostId=[a-zA-Z0-9-]{36}\\s+EngineVersion=', flags);
    const id = '0123456789abcdef0123456789abcdef0123';
    for (const text of [`x HostId=${id}  EngineVersion=5`, `HOSTID=${id} ENGINEVERSION=`, `HostId=${id}x EngineVersion=`, 'nothing', `HostId=${id}`]) {
      assert.equal(host.test(text), nat.test(text), `${flags} ${text}`);
    }
  }
});

// --- differential: random patterns and texts against JavaScript's RegExp ---

const ALPHABET = ['a', 'b', 'A', 'B', ' ', '\n', '-', '_', '1', 'é', 'É', 'ſ', 'K'];

function randomPattern(r: () => number, depth: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const atom = (): string => {
    const k = r();
    if (depth > 0 && k < 0.2) return `(${randomPattern(r, depth - 1)})`;
    if (depth > 0 && k < 0.3) return `(?:${randomPattern(r, depth - 1)}|${randomPattern(r, depth - 1)})`;
    return pick(['a', 'b', 'A', '.', '\\w', '\\W', '\\d', '\\s', '[ab]', '[^a]', '[a-z]', '[^A-Z_]', '[\\w-]', 'é', '\\u00c9', '\\x41', '[k]', '\\-', '\\.']);
  };
  let out = '';
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    if (r() < 0.08) out += pick(['^', '$', '\\b', '\\B']);
    out += atom();
    if (r() < 0.4) out += pick(['*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?', '{2,}']);
  }
  return r() < 0.15 ? `${out}|${randomPattern(r, 0)}` : out;
}

test('both engines agree with RegExp on random patterns (seeded)', () => {
  const seed = 20261202;
  const r = rng(seed);
  let compared = 0;
  for (let i = 0; i < 300; i++) {
    const src = randomPattern(r, 2);
    const flags = ['', 'i', 's', 'm', 'is', 'im'][Math.floor(r() * 6)]!;
    const native = new RegExp(src, flags);
    const safe = compileRegex(src, flags);
    const pike = pikeOf(src, flags);
    for (let j = 0; j < 8; j++) {
      let text = '';
      const len = Math.floor(r() * 8);
      for (let k = 0; k < len; k++) text += ALPHABET[Math.floor(r() * ALPHABET.length)];
      const want = native.test(text);
      assert.equal(safe.test(text), want, `seed ${seed}: /${src}/${flags} on ${JSON.stringify(text)} (${safe.engine})`);
      assert.equal(pike.test(text), want, `seed ${seed}: /${src}/${flags} on ${JSON.stringify(text)} (pike)`);
      compared++;
    }
  }
  assert.equal(compared, 2400);
});
