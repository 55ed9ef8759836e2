/**
 * Live only (spoor serve): the rule list (hit counts from the server, switch a rule off/on) and
 * ingest health (totals, per source, per host, blind spots per rule stage, intel feeds).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DataSource, IngestHealth, RuleInfo, RuleList } from '../api.js';
import { Time } from './common.js';

export function RulesView({ source, hits }: { source: DataSource; hits: ReadonlyMap<string, number> }) {
  const [list, setList] = useState<RuleList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  useEffect(() => void source.listRules!().then(setList, (e: Error) => setError(e.message)), [source]);
  if (error) return <p class="error">Cannot list rules: {error}</p>;
  if (!list) return <p class="muted">Loading…</p>;
  // The server's count covers every alert it holds; the page's count only those loaded.
  const hitsOf = (r: RuleInfo): number => r.hits ?? hits.get(r.id) ?? 0;
  const rules = [...list.rules].sort((a, b) => hitsOf(b) - hitsOf(a) || a.id.localeCompare(b.id));
  const off = rules.filter((r) => r.enabled === false).length;
  const toggle = async (r: RuleInfo): Promise<void> => {
    setBusy(r.id);
    setMsg(null);
    try {
      const got = await source.setRuleEnabled!(r.id, r.enabled === false);
      setList({ ...list, rules: list.rules.map((x) => (x.id === r.id ? { ...x, ...got } : x)) });
      setMsg(`${r.id} ${got.enabled === false ? 'switched off: it raises no alert and keeps no state' : 'switched on'}`);
    } catch (e) {
      setMsg(`failed: ${(e as Error).message}`);
    } finally {
      setBusy(null);
    }
  };
  return (
    <section class="panel" id="rules">
      <h2>
        Rules ({rules.length}
        {off ? `, ${off} off` : ''}){list.loadedAt ? <span class="muted small"> · loaded {list.loadedAt}</span> : null}
      </h2>
      {msg ? <p class="small" role="status">{msg}</p> : null}
      <table class="grid">
        <thead>
          <tr>
            <th>rule</th>
            <th>kind</th>
            <th>severity</th>
            <th class="num">alerts</th>
            <th>last alert</th>
            {source.setRuleEnabled ? <th>on / off</th> : null}
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr data-rule={r.id} class={r.enabled === false ? 'rule-off' : ''}>
              <td>
                {r.name} <span class="mono muted small">{r.id}</span>
              </td>
              <td>{r.kind ?? ''}</td>
              <td>{r.severity ?? ''}</td>
              <td class="num">{hitsOf(r).toLocaleString('en-US')}</td>
              <td class="small">{r.lastHit ? <Time iso={r.lastHit} short /> : ''}</td>
              {source.setRuleEnabled ? (
                <td>
                  <button
                    type="button"
                    class={`switch ${r.enabled === false ? 'off' : 'on'}`}
                    aria-pressed={r.enabled !== false}
                    aria-label={`${r.id} ${r.enabled === false ? 'is off: switch on' : 'is on: switch off'}`}
                    disabled={busy !== null}
                    title={r.changedBy ? `last switched by ${r.changedBy} at ${r.changedAt ?? ''}` : undefined}
                    onClick={() => void toggle(r)}
                  >
                    {r.enabled === false ? '○ off' : '● on'}
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {list.skipped.length ? (
        <>
          <h2>Rules not loaded ({list.skipped.length})</h2>
          <table class="grid">
            <tbody>
              {list.skipped.map((r) => (
                <tr>
                  <td class="mono">{r.id ?? ''}</td>
                  <td>{r.reason}</td>
                  <td class="mono small">{r.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

const n = (x: number): string => x.toLocaleString('en-US');
const age = (s: number): string => (s < 60 ? `${s.toFixed(0)} s ago` : s < 3600 ? `${(s / 60).toFixed(0)} min ago` : `${(s / 3600).toFixed(1)} h ago`);

export function HealthView({ source }: { source: DataSource }) {
  const [h, setH] = useState<IngestHealth | null>(null);
  const [rate, setRate] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const prev = useRef<{ at: number; eventsIn: number } | null>(null);
  useEffect(() => {
    const load = (): void =>
      void source.health!().then(
        (x) => {
          const now = Date.now();
          if (prev.current && now > prev.current.at) setRate(((x.eventsIn - prev.current.eventsIn) * 1000) / (now - prev.current.at));
          prev.current = { at: now, eventsIn: x.eventsIn };
          setH(x);
          setError(null);
        },
        (e: Error) => setError(e.message),
      );
    load();
    const t = setInterval(load, 3000);
    return () => clearInterval(t);
  }, [source]);
  if (error) return <p class="error">Cannot read health: {error}</p>;
  if (!h) return <p class="muted">Loading…</p>;
  const rows: [string, string][] = [
    ['status', h.status],
    ['events in', n(h.eventsIn)],
    ['events / s (between polls)', rate === null ? '…' : rate.toFixed(0)],
    ['not yet through detection (lag)', n(h.lag)],
    ['late events', n(h.lateEvents)],
    ['parse errors', n(h.parseErrors)],
    ['queue depth', n(h.queueDepth)],
    ['checkpoint age', h.checkpointAgeSeconds === null ? 'no checkpoint yet' : `${h.checkpointAgeSeconds.toFixed(1)} s`],
    ['alerts', n(h.alerts)],
    ['rules running', `${h.rulesLoaded}${h.rulesDisabled ? ` (${h.rulesDisabled} switched off)` : ''}`],
    ['version · uptime', `${h.version} · ${Math.round(h.uptimeSeconds)} s`],
  ];
  if (h.intel) rows.push(['threat intel', `${n(h.intel.hashes)} hashes from ${h.intel.feeds.length} feed file(s), loaded ${h.intel.loadedAt}; ${n(h.intel.alertsMatched)} alert(s) matched${h.intel.problems ? `; ${h.intel.problems} problem(s)` : ''}`]);
  const blind = (h.blindSpots ?? []).filter((b) => b.verdict !== 'present');
  return (
    <section class="panel" id="health">
      <h2>Ingest health</h2>
      <dl class="meta">
        {rows.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd class={k === 'status' && v !== 'ok' ? 'error' : ''}>{v}</dd>
          </>
        ))}
      </dl>
      {h.sources ? (
        <>
          <h3>Per source ({h.sources.length})</h3>
          <table class="grid" id="health-sources">
            <thead>
              <tr><th>shipper</th><th>index</th><th>remote address</th><th class="num">events</th><th class="num">events/s</th><th class="num">parse errors</th><th class="num">requests</th><th>last request</th></tr>
            </thead>
            <tbody>
              {h.sources.map((s) => (
                <tr data-source={s.key}>
                  <td class="mono">{s.shipper}</td>
                  <td class="mono">{s.index}</td>
                  <td class="mono">{s.remote}</td>
                  <td class="num">{n(s.events)}</td>
                  <td class="num">{s.eventsPerSecond.toFixed(1)}</td>
                  <td class={`num ${s.parseErrors ? 'error' : ''}`}>{n(s.parseErrors)}</td>
                  <td class="num">{n(s.requests)}</td>
                  <td class="small">{age(s.lastSeenAgeSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {h.hosts ? (
        <>
          <h3>Per host ({h.hosts.length})</h3>
          <table class="grid" id="health-hosts">
            <thead>
              <tr><th>host</th><th class="num">events</th><th class="num">events/s</th><th class="num">late</th><th>newest event</th><th>last received</th></tr>
            </thead>
            <tbody>
              {h.hosts.map((x) => (
                <tr data-host={x.host}>
                  <td>
                    {x.name ?? x.host}
                    {x.name ? <span class="mono muted small"> {x.host}</span> : null}
                  </td>
                  <td class="num">{n(x.events)}</td>
                  <td class="num">{x.eventsPerSecond.toFixed(1)}</td>
                  <td class="num">{n(x.lateEvents)}</td>
                  <td class="small">{x.newestEventTime ? <Time iso={x.newestEventTime} short /> : ''}</td>
                  <td class="small">{age(x.lastSeenAgeSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {h.blindSpots ? (
        <>
          <h3>
            Blind spots: {blind.length} of {h.blindSpots.length} rule stages lack telemetry on some or all hosts
          </h3>
          <p class="small muted">Counted on the events detection saw since the rules were last loaded. "0 alerts" from a host that sent none of a rule's telemetry is not "no attack".</p>
          <table class="grid" id="blind-spots">
            <thead>
              <tr><th>verdict</th><th>rule · stage</th><th>hosts without</th><th>where it comes from</th></tr>
            </thead>
            <tbody>
              {[...blind, ...h.blindSpots.filter((b) => b.verdict === 'present')].map((b) => (
                <tr data-rule={b.ruleId} data-verdict={b.verdict}>
                  <td class={`verdict verdict-${b.verdict}`}>{{ present: '✔ present', partial: '◐ some hosts', absent: '✘ none at all', unknown: '? nothing read' }[b.verdict]}</td>
                  <td>
                    <span class="mono">{b.ruleId}</span> <span class="muted">{b.stage}</span>
                    <div class="mono small muted">{b.needs}</div>
                  </td>
                  <td class="small">{b.verdict === 'absent' ? `all ${b.hosts}` : b.hostsWithout.length ? `${b.hostsWithout.length} of ${b.hosts}: ${b.hostsWithout.slice(0, 8).join(', ')}${b.hostsWithout.length > 8 ? ', …' : ''}` : '—'}</td>
                  <td class="small">{b.hint ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
