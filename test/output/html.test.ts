import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { renderHtmlReport } from '../../src/output/html.js';
import { sampleAlert, sampleResult } from './fixtures.js';

const evil = '<script>alert(1)</script>';

test('attacker-controlled data is escaped everywhere and no foreign script can run', () => {
  const alert = sampleAlert({
    host: `ws-1"><img src=x onerror=alert(1)>`,
    filePath: `C:\\Windows\\${evil}.exe`,
    ruleName: `rule ${evil}`,
    writer: { ip: `10.0.0.1${evil}`, user: `u'${evil}`, domain: 'D&D' },
    process: { executable: `C:\\${evil}`, commandLine: `cmd /c "${evil}" \`x\`` },
    events: [{ file: `f${evil}.ndjson`, position: 1, event: { '@timestamp': '2026-03-02T08:03:51.764837Z', event: { category: ['file'], type: ['creation'] }, file: { path: `C:\\${evil}` }, process: { pid: 4, name: evil } } }],
    context: [{ file: 'x', event: { '@timestamp': '2026-03-02T08:03:52Z', event: { category: ['process'], type: ['start'] }, process: { executable: `</svg>${evil}`, command_line: evil } } }],
  });
  const html = renderHtmlReport(sampleResult([alert]), { generatedAt: '2026-03-02T10:00:00Z', title: `t${evil}` });
  // Every `<` opens one of our own tags, with well-formed quoted attributes and no event handlers.
  const ALLOWED = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'h2', 'h3', 'div', 'main', 'section', 'p', 'span', 'a', 'input', 'select', 'option', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'dl', 'dt', 'dd', 'details', 'summary', 'pre', 'svg', 'text', 'tspan', 'line', 'rect', 'circle', 'path', 'g', 'footer', 'script']);
  const tag = /^<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+(?:="[^"<]*")?)*)\s*\/?>/;
  const css = html.slice(html.indexOf('<style>'), html.indexOf('</style>'));
  const body = html.replace(css, '<style>');
  let scripts = 0;
  for (let i = body.indexOf('<'); i >= 0; i = body.indexOf('<', i + 1)) {
    const rest = body.slice(i);
    if (rest.startsWith('<!doctype html>')) continue;
    const m = tag.exec(rest);
    assert.ok(m, `stray '<' at ${JSON.stringify(rest.slice(0, 60))}`);
    assert.ok(ALLOWED.has(m[2]!.toLowerCase()), `unexpected tag ${m[2]}`);
    if (m[2] === 'script' && !m[1]) {
      scripts++;
      i = body.indexOf('</script>', i) - 1;
    }
    for (const attr of m[3]!.replace(/="[^"]*"/g, "=\"\"").matchAll(/\s([\w:-]+)=/g)) assert.doesNotMatch(attr[1]!, /^on/i, `event handler ${attr[1]}`);
  }
  assert.equal(scripts, 1);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /D&amp;D/);
  // The only script allowed by the CSP is ours (by hash).
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
  const hash = createHash('sha256').update(script).digest('base64');
  assert.match(html, new RegExp(`script-src 'sha256-${hash.replace(/[+/=]/g, (c) => `\\${c}`)}'`));
  assert.match(html, /default-src 'none'/);
});

test('self-contained: no external URL is fetched', () => {
  const html = renderHtmlReport(sampleResult(), { generatedAt: '2026-03-02T10:00:00Z' });
  assert.doesNotMatch(html, /<(link|img|iframe|object)\b/i);
  assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//i);
  assert.doesNotMatch(html, /url\(/i);
});

test('contains every alert with its host, path, writer, gap, a timeline and the graph', () => {
  const a = sampleAlert();
  const b = sampleAlert({ id: 'b2', host: 'srv-fs-01', filePath: 'C:\\Windows\\xKqTbzRd.exe', writer: { ip: '172.16.40.23', user: 'svc_backup', domain: 'CORP' }, severity: 'high', gapMs: 1520 });
  const html = renderHtmlReport(sampleResult([a, b]), { generatedAt: '2026-03-02T10:00:00Z' });
  for (const x of [a, b]) {
    assert.ok(html.includes(x.host), x.host);
    assert.ok(html.includes(x.filePath!.replace(/\\/g, '\\')), x.filePath);
    assert.ok(html.includes(x.writer!.ip!), x.writer!.ip);
  }
  assert.match(html, /1\.52 s/);
  assert.match(html, /214 ms/);
  assert.equal(html.match(/<svg class="timeline"/g)?.length, 2);
  assert.equal(html.match(/<svg class="graph"/g)?.length, 1);
  assert.match(html, /id="alert-1"/);
  assert.match(html, /id="alert-2"/);
  // Timeline shows the context events around the match, and marks write and execution.
  assert.match(html, /share write \(5145\)|share access \(5145\)/);
  assert.match(html, /cmd \/c whoami/);
  assert.match(html, />WRITE</);
  assert.match(html, />EXEC</);
  // Summary parts.
  assert.match(html, /odd-rule/);
  assert.match(html, /unsupported pipe `window`|unsupported pipe &#96;window&#96;/);
  assert.match(html, /malformed-json/);
});

test('no alerts still gives a complete report', () => {
  const html = renderHtmlReport(sampleResult([]), { generatedAt: '2026-03-02T10:00:00Z' });
  assert.match(html, /No alerts\./);
  assert.match(html, /<\/html>\s*$/);
});

test('same input and generatedAt give the same report', () => {
  const r = sampleResult();
  assert.equal(renderHtmlReport(r, { generatedAt: 'x' }), renderHtmlReport(r, { generatedAt: 'x' }));
});

test('a busy graph keeps at most 30 nodes a side and says what it left out', () => {
  const alerts = Array.from({ length: 400 }, (_, i) => sampleAlert({ id: `a${i}`, host: `ws-${i % 80}`, writer: { ip: `10.9.0.${i % 50}` } }));
  const html = renderHtmlReport(sampleResult(alerts), { generatedAt: 'x', maxDetailed: 5 });
  const graph = /<svg class="graph"[\s\S]*?<\/svg>/.exec(html)![0];
  assert.ok((graph.match(/class="node src"/g)?.length ?? 0) <= 30);
  assert.ok((graph.match(/class="node dst"/g)?.length ?? 0) <= 30);
  assert.match(html, /Showing the \d+ busiest of \d+ writer → host pairs/);
  assert.equal(html.match(/<svg class="timeline"/g)?.length, 5);
  assert.match(html, /Details are drawn for the first 5 alerts/);
});

test('a writer address that belongs to a host seen in the alerts is named in the graph', () => {
  const pivot = sampleAlert({ id: 'p', host: 'ws-0006', events: [{ file: 'f', position: 1, event: { '@timestamp': '2026-03-02T08:00:00Z', host: { name: 'ws-0006', ip: ['10.20.0.10'] }, event: { category: ['file'] } } }] });
  const next = sampleAlert({ id: 'n', host: 'srv-sql-01', writer: { ip: '10.20.0.10', user: 'adm', domain: 'CORP' } });
  const html = renderHtmlReport(sampleResult([pivot, next]), { generatedAt: 'x' });
  assert.match(html, /10\.20\.0\.10 \(ws-0006\)/);
});
