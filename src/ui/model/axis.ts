/**
 * Time axes for the host timeline: a linear or a symmetric-log scale (linear within ±20 ms,
 * logarithmic beyond; marked as such in the view) and tick labels that never overlap: candidate
 * ticks are kept left to right only when their label clears the previous one. Pure; unit-tested.
 */
import { formatGap } from '../../output/text.js';

export type ScaleKind = 'linear' | 'symlog';

export interface Scale {
  kind: ScaleKind;
  lo: number;
  hi: number;
  x0: number;
  x1: number;
  x(ms: number): number;
}

const LINEAR_WITHIN_MS = 20;

export function makeScale(kind: ScaleKind, lo: number, hi: number, x0: number, x1: number): Scale {
  const f = kind === 'linear' ? (ms: number): number => ms : (ms: number): number => Math.asinh(ms / LINEAR_WITHIN_MS);
  const flo = f(lo);
  const span = f(hi) - flo || 1;
  return { kind, lo, hi, x0, x1, x: (ms) => x0 + ((f(ms) - flo) / span) * (x1 - x0) };
}

export function offsetLabel(ms: number): string {
  if (ms === 0) return '0';
  return (ms < 0 ? '−' : '+') + formatGap(Math.abs(ms));
}

function tickText(ms: number): string {
  if (ms === 0) return '0';
  const a = Math.abs(ms);
  const text = a < 1000 ? `${a} ms` : a < 60_000 ? `${a / 1000} s` : a < 3_600_000 ? `${a / 60_000} min` : `${a / 3_600_000} h`;
  return (ms < 0 ? '−' : '+') + text;
}

export interface Tick {
  ms: number;
  x: number;
  label: string;
  /** Label extent in pixels (centred on x, clamped inside the axis). */
  left: number;
  right: number;
}

function candidates(s: Scale): number[] {
  if (s.kind === 'symlog') {
    const mags = [1, 10, 100, 1_000, 10_000, 60_000, 600_000, 3_600_000, 36_000_000];
    return [...mags.map((m) => -m).reverse(), 0, ...mags].filter((t) => t >= s.lo && t <= s.hi);
  }
  const raw = (s.hi - s.lo) / 8;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((st) => st >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let t = Math.ceil(s.lo / step) * step; t <= s.hi; t += step) out.push(Math.round(t * 1e6) / 1e6);
  return out;
}

/** Ticks whose labels (estimated at `charW` px a character, `gap` px apart) do not overlap. */
export function pickTicks(s: Scale, charW = 6.6, gap = 10): Tick[] {
  const all = candidates(s).map((ms): Tick => {
    const label = tickText(ms);
    const w = label.length * charW;
    const x = s.x(ms);
    const left = Math.min(Math.max(x - w / 2, s.x0), s.x1 - w);
    return { ms, x, label, left, right: left + w };
  });
  // Zero first (the anchor), then by distance from it, so the ticks nearest the match survive.
  const order = [...all].sort((a, b) => Math.abs(a.ms) - Math.abs(b.ms));
  const kept: Tick[] = [];
  for (const t of order) if (kept.every((k) => t.right + gap <= k.left || t.left >= k.right + gap)) kept.push(t);
  return kept.sort((a, b) => a.ms - b.ms);
}
