/** Sigma string helpers: escapes, windash permutations, base64offset slices (pySigma's known outputs). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64OffsetVariants, parseSigmaString, utf16be, windashVariants } from '../../src/sigma/strings.js';

test('parseSigmaString tokenises wildcards and resolves escapes', () => {
  assert.deepEqual(parseSigmaString('a*b?c'), [{ t: 'lit', v: 'a' }, { t: 'star' }, { t: 'lit', v: 'b' }, { t: 'one' }, { t: 'lit', v: 'c' }]);
  assert.deepEqual(parseSigmaString('a\\*b\\?c\\\\d\\e\\'), [{ t: 'lit', v: 'a*b?c\\d\\e\\' }]);
  assert.deepEqual(parseSigmaString('\\\\*'), [{ t: 'lit', v: '\\' }, { t: 'star' }]);
  assert.deepEqual(parseSigmaString(''), []);
});

test('windash: 5 variants per flag dash, none for dashes inside words', () => {
  const v = windashVariants(parseSigmaString(' -a /b'))!;
  assert.equal(v.length, 25);
  assert.ok(v.some((p) => p[0]?.t === 'lit' && p[0].v === ' \u2014a -b'));
  assert.equal(windashVariants(parseSigmaString('x-y'))!.length, 1);
  assert.equal(windashVariants(parseSigmaString('-a -b -c -d -e -f -g'), 4096), null);
});

test('base64offset gives pySigma’s three slices', () => {
  assert.deepEqual(base64OffsetVariants(Buffer.from('http://')), ['aHR0cDovL', 'h0dHA6Ly', 'odHRwOi8v']);
  assert.deepEqual(base64OffsetVariants(Buffer.from('/bin/bash')), ['L2Jpbi9iYXNo', '9iaW4vYmFza', 'vYmluL2Jhc2']);
  assert.deepEqual([...utf16be('ab')], [0, 0x61, 0, 0x62]);
});
