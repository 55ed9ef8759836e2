import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeScale, pickTicks, type ScaleKind } from '../../src/ui/model/axis.js';

const ranges: [number, number][] = [
  [0, 214],
  [-20_500, 7_270],
  [-600_000, 3_600_000],
  [-5, 5],
  [0, 1],
  [-3_600_000, 0],
];

for (const kind of ['linear', 'symlog'] as ScaleKind[]) {
  for (const width of [220, 420, 800]) {
    test(`${kind} axis ${width} px: tick labels never overlap, stay inside the axis, include 0`, () => {
      for (const [lo, hi] of ranges) {
        const s = makeScale(kind, lo, hi, 100, 100 + width);
        const ticks = pickTicks(s);
        assert.ok(ticks.length >= 1, `${lo}..${hi}`);
        assert.ok(ticks.some((t) => t.ms === 0), `0 missing for ${lo}..${hi}`);
        for (const t of ticks) {
          assert.ok(t.left >= 100 - 1e-9 && t.right <= 100 + width + 1e-9, `${t.label} outside`);
          assert.ok(t.ms >= lo && t.ms <= hi);
        }
        for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i]!.left >= ticks[i - 1]!.right, `${ticks[i - 1]!.label} overlaps ${ticks[i]!.label} (${lo}..${hi})`);
      }
    });
  }
}

test('scales are monotonic and map the ends to the axis ends', () => {
  for (const kind of ['linear', 'symlog'] as ScaleKind[]) {
    const s = makeScale(kind, -20_000, 7_000, 10, 510);
    assert.equal(s.x(-20_000), 10);
    assert.equal(s.x(7_000), 510);
    let prev = -Infinity;
    for (let ms = -20_000; ms <= 7_000; ms += 37) {
      const x = s.x(ms);
      assert.ok(x > prev);
      prev = x;
    }
  }
  // symlog keeps a 200 ms gap visible next to 20 s of context; linear squeezes it.
  const sym = makeScale('symlog', -20_000, 7_000, 0, 500);
  const lin = makeScale('linear', -20_000, 7_000, 0, 500);
  assert.ok(sym.x(200) - sym.x(0) > 40);
  assert.ok(lin.x(200) - lin.x(0) < 5);
});
