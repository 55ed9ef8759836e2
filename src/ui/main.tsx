/**
 * Bootstrap: the report embeds its data (`#spoor-data`) and is read by EmbeddedSource; anywhere
 * else (served by `spoor serve` at `/`) the UI reads the HTTP API of the page's own origin.
 */
import { render } from 'preact';
import { EmbeddedSource, HttpSource, type DataSource } from './api.js';
import { App } from './views/app.js';
import './styles.css';

function start(): void {
  const root = document.getElementById('app');
  if (!root) return;
  let source: DataSource;
  try {
    source = EmbeddedSource.fromDocument(document) ?? new HttpSource('', new URLSearchParams(location.hash.slice(1)).get('token') ?? undefined);
  } catch (e) {
    root.textContent = `The report's data cannot be read: ${(e as Error).message}`;
    return;
  }
  root.textContent = '';
  render(<App source={source} />, root);
  document.documentElement.setAttribute('data-js', 'ready');
}

start();
