import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { renderHtmlReport } from '../../src/output/html.js';
import { unpackAlert, type ReportData } from '../../src/output/report-data.js';
import { sampleAlert, sampleResult } from './fixtures.js';

const evil = '<script>alert(1)</script>';

/** The report split into its static HTML, the embedded data and the one script. */
function parts(html: string): { staticHtml: string; data: ReportData; dataText: string; scripts: string[] } {
  const dataM = /<script type="application\/json" id="spoor-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(dataM, 'embedded data block');
  const withoutData = html.replace(dataM[0], '');
  const scripts = [...withoutData.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  let staticHtml = withoutData.replace(/<script>[\s\S]*?<\/script>/g, '<script></script>');
  staticHtml = staticHtml.replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  return { staticHtml, data: JSON.parse(dataM[1]!) as ReportData, dataText: dataM[1]!, scripts };
}

test('attacker-controlled data is escaped everywhere and no foreign script can run', () => {
  const alert = sampleAlert({
    host: `ws-1"><img src=x onerror=alert(1)>`,
    filePath: `C:\\Windows\\${evil}.exe`,
    ruleId: `r${evil}`,
    ruleName: `rule ${evil}`,
    writer: { ip: `10.0.0.1${evil}`, user: `u'${evil}`, domain: 'D&D' },
    process: { executable: `C:\\${evil}`, commandLine: `cmd /c "${evil}" \`x\` <!-- \u2028` },
    events: [{ file: `f${evil}.ndjson`, position: 1, event: { '@timestamp': '2026-03-02T08:03:51.764837Z', event: { category: ['file'], type: ['creation'] }, file: { path: `C:\\${evil}` }, process: { pid: 4, name: evil } } }],
    context: [{ file: 'x', event: { '@timestamp': '2026-03-02T08:03:52Z', event: { category: ['process'], type: ['start'] }, process: { executable: `</svg>${evil}`, command_line: evil } } }],
  });
  const result = sampleResult([alert]);
  result.summary.alertsByRule = { [alert.ruleId]: 1 };
  const html = renderHtmlReport(result, { generatedAt: '2026-03-02T10:00:00Z', title: `t${evil}` });
  const { staticHtml, data, dataText, scripts } = parts(html);
  // The data block cannot end early: no '<' at all, and U+2028 is escaped; it parses back to the alert.
  assert.doesNotMatch(dataText, /[<\u2028]/);
  assert.deepEqual(unpackAlert(data.alerts[0]!, data.events), alert);
  // Every `<` of the static HTML opens one of our own tags, with quoted attributes and no event handlers.
  const ALLOWED = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'h2', 'div', 'main', 'section', 'p', 'span', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'footer', 'script', 'noscript']);
  const tag = /^<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+(?:="[^"<]*")?)*)\s*\/?>/;
  for (let i = staticHtml.indexOf('<'); i >= 0; i = staticHtml.indexOf('<', i + 1)) {
    const rest = staticHtml.slice(i);
    if (rest.startsWith('<!doctype html>')) continue;
    const m = tag.exec(rest);
    assert.ok(m, `stray '<' at ${JSON.stringify(rest.slice(0, 60))}`);
    assert.ok(ALLOWED.has(m[2]!.toLowerCase()), `unexpected tag ${m[2]}`);
    for (const attr of m[3]!.replace(/="[^"]*"/g, '=""').matchAll(/\s([\w:-]+)=/g)) assert.doesNotMatch(attr[1]!, /^on/i, `event handler ${attr[1]}`);
  }
  assert.match(staticHtml, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  // Exactly one executable script, and the CSP allows only it (by hash), and no connections.
  assert.equal(scripts.length, 1);
  const hash = createHash('sha256').update(scripts[0]!).digest('base64');
  assert.match(html, new RegExp(`script-src 'sha256-${hash.replace(/[+/=]/g, (c) => `\\${c}`)}'`));
  assert.match(html, /default-src 'none'/);
  assert.match(html, /connect-src 'none'/);
});

test('self-contained: no external URL is fetched', () => {
  const html = renderHtmlReport(sampleResult(), { generatedAt: '2026-03-02T10:00:00Z' });
  assert.doesNotMatch(html, /<(link|img|iframe|object)\b/i);
  assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//i);
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  assert.doesNotMatch(css, /url\(|@import/i);
});

test('every alert is embedded with its events and context (no first-200 limit), each event stored once', () => {
  const alerts = Array.from({ length: 450 }, (_, i) => sampleAlert({ id: `a${i}`, host: `ws-${i % 80}` }));
  const html = renderHtmlReport(sampleResult(alerts), { generatedAt: 'x' });
  const { data } = parts(html);
  assert.equal(data.alerts.length, 450);
  for (const [i, p] of data.alerts.entries()) {
    const a = unpackAlert(p, data.events);
    assert.equal(a.events.length, 2, `alert ${i} events`);
    assert.equal(a.context?.length, 2, `alert ${i} context`);
    assert.deepEqual(a.events, alerts[i]!.events);
  }
  // All sample alerts share the same four located events: the pool holds them once.
  assert.equal(data.events.length, 4);
  assert.deepEqual(data.rules, [{ id: 'file-share-remote-exec', name: alerts[0]!.ruleName, alerts: 450 }]);
});

test('the summary is static HTML: rules, rules not loaded and input problems', () => {
  const html = renderHtmlReport(sampleResult(), { generatedAt: '2026-03-02T10:00:00Z' });
  assert.match(html, /odd-rule/);
  assert.match(html, /unsupported pipe &#96;window&#96;/);
  assert.match(html, /malformed-json/);
  assert.match(html, /Remote Execution via File Shares/);
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

test('64-bit values beyond 2^53 held as bigint stay exact in the embedded data', () => {
  const a = sampleAlert({ context: [{ file: 'f', position: 7, event: { '@timestamp': '2026-03-02T08:03:52Z', winlog: { record_id: 18446744073709551615n } } }] });
  const { data } = parts(renderHtmlReport(sampleResult([a]), { generatedAt: 'x' }));
  const back = unpackAlert(data.alerts[0]!, data.events);
  assert.equal((back.context![0]!.event['winlog'] as { record_id: unknown }).record_id, '18446744073709551615');
});
