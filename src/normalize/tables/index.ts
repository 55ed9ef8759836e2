/** The table registry: which table applies to a channel/provider, compiled once per event id. */
import { compileTargets, type CompiledTarget } from '../convert.js';
import { securityTable } from './security.js';
import { sysmonTable } from './sysmon.js';
import { powershellTable, systemTable } from './system.js';
import type { ChannelTable, EventSpec } from './types.js';

export const TABLES: readonly ChannelTable[] = [sysmonTable, securityTable, systemTable, powershellTable];

const byChannel = new Map<string, ChannelTable>();
const byProvider = new Map<string, ChannelTable>();
for (const t of TABLES) {
  for (const spec of Object.values(t.events)) {
    if (spec.category) Object.freeze(spec.category);
    if (spec.type) Object.freeze(spec.type);
  }
  for (const c of t.channels) byChannel.set(c, t);
  for (const p of t.providers) byProvider.set(p, t);
}

export function tableFor(channel: string | undefined, provider: string | undefined): ChannelTable | undefined {
  if (channel !== undefined) {
    const t = byChannel.get(channel.toLowerCase());
    if (t) return t;
  }
  return provider !== undefined ? byProvider.get(provider.toLowerCase()) : undefined;
}

export interface CompiledSpec {
  spec: EventSpec | undefined;
  fields: Map<string, CompiledTarget[]>;
}

const compiled = new WeakMap<ChannelTable, Map<string, CompiledSpec>>();

/** The table's common mapping merged with the event id's overrides, compiled and cached. */
export function compiledSpec(table: ChannelTable, eventId: string): CompiledSpec {
  let perId = compiled.get(table);
  if (!perId) compiled.set(table, (perId = new Map()));
  let c = perId.get(eventId);
  if (c) return c;
  const spec = Object.prototype.hasOwnProperty.call(table.events, eventId) ? table.events[eventId] : undefined;
  const merged = { ...table.fields, ...(spec?.fields ?? {}) };
  const fields = new Map<string, CompiledTarget[]>();
  for (const [name, target] of Object.entries(merged)) {
    const targets = compileTargets(target);
    if (targets.length > 0) fields.set(name, targets);
  }
  c = { spec, fields };
  perId.set(eventId, c);
  return c;
}
