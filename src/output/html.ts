/**
 * The HTML report: ONE self-contained file. The run summary is rendered here as static HTML; the
 * alert views (queue, incidents, lateral-movement graph, per-alert detail and timeline) are the
 * browser UI of src/ui/, inlined as one script, reading the alerts from an embedded JSON block
 * (output/report-data.ts). No external assets, no network: the Content-Security-Policy allows only
 * that one script, pinned by its hash, and no connections, so even a missed escape could not run
 * injected script or send data anywhere. Every alert gets its details (no first-N limit).
 */
import { createHash } from 'node:crypto';
import type { Alert } from '../alert/types.js';
import type { HuntResult, HuntSummary } from '../hunt/types.js';
import { esc } from './html-escape.js';
import { readUiAssets } from './html-assets.js';
import { embedJson, packReportData } from './report-data.js';
import type { ShareWriteRow } from '../shares/types.js';
import { formatCount } from './text.js';

export interface HtmlReportOptions {
  title?: string;
  /** ISO time shown as the generation time (default: now); fixed in tests for reproducible output. */
  generatedAt?: string;
  /** The share-write review of the same inputs (src/shares), shown in the "Share writes" view. */
  shares?: readonly ShareWriteRow[];
}

function statCards(s: HuntSummary, alerts: readonly Alert[]): string {
  const hosts = new Set(alerts.map((a) => a.host)).size;
  const skipped = Object.values(s.skipped).reduce((n: number, c) => n + (c ?? 0), 0);
  const card = (n: string, k: string, cls = ''): string => `<div class="card ${cls}"><div class="n">${esc(n)}</div><div class="k">${esc(k)}</div></div>`;
  return `<div class="cards">${[
    card(formatCount(alerts.length), 'alerts', alerts.length > 0 ? 'alert' : ''),
    card(formatCount(hosts), 'hosts with alerts'),
    card(formatCount(s.events), 'events'),
    card(formatCount(s.files), 'files'),
    card(Number.isFinite(s.eventsPerSecond) ? formatCount(s.eventsPerSecond) : '–', 'events / second'),
    card(formatCount(s.rulesLoaded), 'rules loaded'),
    card(formatCount(skipped), 'records skipped'),
  ].join('')}</div>`;
}

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const th = head.map((h, i) => `<th${numeric.includes(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function summarySection(s: HuntSummary, alerts: readonly Alert[]): string {
  const names = new Map(alerts.map((a) => [a.ruleId, a.ruleName]));
  const byRule = Object.entries(s.alertsByRule).sort((a, b) => b[1] - a[1]);
  const skipped = Object.entries(s.skipped).filter(([, n]) => (n ?? 0) > 0);
  const rules = byRule.length
    ? table(['rule', 'alerts'], byRule.map(([r, n]) => [`${esc(names.get(r) ?? r)} <span class="mono muted small">${esc(r)}</span>`, formatCount(n)]), [1])
    : '<p class="muted">No rule fired.</p>';
  const skippedTable = skipped.length ? table(['reason', 'records'], skipped.map(([k, n]) => [esc(k), formatCount(n ?? 0)]), [1]) : '<p class="muted">Nothing skipped: every record was read.</p>';
  const rulesSkipped = s.rulesSkipped.length
    ? `<h2>Rules not loaded (${s.rulesSkipped.length})</h2>${table(['rule', 'reason', 'source'], s.rulesSkipped.map((r) => [`<span class="mono">${esc(r.id ?? '')}</span>`, esc(r.reason), `<span class="mono small">${esc(r.source)}</span>`]))}`
    : '';
  const shown = s.problems.slice(0, 50);
  const problems = shown.length
    ? `<h2>Input problems (${shown.length === s.problems.length ? shown.length : `first ${shown.length} of ${s.problems.length}`})</h2>${table(['kind', 'where', 'message'], shown.map((p) => [esc(p.kind), `<span class="mono small">${esc(p.file)}${p.where ? ` ${esc(p.where)}` : ''}</span>`, `${esc(p.message)}${p.skipped ? '' : ' <span class="muted">(kept)</span>'}`]))}`
    : '';
  return `<section class="summary" id="summary"><div class="two"><div><h2>Alerts by rule</h2>${rules}</div><div><h2>Skipped input</h2>${skippedTable}</div></div>${rulesSkipped}${problems}</section>`;
}

/** The document shell both pages share: CSP pinning the inlined UI script by hash, the stylesheet, `#app`. */
function uiShell(o: { title: string; sub: string; connect: string; beforeScript: string; body: string }): string {
  const ui = readUiAssets();
  if (/<\/script/i.test(ui.js) || /<\/style/i.test(ui.css)) throw new Error('the UI bundle contains a closing script/style tag');
  const scriptHash = createHash('sha256').update(ui.js).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:; connect-src ${o.connect}; form-action 'none'; base-uri 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<style>${ui.css}</style>
</head>
<body>
<header class="top"><h1>${esc(o.title)}</h1><div class="sub">${o.sub}</div></header>
<main>
${o.body}
</main>
${o.beforeScript}<script>${ui.js}</script>
</body>
</html>
`;
}

/**
 * The live UI page `spoor serve` answers at `/`: the same views, reading the server's API on its
 * own origin (CSP `connect-src 'self'`), new alerts arriving over server-sent events.
 */
export function renderLiveUiPage(opts: { title?: string } = {}): string {
  const title = opts.title ?? 'spoor serve';
  return uiShell({ title, sub: 'live alerts · times are UTC (hover for local time)', connect: "'self'", beforeScript: '', body: '<div id="app"><noscript><p>The spoor UI needs JavaScript.</p></noscript></div>' });
}

export function renderHtmlReport(result: HuntResult, opts: HtmlReportOptions = {}): string {
  const { alerts, summary } = result;
  const title = opts.title ?? 'spoor hunt report';
  const generatedAt = opts.generatedAt ?? new Date().toISOString();
  const data = embedJson(packReportData(alerts, { title, generatedAt, ...(opts.shares ? { shares: opts.shares } : {}) }));
  return uiShell({
    title,
    sub: `generated ${esc(generatedAt)} · ${formatCount(summary.files)} file${summary.files === 1 ? '' : 's'} · ${formatCount(summary.events)} events in ${summary.seconds.toFixed(2)} s · times are UTC (hover for local time)`,
    connect: "'none'",
    beforeScript: `<script type="application/json" id="spoor-data">${data}</script>\n`,
    body: `<div id="app"><noscript><p class="muted">The alert views need JavaScript; the alerts are also available with <span class="mono">-f csv</span> or <span class="mono">-f ndjson</span>.</p></noscript>${alerts.length === 0 ? '<p class="muted">No alerts.</p>' : ''}</div>
${statCards(summary, alerts)}
${summarySection(summary, alerts)}
<footer>spoor · times are UTC · offsets in timelines are relative to the first matched event</footer>`,
  });
}
