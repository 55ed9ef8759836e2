/**
 * The HTML report: ONE self-contained file (inline CSS, JS and SVG; no external assets) with
 * the run summary, the writer → host graph, the alert list and, per alert, a timeline.
 * Every piece of event data is escaped; a Content-Security-Policy allows only the report's own
 * inline script (by hash), so even a missed escape could not run injected script.
 */
import { createHash } from 'node:crypto';
import type { Alert } from '../alert/types.js';
import type { HuntResult, HuntSummary } from '../hunt/types.js';
import { esc, safeId } from './html-escape.js';
import { SEVERITY_COLORS, SEVERITY_RANK, timelineSvg, writerGraphSvg } from './html-svg.js';
import { stringifyExact } from './json.js';
import { shortTime } from './table.js';
import { formatCount, formatGap } from './text.js';

export interface HtmlReportOptions {
  title?: string;
  /** ISO time shown as the generation time (default: now); fixed in tests for reproducible output. */
  generatedAt?: string;
  /** Alerts drawn in full detail (timeline, events); the list always shows up to `maxListed`. */
  maxDetailed?: number;
  maxListed?: number;
}

const CSS = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--accent:#1d4ed8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#0f172a;color:#e2e8f0;padding:22px 32px}
header h1{margin:0 0 4px;font-size:22px;font-weight:650;letter-spacing:.2px}
header .sub{color:#94a3b8;font-size:13px}
main{max-width:1180px;margin:0 auto;padding:22px 24px 60px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
h2{font-size:16px;margin:0 0 12px}
h3{font-size:15px;margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .n{font-size:22px;font-weight:650}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.4px}
.card.alert .n{color:#b91c1c}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.3px;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.nowrap{white-space:nowrap}
td.rule{min-width:200px}
td.path{min-width:190px}
.small{font-size:11.5px}
td.mono,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;overflow-wrap:anywhere}
tr.alert-row:hover{background:#f8fafc}
.sev{display:inline-block;padding:1px 8px;border-radius:999px;color:#fff;font-size:12px;font-weight:600}
.muted{color:var(--muted)}
.two{display:grid;grid-template-columns:1fr 1fr;gap:18px}
.filters{display:flex;gap:10px;margin:0 0 10px}
.filters input,.filters select{font:inherit;padding:5px 8px;border:1px solid #cbd5e1;border-radius:6px}
.filters input{flex:1}
.alert-card{border-left:4px solid var(--sevc,#d97706)}
.alert-head{display:flex;justify-content:space-between;align-items:baseline;gap:12px;margin-bottom:10px}
dl.meta{display:grid;grid-template-columns:160px 1fr;gap:4px 14px;margin:0 0 12px}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0}
details.raw summary{cursor:pointer;color:var(--accent);margin-top:8px}
pre{background:#0f172a;color:#e2e8f0;padding:12px;border-radius:8px;overflow:auto;max-height:420px;font-size:12px}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg .axis{font-size:11px;fill:#6b7280}
svg .axisline{stroke:#cbd5e1}
svg .rowline{stroke:#f1f5f9}
svg .tick{stroke:#e5e7eb;stroke-dasharray:2 3}
svg .off{font-size:12px;fill:#374151;font-variant-numeric:tabular-nums}
svg .lbl{font-size:12.5px;fill:#111827}
svg .lbl.strong{font-weight:600}
svg .lbl .txt{font-weight:400;fill:#374151}
svg .role{font-size:10.5px;font-weight:700;fill:#b91c1c}
svg .matchrow{fill:#fff7ed}
svg .gapband{fill:#fecaca;fill-opacity:.45}
svg .node rect{fill:#f8fafc;stroke:#94a3b8}
svg .node.src rect{fill:#eef2ff;stroke:#6366f1}
svg .node.dst rect{fill:#fef2f2;stroke:#ef4444}
svg .nodetitle{font-size:13px;font-weight:600;fill:#111827}
svg .nodesub{font-size:11.5px;fill:#6b7280}
svg .edgecount{font-size:11px;font-weight:700;fill:#374151}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
@media (max-width:800px){.two{grid-template-columns:1fr}dl.meta{grid-template-columns:1fr}}
`;

// Filters the alert list by free text and minimum severity. Reads only DOM text, never data blobs.
const SCRIPT = `
(function(){
  var q=document.getElementById('q'),s=document.getElementById('sev'),rows=document.querySelectorAll('tr.alert-row'),n=document.getElementById('shown');
  function apply(){var t=q.value.toLowerCase(),m=Number(s.value),c=0;
    rows.forEach(function(r){var ok=r.textContent.toLowerCase().indexOf(t)>=0&&Number(r.getAttribute('data-rank'))>=m;r.style.display=ok?'':'none';if(ok)c++;});
    n.textContent=String(c);}
  if(q&&s){q.addEventListener('input',apply);s.addEventListener('change',apply);}
  document.documentElement.setAttribute('data-js','ready');
})();
`;

function sevBadge(a: Alert): string {
  return `<span class="sev" style="background:${SEVERITY_COLORS[a.severity]}">${esc(a.severity)}</span>`;
}

function statCards(s: HuntSummary, alerts: Alert[]): string {
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

function summarySection(s: HuntSummary): string {
  const byRule = Object.entries(s.alertsByRule).sort((a, b) => b[1] - a[1]);
  const skipped = Object.entries(s.skipped).filter(([, n]) => (n ?? 0) > 0);
  const rulesTable = byRule.length
    ? `<table><tr><th>rule</th><th class="num">alerts</th></tr>${byRule.map(([r, n]) => `<tr><td class="mono">${esc(r)}</td><td class="num">${formatCount(n)}</td></tr>`).join('')}</table>`
    : '<p class="muted">No rule fired.</p>';
  const skippedTable = skipped.length
    ? `<table><tr><th>reason</th><th class="num">records</th></tr>${skipped.map(([k, n]) => `<tr><td>${esc(k)}</td><td class="num">${formatCount(n ?? 0)}</td></tr>`).join('')}</table>`
    : '<p class="muted">Nothing skipped: every record was read.</p>';
  const rulesSkipped = s.rulesSkipped.length
    ? `<h2 style="margin-top:16px">Rules not loaded (${s.rulesSkipped.length})</h2><table><tr><th>rule</th><th>reason</th><th>source</th></tr>${s.rulesSkipped.map((r) => `<tr><td class="mono">${esc(r.id ?? '')}</td><td>${esc(r.reason)}</td><td class="mono">${esc(r.source)}</td></tr>`).join('')}</table>`
    : '';
  const problems = s.problems.length
    ? `<h2 style="margin-top:16px">Input problems (first ${Math.min(50, s.problems.length)})</h2><table><tr><th>kind</th><th>where</th><th>message</th></tr>${s.problems.slice(0, 50).map((p) => `<tr><td>${esc(p.kind)}</td><td class="mono">${esc(p.file)}${p.where ? ` ${esc(p.where)}` : ''}</td><td>${esc(p.message)}${p.skipped ? '' : ' <span class="muted">(kept)</span>'}</td></tr>`).join('')}</table>`
    : '';
  return `<section id="summary"><div class="two"><div><h2>Alerts by rule</h2>${rulesTable}</div><div><h2>Skipped input</h2>${skippedTable}</div></div>${rulesSkipped}${problems}</section>`;
}

function alertList(alerts: Alert[], maxListed: number, maxDetailed: number): string {
  const listed = alerts.slice(0, maxListed);
  const rows = listed.map((a, i) => {
    const target = i < maxDetailed ? `<a href="#alert-${i + 1}">${esc(a.ruleName)}</a>` : esc(a.ruleName);
    return `<tr class="alert-row" data-rank="${SEVERITY_RANK[a.severity]}"><td class="num">${i + 1}</td><td>${sevBadge(a)}</td><td class="rule">${target}<div class="muted mono small">${esc(a.ruleId)}</div></td><td class="nowrap">${esc(a.host)}</td><td class="mono path">${esc(a.filePath ?? a.process?.executable ?? '')}</td><td class="mono nowrap">${esc(a.writer?.ip ?? '')}${a.writer?.user ? `<div class="muted small">${esc(a.writer.domain ? `${a.writer.domain}\\${a.writer.user}` : a.writer.user)}</div>` : ''}</td><td class="mono nowrap">${esc(shortTime(a.firstTime).slice(0, 10))}<div>${esc(shortTime(a.firstTime).slice(11))}</div></td><td class="num nowrap">${esc(formatGap(a.gapMs))}</td></tr>`;
  });
  const more = alerts.length > listed.length ? `<p class="muted">${formatCount(alerts.length - listed.length)} more alerts are not listed; use <span class="mono">-f csv</span> or <span class="mono">-f ndjson</span> for all of them.</p>` : '';
  return `<section id="alerts"><h2>Alerts (<span id="shown">${listed.length}</span> shown)</h2>
<div class="filters"><input id="q" type="search" placeholder="Filter: host, path, writer, rule…" aria-label="Filter alerts"><select id="sev" aria-label="Minimum severity"><option value="0">all severities</option><option value="1">low and above</option><option value="2">medium and above</option><option value="3">high and above</option><option value="4">critical</option></select></div>
<table><thead><tr><th class="num">#</th><th>severity</th><th>rule</th><th>host</th><th>path</th><th>writer</th><th>first (UTC)</th><th class="num">gap</th></tr></thead><tbody>${rows.join('')}</tbody></table>${listed.length === 0 ? '<p class="muted">No alerts.</p>' : ''}${more}</section>`;
}

function alertDetail(a: Alert, i: number): string {
  const meta: [string, string][] = [];
  const add = (k: string, v: string | number | boolean | undefined, mono = false): void => {
    if (v === undefined || v === '') return;
    meta.push([k, mono ? `<span class="mono">${esc(v)}</span>` : esc(v)]);
  };
  add('rule', `${a.ruleName} (${a.ruleId})`);
  add('host', a.host);
  add('file', a.filePath, true);
  add('written / executed', `${a.firstTime} → ${a.lastTime} (${formatGap(a.gapMs)})`);
  if (a.writer) {
    add('writer address', a.writer.ip, true);
    add('writer account', a.writer.user ? (a.writer.domain ? `${a.writer.domain}\\${a.writer.user}` : a.writer.user) : undefined, true);
    add('writer evidence', a.writer.evidence);
  }
  const p = a.process;
  if (p) {
    add('process', p.executable, true);
    add('pid', p.pid);
    add('command line', p.commandLine, true);
    add('parent', p.parentExecutable, true);
    add('signature', p.signer ? `${p.signer}${p.signatureTrusted === undefined ? '' : p.signatureTrusted ? ' (trusted)' : ' (NOT trusted)'}` : p.signatureTrusted === false ? 'not trusted / unsigned' : undefined);
    add('user', p.user);
  }
  add('MITRE ATT&CK', a.mitre?.join(', '));
  add('risk score', a.riskScore);
  add('alert id', a.id, true);
  const sources = a.events.map((e) => `${e.file}${e.position !== undefined ? `:${e.position}` : ''}`).join(', ');
  add('evidence', sources, true);
  return `<section class="alert-card" id="alert-${i + 1}" style="--sevc:${SEVERITY_COLORS[a.severity]}">
<div class="alert-head"><h3>#${i + 1} ${esc(a.ruleName)} on ${esc(a.host)}</h3>${sevBadge(a)}</div>
<dl class="meta">${meta.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>
${timelineSvg(a)}
<details class="raw"><summary>matched events (${a.events.length}) as JSON</summary><pre>${esc(stringifyExact(a.events.map((e) => e.event), 2))}</pre></details>
</section>`;
}

export function renderHtmlReport(result: HuntResult, opts: HtmlReportOptions = {}): string {
  const { alerts, summary } = result;
  const title = opts.title ?? 'spoor hunt report';
  const generatedAt = opts.generatedAt ?? new Date().toISOString();
  const maxListed = opts.maxListed ?? 5000;
  const maxDetailed = Math.min(opts.maxDetailed ?? 200, maxListed);
  const scriptHash = createHash('sha256').update(SCRIPT).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:`;
  const details = alerts.slice(0, maxDetailed).map(alertDetail).join('\n');
  const detailNote = alerts.length > maxDetailed ? `<p class="muted">Details are drawn for the first ${maxDetailed} alerts.</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><div class="sub">generated ${esc(generatedAt)} · ${formatCount(summary.files)} file${summary.files === 1 ? '' : 's'} · ${formatCount(summary.events)} events in ${summary.seconds.toFixed(2)} s</div></header>
<main>
${statCards(summary, alerts)}
<section id="graph"><h2>Who wrote to whom</h2><p class="muted">Each line is a file written over SMB by the writer on the left and then executed on the host on the right; colour is the highest severity, thickness the number of alerts.</p>${writerGraphSvg(alerts)}</section>
${alertList(alerts, maxListed, maxDetailed)}
${details}${detailNote}
${summarySection(summary)}
<footer>spoor · times are UTC · offsets in timelines are relative to the first matched event</footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
