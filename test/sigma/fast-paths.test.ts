/**
 * The rule tests made fast for SigmaHQ's costliest rules give the same answers as before:
 * - literal pieces joined by `.*` (ir/regex-gapped.ts) against JavaScript's RegExp;
 * - CIDR tests on 32-bit numbers (engine/cidr.ts) against the bigint comparison they replace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRegex } from '../../src/ir/regex.js';
import { compileCidrs, parseCidr, parseIPv4, parseIPv6 } from '../../src/engine/cidr.js';
import { rng } from '../helpers/rng.js';

const OBFUSCATION = [
  '\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+',
  '\\{.*\\{.*\\{.*\\{.*\\{.*\\{.*\\{.*\\{.*\\{.*\\{',
  '\\^.*\\^.*\\^.*\\^.*\\^',
  '`.*`.*`.*`.*`',
];

test("SigmaHQ's obfuscation patterns run as in-order literal searches, as RegExp answers", () => {
  for (const src of OBFUSCATION) {
    const re = compileRegex(src, '');
    assert.equal(re.engine, 'gapped-literals', src);
    const native = new RegExp(src);
    const n = src.split('.*').length;
    const ch = src.split('.*')[0]!.replace('\\', '');
    const texts = [ch.repeat(n), ch.repeat(n - 1), `a${ch}b`.repeat(n) + 'c', `${ch.repeat(n - 1)}\n${ch}`, `x${ch}`.repeat(400), `${ch}\r\n`.repeat(n)];
    for (const t of texts) assert.equal(re.test(t), native.test(t), `/${src}/ on ${JSON.stringify(t.slice(0, 40))}`);
  }
  // What does not qualify keeps its engine: letters under `i`, anchors, classes, `.+`.
  for (const [src, flags] of [['a.*b', 'i'], ['^a.*b', ''], ['a.*[bc]', ''], ['a.+b', ''], ['a.*', '']] as const) {
    assert.notEqual(compileRegex(src, flags).engine, 'gapped-literals', `/${src}/${flags}`);
  }
});

test('in-order literal search agrees with RegExp on random patterns and texts (seeded)', () => {
  const seed = 1202;
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const units = ['a', 'b', '+', '^', '1', '-', ' ', 'é'];
  const textUnits = [...units, '\n', '\r', '\u2028', 'A', 'ab', '+^'];
  let gapped = 0;
  let compared = 0;
  for (let i = 0; i < 400; i++) {
    const pieces: string[] = [];
    const n = 2 + Math.floor(r() * 4);
    for (let k = 0; k < n; k++) {
      let p = '';
      const len = Math.floor(r() * 3);
      for (let j = 0; j < len; j++) p += pick(units).replace(/[+^]/, '\\$&');
      pieces.push(p);
    }
    const src = pieces.join(pick(['.*', '.*?']));
    const flags = pick(['', 's', 'm', 'i', 'si']);
    const native = new RegExp(src, flags);
    const safe = compileRegex(src, flags);
    if (safe.engine === 'gapped-literals') gapped++;
    for (let j = 0; j < 12; j++) {
      let text = '';
      const len = Math.floor(r() * 14);
      for (let k = 0; k < len; k++) text += pick(textUnits);
      assert.equal(safe.test(text), native.test(text), `seed ${seed}: /${src}/${flags} on ${JSON.stringify(text)} (${safe.engine})`);
      compared++;
    }
  }
  assert.ok(gapped > 150, `only ${gapped} patterns took the in-order search`);
  assert.equal(compared, 4800);
});

/** The bigint comparison compileCidrs used before (every block, mapped addresses both ways). */
function reference(cidrs: readonly string[]): (ip: string) => boolean {
  const MAPPED = 0xffffn << 32n;
  const blocks = cidrs.map((c) => parseCidr(c)!);
  for (const b of [...blocks]) {
    if (b.v6 && (b.net & ~0xffffffffn) === MAPPED && b.mask >> 32n === (1n << 96n) - 1n) blocks.push({ v6: false, net: b.net & 0xffffffffn, mask: b.mask & 0xffffffffn });
  }
  return (ip) => {
    const t = ip.trim();
    const v4 = parseIPv4(t);
    const v6n = v4 === null ? parseIPv6(t) : null;
    if (v4 === null && v6n === null) return false;
    const v6 = v4 === null;
    const n = v4 ?? v6n!;
    if (v6 && (n & ~0xffffffffn) === MAPPED) {
      for (const b of blocks) if (!b.v6 && ((n & 0xffffffffn) & b.mask) === b.net) return true;
    }
    for (const b of blocks) if (b.v6 === v6 && (n & b.mask) === b.net) return true;
    return false;
  };
}

test('CIDR tests on 32-bit numbers agree with the bigint comparison (seeded)', () => {
  const lists = [
    // SigmaHQ's "Failed Logon From Public IP" filter
    ['::1/128', '10.0.0.0/8', '127.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'],
    ['0.0.0.0/0'],
    ['255.255.255.255/32', '1.2.3.4/31'],
    ['::ffff:10.0.0.0/104', '2001:db8::/32'],
  ];
  const fixed = [
    '10.1.2.3', ' 10.1.2.3 ', '10.1.2.3\n', '010.001.002.003', '11.0.0.0', '172.31.255.255', '172.32.0.0', '192.168.0.1', '192.169.0.1',
    '255.255.255.255', '255.255.255.254', '1.2.3.5', '1.2.3.6', '256.1.1.1', '1.2.3', '1.2.3.4.', '.1.2.3.4', '1..2.3', '1.2.3.4.5', '1234.1.1.1',
    '', '-', ' ', '::1', '::2', '::ffff:10.9.8.7', '::ffff:11.9.8.7', 'fe80::1%12', 'fc00::', 'fb00::', '2001:db8::5', '2001:db9::', '0.0.0.0', '١.2.3.4',
  ];
  const r = rng(4625);
  const random: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const octet = (): string => String(Math.floor(r() * (r() < 0.1 ? 400 : 256)));
    random.push([octet(), octet(), octet(), octet()].join('.'));
    random.push([octet(), octet(), octet()].join('.'));
    random.push(`::ffff:${octet()}.${octet()}.${octet()}.${octet()}`);
  }
  for (const list of lists) {
    const fast = compileCidrs(list);
    const ref = reference(list);
    for (const ip of [...fixed, ...random]) assert.equal(fast(ip), ref(ip), `${JSON.stringify(ip)} in ${list.join(',')}`);
  }
});
