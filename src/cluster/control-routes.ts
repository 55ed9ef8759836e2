/**
 * The rule routes of an ingest node (cluster mode): `GET /api/rules` (the rules the detector
 * nodes loaded, from the catalog they publish, with this node's hit counts and the cluster-wide
 * switches) and `POST /api/rules/{id}/enabled` (admin scope; same body and answer as single-node
 * serve). A switch is kept in this node's serve store (rule_state) and written to the cluster's
 * control bucket, which every detector node follows (control.ts).
 */
import type { Router } from '../serve/http.js';
import { readJsonBody, sendJson } from '../serve/http.js';
import { ServeError } from '../serve/errors.js';
import { callerName } from '../serve/auth.js';
import type { TokenStore } from '../serve/store/tokens.js';
import type { AlertStore } from '../serve/store/alerts.js';
import type { RuleStateStore } from '../serve/store/rule-state.js';
import type { ApiRuleInfo, ApiRules, ApiSeverity } from '../serve/api-types.js';
import type { CatalogRule, ControlPlane, RuleSwitches } from './control.js';

function info(r: CatalogRule, sw: RuleSwitches, hits: ReturnType<AlertStore['hitsByRule']>): ApiRuleInfo {
  const off = sw.disabled[r.id];
  const h = hits.get(r.id);
  const out: ApiRuleInfo = { id: r.id, name: r.name, severity: r.severity as ApiSeverity, kind: r.kind, enabled: off === undefined, hits: h?.hits ?? 0 };
  if (r.source) out.source = r.source;
  if (h?.lastMs != null) out.lastHit = new Date(h.lastMs).toISOString();
  if (off) {
    out.changedBy = off.by;
    out.changedAt = new Date(off.atMs).toISOString();
  }
  return out;
}

export function registerClusterRules(r: Router, plane: ControlPlane, alerts: AlertStore, states: RuleStateStore, tokens: TokenStore, log: (line: string) => void): void {
  const catalog = async (): Promise<CatalogRule[]> => {
    const c = await plane.catalog();
    if (!c) throw new ServeError('SPOOR_NO_SUCH_RULE', 'no detector node has published its rules yet');
    return c;
  };
  r.add('GET', '/api/rules', 'read', async ({ res }) => {
    const [c, sw] = await Promise.all([plane.catalog(), plane.switches()]);
    const hits = alerts.hitsByRule();
    const body: ApiRules = { rules: (c ?? []).map((x) => info(x, sw.value, hits)), skipped: [], loadedAt: new Date().toISOString() };
    sendJson(res, 200, body);
  });
  r.add('POST', '/api/rules/:id/enabled', 'admin', async ({ req, res, params }) => {
    const body = await readJsonBody(req);
    const enabled = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { enabled?: unknown }).enabled : undefined;
    if (typeof enabled !== 'boolean') throw new ServeError('SPOOR_BAD_REQUEST', 'body must be {"enabled": true} or {"enabled": false}');
    const id = params.id!;
    const rule = (await catalog()).find((x) => x.id === id);
    if (!rule) throw new ServeError('SPOOR_NO_SUCH_RULE', id);
    const by = callerName(req, tokens);
    const sw = await plane.setRuleEnabled(id, enabled, by);
    states.set(id, enabled, by);
    log(`rule ${id} ${enabled ? 'enabled' : 'disabled'} by ${by} (cluster-wide)`);
    sendJson(res, 200, info(rule, sw, alerts.hitsByRule()));
  });
}
