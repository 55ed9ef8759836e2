/** Live only (spoor serve): the rule list (with hit counts from the alerts held) and ingest health. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { DataSource, IngestHealth, RuleList } from '../api.js';

export function RulesView({ source, hits }: { source: DataSource; hits: ReadonlyMap<string, number> }) {
  const [list, setList] = useState<RuleList | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => void source.listRules!().then(setList, (e: Error) => setError(e.message)), [source]);
  if (error) return <p class="error">Cannot list rules: {error}</p>;
  if (!list) return <p class="muted">Loading…</p>;
  const rules = [...list.rules].sort((a, b) => (hits.get(b.id) ?? 0) - (hits.get(a.id) ?? 0) || a.id.localeCompare(b.id));
  return (
    <section class="panel" id="rules">
      <h2>
        Rules ({rules.length}){list.loadedAt ? <span class="muted small"> · loaded {list.loadedAt}</span> : null}
      </h2>
      <table class="grid">
        <thead>
          <tr><th>rule</th><th>kind</th><th>severity</th><th class="num">alerts</th></tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr data-rule={r.id}>
              <td>{r.name} <span class="mono muted small">{r.id}</span></td>
              <td>{r.kind ?? ''}</td>
              <td>{r.severity ?? ''}</td>
              <td class="num">{(hits.get(r.id) ?? 0).toLocaleString('en-US')}</td>
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
                <tr><td class="mono">{r.id ?? ''}</td><td>{r.reason}</td><td class="mono small">{r.source}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

export function HealthView({ source }: { source: DataSource }) {
  const [h, setH] = useState<IngestHealth | null>(null);
  const [rate, setRate] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const prev = useRef<{ at: number; eventsIn: number } | null>(null);
  useEffect(() => {
    const load = (): void =>
      void source.health!().then((x) => {
        const now = Date.now();
        if (prev.current && now > prev.current.at) setRate(((x.eventsIn - prev.current.eventsIn) * 1000) / (now - prev.current.at));
        prev.current = { at: now, eventsIn: x.eventsIn };
        setH(x);
        setError(null);
      }, (e: Error) => setError(e.message));
    load();
    const t = setInterval(load, 3000);
    return () => clearInterval(t);
  }, [source]);
  if (error) return <p class="error">Cannot read health: {error}</p>;
  if (!h) return <p class="muted">Loading…</p>;
  const rows: [string, string][] = [
    ['status', h.status],
    ['events in', h.eventsIn.toLocaleString('en-US')],
    ['events / s (between polls)', rate === null ? '…' : rate.toFixed(0)],
    ['not yet through detection (lag)', h.lag.toLocaleString('en-US')],
    ['late events', h.lateEvents.toLocaleString('en-US')],
    ['parse errors', h.parseErrors.toLocaleString('en-US')],
    ['queue depth', h.queueDepth.toLocaleString('en-US')],
    ['checkpoint age', h.checkpointAgeSeconds === null ? 'no checkpoint yet' : `${h.checkpointAgeSeconds.toFixed(1)} s`],
    ['alerts', h.alerts.toLocaleString('en-US')],
    ['rules loaded', String(h.rulesLoaded)],
    ['version · uptime', `${h.version} · ${Math.round(h.uptimeSeconds)} s`],
  ];
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
    </section>
  );
}
