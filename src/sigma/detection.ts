/** A Sigma `detection:` section (named detections + condition) → one IR expression. */
import type { Expr } from '../ir/types.js';
import { compileCondition } from './condition.js';
import { SigmaRuleError, and, compileItem, or, type ItemContext } from './modifiers.js';

export const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** One named detection: a map (AND of items), a list of maps (OR), or keywords (list of values). */
function compileDefinition(name: string, def: unknown, ctx: ItemContext): Expr {
  if (isMap(def)) {
    const items = Object.entries(def);
    if (items.length === 0) throw new SigmaRuleError(`detection '${name}' is empty`, 'error');
    return and(items.map(([k, v]) => compileItem(k, v, ctx)));
  }
  if (Array.isArray(def)) {
    if (def.length === 0) throw new SigmaRuleError(`detection '${name}' is an empty list`, 'error');
    const maps = def.filter(isMap);
    const scalars = def.filter((x) => !isMap(x));
    const parts: Expr[] = maps.map((m, i) => compileDefinition(`${name}[${i}]`, m, ctx));
    if (scalars.length > 0) parts.push(compileItem('', scalars, ctx));
    return or(parts);
  }
  if (typeof def === 'string' || typeof def === 'number') return compileItem('', def, ctx);
  throw new SigmaRuleError(`detection '${name}' must be a map, a list or a value`, 'error');
}

export function compileDetections(section: Record<string, unknown>, ctx: ItemContext): Map<string, Expr> {
  const out = new Map<string, Expr>();
  for (const [name, def] of Object.entries(section)) {
    if (name === 'condition' || name === 'timeframe' || name === 'rules') continue;
    out.set(name, compileDefinition(name, def, ctx));
  }
  return out;
}

/** The section's condition (a string, or a list of strings = OR). */
export function compileSectionCondition(section: Record<string, unknown>, ctx: ItemContext): Expr {
  const cond = section.condition;
  const conditions = typeof cond === 'string' ? [cond] : Array.isArray(cond) ? cond : null;
  if (!conditions || conditions.length === 0 || !conditions.every((c) => typeof c === 'string')) {
    throw new SigmaRuleError(`detection needs a condition (a string or a list of strings)`, 'error');
  }
  if (section.timeframe !== undefined) {
    throw new SigmaRuleError(`'timeframe' in detection (legacy aggregation; use a correlation rule)`, 'unsupported');
  }
  const detections = compileDetections(section, ctx);
  return or((conditions as string[]).map((c) => compileCondition(c, detections)));
}
