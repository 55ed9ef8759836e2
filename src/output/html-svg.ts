/** Inline SVG pictures for the report: the per-alert timeline and the writer → host graph. */
import type { Alert } from '../alert/types.js';
import type { Severity } from '../ir/types.js';
import { parseTimestamp, type Instant } from '../events/timestamp.js';
import { describeEvent, type EventKind } from './describe.js';
import { esc } from './html-escape.js';
import { ellipsize, formatGap } from './text.js';
import { writerLabel } from './table.js';

export const SEVERITY_COLORS: Record<Severity, string> = {
  critical: '#b91c1c',
  high: '#ea580c',
  medium: '#d97706',
  low: '#2563eb',
  informational: '#64748b',
};
export const SEVERITY_RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

const KIND_COLORS: Record<EventKind, string> = {
  share: '#7c3aed',
  'process-start': '#0f766e',
  'process-end': '#94a3b8',
  file: '#0369a1',
  network: '#64748b',
  dns: '#64748b',
  registry: '#a16207',
  library: '#94a3b8',
  service: '#be185d',
  other: '#94a3b8',
};

interface TimelineRow {
  at: Instant | null;
  matched: number; // 0 = context, 1 = first matched event (write), 2 = last (execution), 3 = other matched
  label: string;
  text: string;
  kind: EventKind;
  source: string;
}

function rowsOf(a: Alert): TimelineRow[] {
  const rows: TimelineRow[] = [];
  // Context usually repeats the matched events (as copies): same file and position, or same object.
  const seen = new Set<unknown>();
  const keyOf = (e: { file: string; position?: number; event: unknown }): unknown => (e.position !== undefined ? `${e.file}\u0000${e.position}` : e.event);
  a.events.forEach((e, i) => {
    seen.add(keyOf(e));
    const d = describeEvent(e.event);
    rows.push({ at: parseTimestamp(e.event['@timestamp']), matched: i === 0 ? 1 : i === a.events.length - 1 ? 2 : 3, label: d.label, text: d.text, kind: d.kind, source: `${e.file}${e.position !== undefined ? `:${e.position}` : ''}` });
  });
  for (const e of a.context ?? []) {
    if (seen.has(keyOf(e))) continue;
    const d = describeEvent(e.event);
    rows.push({ at: parseTimestamp(e.event['@timestamp']), matched: 0, label: d.label, text: d.text, kind: d.kind, source: `${e.file}${e.position !== undefined ? `:${e.position}` : ''}` });
  }
  const t = (r: TimelineRow): number => (r.at ? r.at.ms + r.at.ns / 1e6 : Number.POSITIVE_INFINITY);
  return rows.sort((x, y) => t(x) - t(y) || (x.matched === 0 ? 1 : 0) - (y.matched === 0 ? 1 : 0));
}

function offsetLabel(ms: number): string {
  if (ms === 0) return '0';
  const sign = ms < 0 ? '−' : '+';
  return sign + formatGap(Math.abs(ms));
}

function tickLabel(ms: number): string {
  if (ms === 0) return '0';
  const a = Math.abs(ms);
  const text = a < 1000 ? `${a} ms` : a < 60_000 ? `${a / 1000} s` : a < 3_600_000 ? `${a / 60_000} min` : `${a / 3_600_000} h`;
  return (ms < 0 ? '−' : '+') + text;
}

/**
 * A row per event (so labels never collide), each with a marker placed on a shared time axis;
 * the write → execution interval is shaded. Times are relative to the first matched event.
 */
export function timelineSvg(a: Alert): string {
  const rows = rowsOf(a);
  if (rows.length === 0) return '';
  const anchor = parseTimestamp(a.events[0]?.event['@timestamp'] ?? a.firstTime) ?? parseTimestamp(a.firstTime);
  const rel = (r: TimelineRow): number | null => (r.at && anchor ? r.at.ms - anchor.ms + (r.at.ns - anchor.ns) / 1e6 : null);
  const offs = rows.map(rel).filter((x): x is number => x !== null);
  const lo = Math.min(0, ...offs);
  const hi = Math.max(lo + 1, ...offs);
  const W = 1040;
  const labelW = 640;
  const plotX0 = labelW + 30;
  const plotX1 = W - 20;
  const rowH = 24;
  const top = 30;
  const H = top + rows.length * rowH + 14;
  // asinh scale: linear within ~±20 ms, logarithmic beyond, so the sub-second write → execution
  // gap stays readable next to context events tens of seconds away.
  const f = (ms: number): number => Math.asinh(ms / 20);
  const x = (ms: number): number => plotX0 + ((f(ms) - f(lo)) / (f(hi) - f(lo))) * (plotX1 - plotX0);
  const out: string[] = [];
  out.push(`<svg class="timeline" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Timeline of the alert on ${esc(a.host)}" xmlns="http://www.w3.org/2000/svg">`);
  out.push(`<text x="8" y="16" class="axis">offset</text><text x="96" y="16" class="axis">event</text>`);
  out.push(`<text x="${plotX0}" y="16" class="axis">${esc(offsetLabel(lo))}</text><text x="${plotX1}" y="16" class="axis" text-anchor="end">${esc(offsetLabel(hi))}</text>`);
  out.push(`<line x1="${plotX0}" y1="22" x2="${plotX1}" y2="22" class="axisline"/>`);
  const ticks = [-3_600_000, -600_000, -60_000, -10_000, -1_000, -100, 0, 100, 1_000, 10_000, 60_000, 600_000, 3_600_000];
  for (const t of ticks) {
    if (t <= lo || t >= hi) continue;
    const tx = x(t);
    if (tx - plotX0 < 40 || plotX1 - tx < 40) continue;
    out.push(`<line x1="${tx.toFixed(1)}" y1="19" x2="${tx.toFixed(1)}" y2="${H - 10}" class="tick"/><text x="${tx.toFixed(1)}" y="16" class="axis" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  const gapEnd = rows.find((r) => r.matched === 2);
  const gapStart = rows.find((r) => r.matched === 1);
  if (gapStart && gapEnd) {
    const s = rel(gapStart);
    const e = rel(gapEnd);
    if (s !== null && e !== null) {
      const i0 = rows.indexOf(gapStart);
      const i1 = rows.indexOf(gapEnd);
      const x0 = x(s);
      out.push(`<rect x="${x0.toFixed(1)}" y="${top + Math.min(i0, i1) * rowH}" width="${Math.max(2, x(e) - x0).toFixed(1)}" height="${(Math.abs(i1 - i0) + 1) * rowH}" class="gapband"/>`);
    }
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const cy = y + rowH / 2;
    const off = rel(r);
    if (r.matched > 0) out.push(`<rect x="2" y="${y + 1}" width="${W - 4}" height="${rowH - 2}" rx="4" class="matchrow"/>`);
    const role = r.matched === 1 ? 'WRITE' : r.matched === 2 ? 'EXEC' : r.matched === 3 ? 'MATCH' : '';
    out.push(`<text x="8" y="${cy + 4}" class="off">${esc(off === null ? '?' : offsetLabel(off))}</text>`);
    out.push(`<text x="96" y="${cy + 4}" class="${r.matched > 0 ? 'lbl strong' : 'lbl'}"><tspan fill="${KIND_COLORS[r.kind]}">${esc(r.label)}</tspan>${role ? ` <tspan class="role">${role}</tspan>` : ''}<tspan class="txt"> ${esc(ellipsize(r.text, 80 - Math.min(30, r.label.length)))}</tspan><title>${esc(`${r.label}: ${r.text}\n${r.source}`)}</title></text>`);
    out.push(`<line x1="${plotX0}" y1="${cy}" x2="${plotX1}" y2="${cy}" class="rowline"/>`);
    if (off !== null) {
      const color = r.matched === 1 ? '#d97706' : r.matched === 2 ? '#b91c1c' : KIND_COLORS[r.kind];
      out.push(`<circle cx="${x(off).toFixed(1)}" cy="${cy}" r="${r.matched > 0 ? 6 : 4}" fill="${color}" ${r.matched > 0 ? 'stroke="#111827" stroke-width="1.5"' : ''}/>`);
    }
  });
  out.push('</svg>');
  return out.join('');
}

interface GraphEdge {
  source: string;
  target: string;
  count: number;
  severity: Severity;
}

/** Host names of the addresses seen in the alerts' own events (`host.ip`), to name writers. */
function hostNamesByIp(alerts: Alert[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const a of alerts) {
    for (const e of [...a.events, ...(a.context ?? [])]) {
      const host = e.event['host'] as { ip?: unknown; name?: unknown } | undefined;
      if (!host || typeof host.name !== 'string') continue;
      const ips = Array.isArray(host.ip) ? host.ip : [host.ip];
      for (const ip of ips) if (typeof ip === 'string' && ip !== '127.0.0.1' && ip !== '::1' && !names.has(ip)) names.set(ip, host.name);
    }
  }
  return names;
}

/** Who wrote to whom: writer (IP + account) on the left, target hosts on the right. */
export function writerGraphSvg(alerts: Alert[], maxNodes = 30): string {
  const edges = new Map<string, GraphEdge>();
  const sourceAccounts = new Map<string, Set<string>>();
  for (const a of alerts) {
    const src = a.writer?.ip ?? (a.writer?.user ? `(${a.writer.user})` : 'unknown writer');
    const acct = a.writer?.user ? (a.writer.domain ? `${a.writer.domain}\\${a.writer.user}` : a.writer.user) : '';
    if (!sourceAccounts.has(src)) sourceAccounts.set(src, new Set());
    if (acct) sourceAccounts.get(src)!.add(acct);
    const key = `${src}\u0000${a.host}`;
    const e = edges.get(key);
    if (e) {
      e.count++;
      if (SEVERITY_RANK[a.severity] > SEVERITY_RANK[e.severity]) e.severity = a.severity;
    } else edges.set(key, { source: src, target: a.host, count: 1, severity: a.severity });
  }
  // Keep the heaviest edges while each side has room, so every drawn node has a drawn edge.
  const kept: GraphEdge[] = [];
  const keptSources = new Map<string, number>();
  const keptTargets = new Set<string>();
  const sorted = [...edges.values()].sort((p, q) => q.count - p.count || SEVERITY_RANK[q.severity] - SEVERITY_RANK[p.severity] || p.source.localeCompare(q.source) || p.target.localeCompare(q.target));
  for (const e of sorted) {
    const newSource = !keptSources.has(e.source);
    const newTarget = !keptTargets.has(e.target);
    if ((newSource && keptSources.size >= maxNodes) || (newTarget && keptTargets.size >= maxNodes)) continue;
    kept.push(e);
    keptSources.set(e.source, (keptSources.get(e.source) ?? 0) + e.count);
    keptTargets.add(e.target);
  }
  // Writers in order of their first alert, so a lateral chain reads from top to bottom.
  const firstSeen = new Map<string, number>();
  for (const a of alerts) {
    const src = a.writer?.ip ?? (a.writer?.user ? `(${a.writer.user})` : 'unknown writer');
    const t = Date.parse(a.firstTime);
    if (!Number.isNaN(t) && !(firstSeen.get(src)! <= t)) firstSeen.set(src, t);
  }
  const when = (x: string): number => firstSeen.get(x) ?? Number.POSITIVE_INFINITY;
  const sources = [...keptSources.keys()].sort((p, q) => when(p) - when(q) || keptSources.get(q)! - keptSources.get(p)! || p.localeCompare(q));
  // Order targets by the mean position of their writers (barycentre) so fewer edges cross.
  const sourceIndex = new Map(sources.map((src, i) => [src, i]));
  const bary = new Map<string, number>();
  for (const t of keptTargets) {
    const idx = kept.filter((e) => e.target === t).map((e) => sourceIndex.get(e.source)!);
    bary.set(t, idx.reduce((a, b) => a + b, 0) / idx.length);
  }
  const targets = [...keptTargets].sort((p, q) => bary.get(p)! - bary.get(q)! || p.localeCompare(q));
  const allSources = new Set([...edges.values()].map((e) => e.source));
  const allTargets = new Set([...edges.values()].map((e) => e.target));
  if (sources.length === 0) return '<p class="muted">No alerts, so nothing wrote to anything.</p>';
  const nodeH = 44;
  const gap = 14;
  const W = 1040;
  const boxW = 300;
  const rows = Math.max(sources.length, targets.length);
  const H = 40 + rows * (nodeH + gap) + 20;
  const yOf = (i: number, n: number): number => 40 + ((rows - n) * (nodeH + gap)) / 2 + i * (nodeH + gap);
  const sy = new Map(sources.map((s, i) => [s, yOf(i, sources.length)]));
  const ty = new Map(targets.map((t, i) => [t, yOf(i, targets.length)]));
  const sx = 20;
  const tx = W - 20 - boxW;
  const out: string[] = [];
  out.push(`<svg class="graph" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Which writer wrote to which host" xmlns="http://www.w3.org/2000/svg">`);
  out.push(`<text x="${sx}" y="22" class="axis">writer (source of the SMB write)</text><text x="${tx}" y="22" class="axis">host where the file ran</text>`);
  for (const e of kept) {
    const y0 = sy.get(e.source);
    const y1 = ty.get(e.target);
    if (y0 === undefined || y1 === undefined) continue;
    const a0 = y0 + nodeH / 2;
    const a1 = y1 + nodeH / 2;
    const x0 = sx + boxW;
    const x1 = tx;
    const mx = (x0 + x1) / 2;
    const width = Math.min(8, 1.5 + Math.log2(e.count) * 1.5);
    out.push(`<path d="M${x0},${a0} C${mx},${a0} ${mx},${a1} ${x1},${a1}" fill="none" stroke="${SEVERITY_COLORS[e.severity]}" stroke-width="${width.toFixed(1)}" stroke-opacity="0.75"><title>${esc(`${e.source} → ${e.target}: ${e.count} alert${e.count === 1 ? '' : 's'} (${e.severity})`)}</title></path>`);
    out.push(`<circle cx="${x1 - 4}" cy="${a1}" r="3.5" fill="${SEVERITY_COLORS[e.severity]}"/>`);
    // The count sits near the target end, where edges into different hosts are apart.
    if (e.count > 1) out.push(`<text x="${x1 - 16}" y="${a1 - 6}" class="edgecount" text-anchor="end">${e.count}</text>`);
  }
  const node = (x: number, y: number, title: string, subtitle: string, cls: string): string =>
    `<g class="${cls}"><rect x="${x}" y="${y}" width="${boxW}" height="${nodeH}" rx="8"/><text x="${x + 12}" y="${y + 19}" class="nodetitle">${esc(ellipsize(title, 36))}</text><text x="${x + 12}" y="${y + 35}" class="nodesub">${esc(ellipsize(subtitle, 44))}</text><title>${esc(`${title}\n${subtitle}`)}</title></g>`;
  const names = hostNamesByIp(alerts);
  for (const s of sources) {
    const accts = [...(sourceAccounts.get(s) ?? [])];
    const name = names.get(s);
    out.push(node(sx, sy.get(s)!, name ? `${s} (${name})` : s, accts.length ? accts.join(', ') : 'account unknown', 'node src'));
  }
  const perHost = new Map<string, number>();
  for (const a of alerts) perHost.set(a.host, (perHost.get(a.host) ?? 0) + 1);
  for (const t of targets) {
    const n = perHost.get(t) ?? 0;
    out.push(node(tx, ty.get(t)!, t, `${n} alert${n === 1 ? '' : 's'}`, 'node dst'));
  }
  out.push('</svg>');
  const hiddenEdges = edges.size - kept.length;
  const hiddenNodes = allSources.size - sources.length + allTargets.size - targets.length;
  return out.join('') + (hiddenEdges > 0 ? `<p class="muted">Showing the ${kept.length} busiest of ${edges.size} writer → host pairs (${hiddenNodes} more node${hiddenNodes === 1 ? '' : 's'} not drawn; at most ${maxNodes} per side).</p>` : '');
}

export { writerLabel };
