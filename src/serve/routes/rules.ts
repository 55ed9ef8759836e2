/**
 * Rules and exceptions, live: `GET /api/rules` (loaded rules with hit counts and whether each is
 * on, and the ones skipped, with reasons), `POST /api/rules/{id}/enabled` (switch a rule off or on;
 * kept across restarts; an off rule is left out of detection: it raises nothing and holds no
 * state), `POST /api/rules/reload` (also on SIGHUP; unchanged rules keep their pending state;
 * with --intel the feeds reload too), and
 * `GET`/`PUT /api/exceptions` (the exceptions YAML: written to the file, then rules reloaded).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { stringify as toYaml } from 'yaml';
import { parseYamlData } from '../../rules/yaml-problem.js';
import type { Router } from '../http.js';
import { readJsonBody, sendJson } from '../http.js';
import { ServeError } from '../errors.js';
import type { ServeContext } from '../context.js';
import { callerName } from '../auth.js';
import type { ApiExceptionSet, ApiExceptions } from '../api-types.js';

const SET_KEYS = ['trusted_signers', 'paths', 'hosts', 'accounts'] as const;

function checkSet(v: unknown, where: string): ApiExceptionSet {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ServeError('SPOOR_BAD_REQUEST', `${where} must be an object`);
  const out: ApiExceptionSet = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (!(SET_KEYS as readonly string[]).includes(k)) throw new ServeError('SPOOR_BAD_REQUEST', `${where}: unknown key '${k}' (expected ${SET_KEYS.join(', ')})`);
    if (!Array.isArray(x) || x.some((s) => typeof s !== 'string')) throw new ServeError('SPOOR_BAD_REQUEST', `${where}.${k} must be a list of strings`);
    out[k as (typeof SET_KEYS)[number]] = x as string[];
  }
  return out;
}

export function readExceptionsFile(path: string): ApiExceptions {
  if (!existsSync(path)) return { global: {}, rules: {} };
  const doc = (parseYamlData(readFileSync(path, 'utf8'), path) ?? {}) as Record<string, unknown>;
  const { rules, ...global } = doc;
  return { global: global as ApiExceptionSet, rules: (rules ?? {}) as Record<string, ApiExceptionSet> };
}

export function registerRules(r: Router, ctx: ServeContext, exceptionsPath: () => string): void {
  r.add('GET', '/api/rules', 'read', ({ res }) => sendJson(res, 200, ctx.rules()));
  r.add('POST', '/api/rules/reload', 'admin', async ({ res }) => sendJson(res, 200, await ctx.reloadRules()));
  r.add('POST', '/api/rules/:id/enabled', 'admin', async ({ req, res, params }) => {
    const body = await readJsonBody(req);
    const enabled = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { enabled?: unknown }).enabled : undefined;
    if (typeof enabled !== 'boolean') throw new ServeError('SPOOR_BAD_REQUEST', 'body must be {"enabled": true} or {"enabled": false}');
    const info = await ctx.setRuleEnabled(params.id!, enabled, callerName(req, ctx.tokens));
    if (!info) throw new ServeError('SPOOR_NO_SUCH_RULE', params.id);
    sendJson(res, 200, info);
  });
  r.add('GET', '/api/exceptions', 'read', ({ res }) => sendJson(res, 200, readExceptionsFile(exceptionsPath())));
  r.add('PUT', '/api/exceptions', 'admin', async ({ req, res }) => {
    const body = (await readJsonBody(req)) as Record<string, unknown>;
    const global = checkSet(body.global ?? {}, 'global');
    const rulesIn = body.rules ?? {};
    if (rulesIn === null || typeof rulesIn !== 'object' || Array.isArray(rulesIn)) throw new ServeError('SPOOR_BAD_REQUEST', 'rules must map rule ids to exception sets');
    const rules: Record<string, ApiExceptionSet> = {};
    for (const [id, set] of Object.entries(rulesIn as Record<string, unknown>)) rules[id] = checkSet(set, `rules.${id}`);
    const path = exceptionsPath();
    const doc: Record<string, unknown> = { ...global };
    if (Object.keys(rules).length > 0) doc.rules = rules;
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, `# Written by spoor serve (PUT /api/exceptions) at ${new Date().toISOString()}\n${toYaml(doc)}`);
    renameSync(tmp, path);
    const reload = await ctx.reloadRules();
    sendJson(res, 200, { exceptions: readExceptionsFile(path), reload });
  });
}
