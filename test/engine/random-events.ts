import type { Event } from '../../src/events/field.js';

const CATS = ['process', 'file', 'network'];

/**
 * A seeded stream of small events for sequence tests that compare two ways of running the engine:
 * 5 hosts (`h`), a second key `u`, a value `n` in 0–4, now and then `kind: "alert"`, times 0–2.1 s
 * apart (equal times included), `i` the position.
 */
export function randomEvents(seed: number, count: number): Event[] {
  let s = seed;
  // The generator's high bits: its low bits repeat with a short period (with `s % k`, several
  // draws per event kept the time gap at 0 for most events, so 400 events spanned ~2 s and the
  // tests' maxspans of 3–8 s never expired anything).
  const rnd = (k: number): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return Math.floor((s / 0x80000000) * k);
  };
  const out: Event[] = [];
  let ms = Date.UTC(2024, 0, 1);
  for (let i = 0; i < count; i++) {
    ms += rnd(4) * 700;
    const ev: Event = { '@timestamp': new Date(ms).toISOString(), event: { category: CATS[rnd(3)]! }, h: `h${rnd(5)}`, u: rnd(2), n: rnd(5), i };
    if (rnd(6) === 0) ev['kind'] = 'alert';
    out.push(ev);
  }
  return out;
}
