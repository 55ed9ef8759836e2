/** sources/search.ts: needles searched from their rarest character find exactly what indexOf finds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorOf, indexOfAnchored } from '../../src/sources/search.js';

const NEEDLES = ['event_id"', 'code"', 'category"', 'EventID"', 'Event', 'executable"', 'Image"', 'pid"', '_type"', 'winlog', 'x', 'aa"', 'a_a_"', '\\u'];

/** Every occurrence, overlapping ones too. */
function all(find: (t: string, n: string, i: number) => number, text: string, n: string): number[] {
  const out: number[] = [];
  for (let i = find(text, n, 0); i >= 0; i = find(text, n, i + 1)) out.push(i);
  return out;
}

test('anchored search finds every occurrence indexOf finds, in any text', () => {
  let seed = 7;
  const rnd = (k: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  const alphabet = 'aeEv_idxc"o:de{}, \\u';
  for (let round = 0; round < 300; round++) {
    // Texts built from pieces of the needles themselves, so partial and overlapping matches abound.
    let text = '';
    while (text.length < 200) {
      const n = NEEDLES[rnd(NEEDLES.length)]!;
      text += rnd(3) === 0 ? n.slice(rnd(n.length)) : rnd(2) === 0 ? n : alphabet[rnd(alphabet.length)]!;
    }
    for (const n of NEEDLES) assert.deepEqual(all(indexOfAnchored, text, n), all((t, x, i) => t.indexOf(x, i), text, n), `${JSON.stringify(n)} in ${JSON.stringify(text)}`);
  }
});

test('the anchor is a rare character of the key, never its closing quote', () => {
  assert.equal(anchorOf('event_id"').tail, '_id"');
  assert.equal(anchorOf('executable"').tail, 'xecutable"');
  assert.equal(anchorOf('EventID"').tail, 'EventID"');
  assert.equal(anchorOf('"').tail, '"');
  assert.equal(anchorOf('code"').head + anchorOf('code"').tail, 'code"');
});
