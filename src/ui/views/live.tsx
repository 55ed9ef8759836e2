/** Live only (spoor serve): the rule list (hits, enable/disable) and ingest health. */
import { useEffect, useState } from 'preact/hooks';
import type { DataSource, IngestHealth, RuleInfo } from '../api.js';

export function RulesView({ source }: { source: DataSource }) {
  const [rules, setRules] = useState<RuleInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = (): void => void source.listRules!().then(setRules, (e: Error) => setError(e.message));
  useEffect(load, [source]);
  if (error) return <p class="error">Cannot list rules: {error}</p>;
  if (!rules) return <p class="muted">Loading…</p>;
  return (
    <section class="panel">
      <h2>Rules ({rules.length})</h2>
      <table class="grid">
        <thead>
          <tr><th>rule</th><th>severity</th><th class="num">hits</th><th>enabled</th></tr>
        </thead>
        <tbody>
          {[...rules].sort((a, b) => b.hits - a.hits || a.id.localeCompare(b.id)).map((r) => (
            <tr>
              <td>{r.name} <span class="mono muted small">{r.id}</span></td>
              <td>{r.severity ?? ''}</td>
              <td class="num">{r.hits.toLocaleString('en-US')}</td>
              <td>
                <label>
                  <input type="checkbox" checked={r.enabled} onChange={(e) => void source.setRuleEnabled!(r.id, (e.currentTarget as HTMLInputElement).checked).then(load, (x: Error) => setError(x.message))} /> {r.enabled ? 'on' : 'off'}
                </label>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function HealthView({ source }: { source: DataSource }) {
  const [h, setH] = useState<IngestHealth | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = (): void => void source.health!().then(setH, (e: Error) => setError(e.message));
    load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [source]);
  if (error) return <p class="error">Cannot read health: {error}</p>;
  if (!h) return <p class="muted">Loading…</p>;
  return (
    <section class="panel">
      <h2>Ingest health</h2>
      <p>
        {h.eventsPerSecond !== undefined ? <>events/s <b>{h.eventsPerSecond.toFixed(0)}</b> · </> : null}
        {h.lateEvents !== undefined ? <>late events <b>{h.lateEvents}</b> · </> : null}
        {h.parseErrors !== undefined ? <>parse errors <b>{h.parseErrors}</b> · </> : null}
        {h.checkpointAgeSeconds !== undefined ? <>checkpoint age <b>{h.checkpointAgeSeconds.toFixed(1)} s</b></> : null}
      </p>
      <table class="grid">
        <thead>
          <tr><th>source</th><th>host</th><th class="num">events/s</th><th class="num">late</th><th class="num">parse errors</th></tr>
        </thead>
        <tbody>
          {h.sources.map((s) => (
            <tr><td>{s.source}</td><td>{s.host ?? ''}</td><td class="num">{s.eventsPerSecond.toFixed(1)}</td><td class="num">{s.lateEvents}</td><td class="num">{s.parseErrors}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
