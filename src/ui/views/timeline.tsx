/**
 * The host timeline of an alert: one row per event (labels never collide), a marker on a shared
 * axis of offsets from the first matched event, context limited to ±N s. The scale is linear or
 * symmetric-log (marked on the axis); tick labels are chosen so they never overlap (model/axis.ts).
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { parseTimestamp, type Instant } from '../../events/timestamp.js';
import { describeEvent, type EventKind } from '../../output/describe.js';
import { ellipsize } from '../../output/text.js';
import type { AlertKind } from '../model/alert-kind.js';
import { makeScale, offsetLabel, pickTicks, type ScaleKind } from '../model/axis.js';
import type { UiAlert } from '../model/query.js';

const KIND_CLASS: Record<EventKind, string> = {
  share: 'k-share',
  'process-start': 'k-proc',
  'process-end': 'k-dim',
  file: 'k-file',
  network: 'k-net',
  dns: 'k-net',
  registry: 'k-reg',
  library: 'k-dim',
  service: 'k-svc',
  other: 'k-dim',
};

interface Row {
  at: Instant | null;
  /** 0: context; otherwise 1-based position among the matched events. */
  stage: number;
  label: string;
  text: string;
  kind: EventKind;
  source: string;
}

export function roleOf(kind: AlertKind, stage: number, stages: number): string {
  if (stage === 0) return '';
  if (kind === 'file-share') return stage === 1 ? 'WRITE' : stage === stages ? 'EXEC' : 'MATCH';
  if (kind === 'single') return 'MATCH';
  return `#${stage}`;
}

function rowsOf(a: UiAlert): Row[] {
  const rows: Row[] = [];
  const seen = new Set<unknown>();
  const keyOf = (e: { file: string; position?: number; event: unknown }): unknown => (e.position !== undefined ? `${e.file}\u0000${e.position}` : e.event);
  const src = (e: { file: string; position?: number }): string => `${e.file}${e.position !== undefined ? `:${e.position}` : ''}`;
  a.events.forEach((e, i) => {
    seen.add(keyOf(e));
    const d = describeEvent(e.event);
    rows.push({ at: parseTimestamp(e.event['@timestamp']), stage: i + 1, label: d.label, text: d.text, kind: d.kind, source: src(e) });
  });
  for (const e of a.context ?? []) {
    if (seen.has(keyOf(e))) continue;
    const d = describeEvent(e.event);
    rows.push({ at: parseTimestamp(e.event['@timestamp']), stage: 0, label: d.label, text: d.text, kind: d.kind, source: src(e) });
  }
  const t = (r: Row): number => (r.at ? r.at.ms + r.at.ns / 1e6 : Number.POSITIVE_INFINITY);
  return rows.sort((x, y) => t(x) - t(y) || (x.stage === 0 ? 1 : 0) - (y.stage === 0 ? 1 : 0));
}

const WINDOWS = [5, 30, 120, 600];

export function Timeline({ alert, kind }: { alert: UiAlert; kind: AlertKind }) {
  const [scaleKind, setScaleKind] = useState<ScaleKind>('symlog');
  const [windowS, setWindowS] = useState(30);
  // Drawn at the pane's pixel width (not scaled), so text keeps its size on any screen.
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  useLayoutEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(480, Math.floor(el.clientWidth))));
    ro.observe(el);
    setWidth(Math.max(480, Math.floor(el.clientWidth)));
    return () => ro.disconnect();
  }, []);
  const anchor = parseTimestamp(alert.events[0]?.event['@timestamp'] ?? alert.firstTime) ?? parseTimestamp(alert.firstTime);
  const rel = (r: Row): number | null => (r.at && anchor ? r.at.ms - anchor.ms + (r.at.ns - anchor.ns) / 1e6 : null);
  const lastMatched = (parseTimestamp(alert.lastTime)?.ms ?? anchor?.ms ?? 0) - (anchor?.ms ?? 0);
  const all = rowsOf(alert);
  const rows = all.filter((r) => {
    if (r.stage > 0) return true;
    const o = rel(r);
    return o !== null && o >= -windowS * 1000 && o <= lastMatched + windowS * 1000;
  });
  const hidden = all.length - rows.length;
  if (rows.length === 0) return null;
  const offs = rows.map(rel).filter((x): x is number => x !== null);
  const lo = Math.min(0, ...offs);
  const hi = Math.max(lo + 1, ...offs);
  const W = width;
  // Each row: offset, label and role on the first line (the marker sits on it), the event's text
  // on a second line across the whole width, so nothing is squeezed and nothing overlaps.
  const labelW = Math.round(Math.max(260, W * 0.42));
  const textChars = Math.floor((W - 100) / 7.3);
  const x0 = labelW + 20;
  const x1 = W - 16;
  const rowH = 38;
  const top = 44;
  const H = top + rows.length * rowH + 8;
  const s = makeScale(scaleKind, lo, hi, x0, x1);
  const ticks = pickTicks(s);
  const stages = alert.events.length;
  const i0 = rows.findIndex((r) => r.stage === 1);
  const i1 = rows.findIndex((r) => r.stage === stages);
  const g0 = i0 >= 0 ? rel(rows[i0]!) : null;
  const g1 = i1 >= 0 ? rel(rows[i1]!) : null;
  return (
    <div class="timeline-wrap" ref={wrapRef}>
      <div class="tl-controls">
        <label>
          context ±
          <select value={String(windowS)} onChange={(e) => setWindowS(Number((e.currentTarget as HTMLSelectElement).value))}>
            {WINDOWS.map((w) => (
              <option value={String(w)}>{w} s</option>
            ))}
          </select>
        </label>
        <label>
          scale{' '}
          <select name="scale" value={scaleKind} onChange={(e) => setScaleKind((e.currentTarget as HTMLSelectElement).value as ScaleKind)}>
            <option value="symlog">log beyond ±20 ms</option>
            <option value="linear">linear</option>
          </select>
        </label>
        {hidden > 0 ? <span class="muted">{hidden} context event{hidden === 1 ? '' : 's'} outside ±{windowS} s not shown</span> : null}
      </div>
      <svg class="timeline" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`Timeline of the alert on ${alert.host}`}>
        <text x="8" y="14" class="axis">offset</text>
        <text x="92" y="14" class="axis">event</text>
        <text x={x1} y="12" class="axis" text-anchor="end">
          {scaleKind === 'symlog' ? 'scale: linear within ±20 ms, log beyond' : 'scale: linear'}
        </text>
        <line x1={x0} y1={top - 6} x2={x1} y2={top - 6} class="axisline" />
        {ticks.map((t) => (
          <g class="tickg">
            <line x1={t.x} y1={top - 10} x2={t.x} y2={H - 6} class="tick" />
            <text x={(t.left + t.right) / 2} y={top - 14} class="axis ticklabel" text-anchor="middle">
              {t.label}
            </text>
          </g>
        ))}
        {g0 !== null && g1 !== null && i0 !== i1 ? (
          <rect x={s.x(g0)} y={top + Math.min(i0, i1) * rowH} width={Math.max(2, s.x(g1) - s.x(g0))} height={(Math.abs(i1 - i0) + 1) * rowH} class="gapband" />
        ) : null}
        {rows.map((r, i) => {
          const y = top + i * rowH;
                  const off = rel(r);
          const role = roleOf(kind, r.stage, stages);
          return (
            <g class={r.stage > 0 ? 'tlrow matched' : 'tlrow'}>
              {r.stage > 0 ? <rect x="2" y={y + 1} width={W - 4} height={rowH - 2} rx="4" class="matchrow" /> : null}
              <text x="8" y={y + 16} class="off">
                {off === null ? '?' : offsetLabel(off)}
              </text>
              <text x="92" y={y + 16} class={r.stage > 0 ? 'lbl strong' : 'lbl'}>
                <tspan class={KIND_CLASS[r.kind]}>{ellipsize(r.label, Math.max(8, Math.floor((labelW - 92) / 7.4) - role.length - 1))}</tspan>
                {role ? <tspan class="role"> {role}</tspan> : null}
                <title>{`${r.label}: ${r.text}\n${r.source}`}</title>
              </text>
              <text x="92" y={y + 31} class="txt">
                {ellipsize(r.text, Math.max(12, textChars))}
                <title>{`${r.text}\n${r.source}`}</title>
              </text>
              <line x1={x0} y1={y + 12} x2={x1} y2={y + 12} class="rowline" />
              {off !== null ? <circle cx={s.x(off)} cy={y + 12} r={r.stage > 0 ? 6 : 4} class={`dot ${r.stage > 0 ? 'dot-m' : KIND_CLASS[r.kind]}`} /> : null}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
