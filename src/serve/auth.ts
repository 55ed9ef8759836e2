/**
 * Who is calling: `Authorization: Bearer TOKEN` for every route; shippers may also send
 * `Basic base64(user:TOKEN)` (Beats/Logstash/rsyslog username + password: the password is the
 * token, the user name is ignored) or `ApiKey base64(id:TOKEN)` (Beats `api_key: "id:TOKEN"`).
 * Only tokens with the `ingest` scope are accepted in Basic/ApiKey form. `admin` implies every scope,
 * `triage` implies `read`.
 */
import type { IncomingMessage } from 'node:http';
import { ServeError } from './errors.js';
import type { Scope, TokenStore } from './store/tokens.js';

/** The token of a Bearer request (after authorize), for attributing notes and rule switches. */
export function callerName(req: IncomingMessage, tokens: TokenStore): string {
  const h = req.headers.authorization ?? '';
  const m = /^bearer\s+(\S+)/i.exec(h);
  const who = m ? tokens.identify(m[1]!) : null;
  return who ? (who.name ?? `token ${who.id}`) : 'unknown';
}

export function authorize(req: IncomingMessage, tokens: TokenStore, need: Scope): void {
  const h = req.headers.authorization;
  if (!h) throw new ServeError('SPOOR_UNAUTHENTICATED');
  const sp = h.indexOf(' ');
  const scheme = (sp < 0 ? h : h.slice(0, sp)).toLowerCase();
  const cred = sp < 0 ? '' : h.slice(sp + 1).trim();
  let scopes: Scope[] | null = null;
  let shipperForm = false;
  if (scheme === 'bearer') scopes = cred ? tokens.lookup(cred) : null;
  else if (scheme === 'basic' || scheme === 'apikey') {
    shipperForm = true;
    const text = Buffer.from(cred, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon >= 0) scopes = tokens.lookup(text.slice(colon + 1));
    if (!scopes && scheme === 'apikey') scopes = tokens.lookup(text) ?? tokens.lookup(cred);
  } else throw new ServeError('SPOOR_BAD_CREDENTIALS', `unsupported scheme '${scheme}'`);
  if (!scopes) throw new ServeError('SPOOR_BAD_CREDENTIALS');
  if (shipperForm && need !== 'ingest') throw new ServeError('SPOOR_FORBIDDEN', 'Basic/ApiKey credentials are for ingest only; use a Bearer token');
  if (!scopes.includes(need) && !scopes.includes('admin') && !(need === 'read' && scopes.includes('triage'))) throw new ServeError('SPOOR_FORBIDDEN', `needs scope '${need}'`);
}
