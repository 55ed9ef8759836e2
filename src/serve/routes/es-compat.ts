/**
 * What shippers call before they send (serve-notes: libbeat, Logstash, rsyslog omelasticsearch,
 * Fluent Bit): `GET`/`HEAD /` with a realistic 8.x body, `GET /_license` active, `HEAD /_cat/health`,
 * and the index-template / data-stream / ILM / pipeline calls Beats make at start: 404 until
 * created, then 200 (bodies kept in SQLite, otherwise ignored).
 */
import { randomUUID } from 'node:crypto';
import type { Router } from '../http.js';
import { readJsonBody, sendJson } from '../http.js';
import type { IngestContext } from '../context.js';
import { renderLiveUiPage } from '../../output/index.js';

const CLUSTER_UUID = randomUUID().replace(/-/g, '').slice(0, 22);

/** Object kinds Beats and Logstash manage: path prefix → kind (data, one place). */
const OBJECT_ROUTES: readonly [prefix: string, kind: string][] = [
  ['_index_template', 'index_template'],
  ['_template', 'template'],
  ['_component_template', 'component_template'],
  ['_data_stream', 'data_stream'],
  ['_ilm/policy', 'ilm_policy'],
  ['_ingest/pipeline', 'pipeline'],
];

export function registerEsCompat(r: Router, ctx: IngestContext): void {
  const root = {
    name: 'spoor',
    cluster_name: 'spoor',
    cluster_uuid: CLUSTER_UUID,
    version: {
      number: ctx.config.esVersion,
      build_flavor: 'default',
      build_type: 'docker',
      build_hash: '0000000000000000000000000000000000000000',
      build_date: '2024-12-11T12:08:05.663969764Z',
      build_snapshot: false,
      lucene_version: '9.12.0',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
  // A browser asking for HTML gets the live UI (src/ui, reading /api/*); shippers get Elasticsearch's JSON.
  let page: string | undefined;
  r.add(['GET', 'HEAD'], '/', null, ({ res }) => {
    const accept = String(res.req.headers.accept ?? '');
    if (res.req.method === 'GET' && /\btext\/html\b/.test(accept)) {
      page ??= renderLiveUiPage();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': Buffer.byteLength(page) });
      res.end(page);
      return;
    }
    sendJson(res, 200, root);
  });
  r.add('GET', '/_license', null, ({ res }) =>
    sendJson(res, 200, {
      license: {
        status: 'active',
        uid: CLUSTER_UUID,
        type: 'basic',
        issue_date: '2024-01-01T00:00:00.000Z',
        issue_date_in_millis: 1704067200000,
        max_nodes: 1000,
        max_resource_units: null,
        issued_to: 'spoor',
        issuer: 'elasticsearch',
        start_date_in_millis: -1,
      },
    }),
  );
  r.add('GET', '/_xpack', null, ({ res }) => sendJson(res, 200, { build: {}, license: { status: 'active', type: 'basic', mode: 'basic' }, features: {} }));
  const health = ({ res }: { res: import('node:http').ServerResponse }): void => {
    const status = ctx.queueDepth() >= ctx.config.maxQueue ? 'yellow' : 'green';
    sendJson(res, 200, [{ epoch: String(Math.floor(Date.now() / 1000)), cluster: 'spoor', status, 'node.total': '1', 'node.data': '1' }]);
  };
  r.add(['GET', 'HEAD'], '/_cat/health', null, health);
  r.add(['GET', 'HEAD'], '/_cluster/health', null, ({ res }) => sendJson(res, 200, { cluster_name: 'spoor', status: 'green', number_of_nodes: 1 }));
  r.add('GET', '/_nodes', null, ({ res }) => sendJson(res, 200, { _nodes: { total: 1, successful: 1, failed: 0 }, cluster_name: 'spoor', nodes: {} }));

  const get = ctx.db.prepare('SELECT body FROM es_objects WHERE kind = ? AND name = ?');
  const put = ctx.db.prepare('INSERT INTO es_objects (kind, name, body) VALUES (?, ?, ?) ON CONFLICT(kind, name) DO UPDATE SET body = excluded.body');
  for (const [prefix, kind] of OBJECT_ROUTES) {
    const path = `/${prefix}/:name`;
    r.add(['GET', 'HEAD'], path, null, ({ res, params }) => {
      const row = get.get(kind, params.name!) as { body: string } | undefined;
      if (!row) {
        const type = kind === 'data_stream' ? 'index_not_found_exception' : 'resource_not_found_exception';
        sendJson(res, 404, { error: { root_cause: [{ type, reason: `${kind} [${params.name}] missing` }], type, reason: `${kind} [${params.name}] missing` }, status: 404 });
        return;
      }
      const body = JSON.parse(row.body) as unknown;
      if (kind === 'data_stream') sendJson(res, 200, { data_streams: [{ name: params.name, status: 'GREEN', template: params.name }] });
      else if (kind === 'index_template') sendJson(res, 200, { index_templates: [{ name: params.name, index_template: body }] });
      else sendJson(res, 200, { [params.name!]: body });
    });
    r.add(['PUT', 'POST'], path, 'ingest', async ({ req, res, params }) => {
      const body = await readJsonBody(req, 8 << 20);
      put.run(kind, params.name!, JSON.stringify(body));
      sendJson(res, 200, { acknowledged: true });
    });
  }
}
