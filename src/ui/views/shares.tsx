/**
 * Share writes (both homes): the share-write review of `spoor shares` (src/shares) — which account
 * and source address wrote which executable files to which hosts' shares, first/last seen, how
 * often, and whether the file was started on that host afterwards. The report embeds the rows;
 * serve computes them over its log on request.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { DataSource, ShareRows } from '../api.js';
import { Time, Wrap } from './common.js';

export function SharesView({ source }: { source: DataSource }) {
  const [data, setData] = useState<{ rows: ShareRows; note?: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [executedOnly, setExecutedOnly] = useState(false);
  const [text, setText] = useState('');
  useEffect(() => void source.shares!().then(setData, (e: Error) => setError(e.message)), [source]);
  const rows = useMemo(() => {
    if (!data) return [];
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    return data.rows
      .filter((r) => !executedOnly || r.executed)
      .filter((r) => {
        if (words.length === 0) return true;
        const hay = [r.host, r.share, r.path, r.account ?? '', r.sourceIp ?? ''].join(' ').toLowerCase();
        return words.every((w) => hay.includes(w));
      })
      .sort((a, b) => Number(b.executed) - Number(a.executed) || b.lastSeen.localeCompare(a.lastSeen) || a.host.localeCompare(b.host));
  }, [data, executedOnly, text]);
  if (error) return <p class="error">Cannot read share writes: {error}</p>;
  if (!data) return <p class="muted">Reading share writes…</p>;
  const writers = new Set(data.rows.map((r) => r.account || r.sourceIp || '?')).size;
  return (
    <section class="panel shares" id="shares">
      <h2>
        Share writes ({data.rows.length} file{data.rows.length === 1 ? '' : 's'}, {data.rows.filter((r) => r.executed).length} then executed, {writers} writer{writers === 1 ? '' : 's'})
      </h2>
      <p class="small muted">
        Who wrote which executable files to which hosts' shares (Security 5145 with write access; file events by the System process, PID 4), and whether the file was started on that host afterwards — the list to review against who should be able to write to administrative shares.
        {data.note ? ` ${data.note}.` : ''}
      </p>
      <div class="row">
        <input aria-label="filter share writes" placeholder="host, path, account, address…" value={text} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />{' '}
        <label>
          <input type="checkbox" checked={executedOnly} onChange={(e) => setExecutedOnly((e.currentTarget as HTMLInputElement).checked)} /> executed only
        </label>{' '}
        <span class="small muted" aria-live="polite">shown {rows.length}</span>
      </div>
      <table class="grid">
        <thead>
          <tr><th>host</th><th>share</th><th>file</th><th>account</th><th>source address</th><th>first seen</th><th>last seen</th><th class="num">writes</th><th>executed</th></tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr data-host={r.host} data-executed={r.executed ? 'yes' : 'no'}>
              <td>{r.host}</td>
              <td class="mono" title={r.shareInferred ? 'inferred from the path (no 5145 named it)' : 'named by Security 5145'}>
                {r.share}
                {r.shareInferred ? '*' : ''}
              </td>
              <td><Wrap text={r.path} /></td>
              <td class="mono" title={r.writerEvidence ?? ''}>{r.account ?? '—'}</td>
              <td class="mono">{r.sourceIp ?? '—'}</td>
              <td class="small"><Time iso={r.firstSeen} short /></td>
              <td class="small"><Time iso={r.lastSeen} short /></td>
              <td class="num">{r.writes}</td>
              <td>{r.executed ? <b>▶ ran{r.lastExecuted ? <span class="small"> <Time iso={r.lastExecuted} short /></span> : null}</b> : <span class="muted">— not run</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data.rows.some((r) => r.shareInferred) ? <p class="small muted">* share inferred from the local path (C:\Windows → ADMIN$, X:\ → X$).</p> : null}
    </section>
  );
}
