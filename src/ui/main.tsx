/**
 * Bootstrap: the report embeds its data (`#spoor-data`) and is read by EmbeddedSource; anywhere
 * else (served by `spoor serve` at `/`) the UI reads the HTTP API of the page's own origin with a
 * Bearer token (`read` scope; `triage` for status, notes and assignee; `admin` for rules on/off
 * and exceptions) taken from `#token=…` in the
 * address or asked for once and kept for the browser session.
 */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { EmbeddedSource, HttpSource, type DataSource } from './api.js';
import { App } from './views/app.js';
import './styles.css';

const TOKEN_KEY = 'spoor-token';

function TokenForm({ onToken }: { onToken(t: string): void }) {
  const [t, setT] = useState('');
  return (
    <form class="panel token" onSubmit={(e) => (e.preventDefault(), t.trim() && onToken(t.trim()))}>
      <h2>Connect to spoor serve</h2>
      <p class="muted">Paste an API token (create one with <span class="mono">spoor serve token create --scope triage --name YOU</span>; read-only tokens can browse but not triage; switching rules off and exceptions need admin).</p>
      <input name="token" type="password" autocomplete="off" aria-label="API token" value={t} onInput={(e) => setT((e.currentTarget as HTMLInputElement).value)} />{' '}
      <button type="submit">Connect</button>
    </form>
  );
}

function start(): void {
  const root = document.getElementById('app');
  if (!root) return;
  let embedded: DataSource | null;
  try {
    embedded = EmbeddedSource.fromDocument(document);
  } catch (e) {
    root.textContent = `The report's data cannot be read: ${(e as Error).message}`;
    return;
  }
  root.textContent = '';
  const live = (token: string): void => render(<App source={new HttpSource('', token)} />, root);
  if (embedded) render(<App source={embedded} />, root);
  else {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
    if (fromHash) {
      sessionStorage.setItem(TOKEN_KEY, fromHash);
      history.replaceState(null, '', location.pathname + location.search);
    }
    const token = fromHash ?? sessionStorage.getItem(TOKEN_KEY);
    if (token) live(token);
    else render(<TokenForm onToken={(t) => (sessionStorage.setItem(TOKEN_KEY, t), live(t))} />, root);
  }
  document.documentElement.setAttribute('data-js', 'ready');
}

start();
