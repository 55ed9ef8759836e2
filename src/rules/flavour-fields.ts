/**
 * Which event flavours an Elastic Defend rule (index `logs-endpoint.events.*`) can also run on.
 *
 * Elastic runs a rule only on the indexes its `index` patterns name. Locally, Windows event logs
 * (EVTX, Winlogbeat, evtx_dump / nxlog JSON) are normalized to the same ECS fields Defend writes
 * (`event.category`, `process.executable`, `file.path`, …). A Defend rule therefore also runs on
 * those flavours when every field it *requires* is one their normalization produces: the fields
 * without which no stage of the rule can match (see `requiredFields`). A rule that needs a field
 * only Defend writes (`process.Ext.*`, `dll.*`, `Effective_process.*`, …) stays Defend-only.
 * Fields a rule reads only in exclusions (`not …`) or in one branch of an `or` are not required:
 * where a flavour lacks them, those exclusions cannot apply (documented in docs/eql.md).
 */
import type { Expr, Query, Stage } from '../ir/types.js';
import { TABLES } from '../normalize/tables/index.js';
import type { FieldMap } from '../normalize/tables/types.js';
import { WINDOWS_CODE_FIELDS } from './tables/windows-ecs-fields.js';
import { WINDOWS_LOGS } from './tables/elastic-index-flavours.js';

/** Flavours whose index patterns mean Elastic's own agents. */
const DEFEND_FLAVOURS = new Set(['elastic-defend', 'endgame']);

let windowsFields: Set<string> | null = null;

/** ECS fields (each standing for itself and everything under it) the Windows normalization writes. */
export function windowsLogFields(): ReadonlySet<string> {
  if (windowsFields) return windowsFields;
  const out = new Set<string>(WINDOWS_CODE_FIELDS);
  const addMap = (m: FieldMap | undefined): void => {
    for (const t of Object.values(m ?? {})) {
      for (const target of Array.isArray(t) ? t : [t]) {
        if (typeof target !== 'string') continue;
        const colon = target.indexOf(':');
        out.add(colon >= 0 ? target.slice(colon + 1) : target);
      }
    }
  };
  for (const table of TABLES) {
    addMap(table.fields);
    for (const spec of Object.values(table.events)) addMap(spec.fields);
  }
  return (windowsFields = out);
}

/** True when `field` is one of `fields` or lies under one (`file.hash.sha256` under `file.hash`). */
export function provided(fields: ReadonlySet<string>, field: string): boolean {
  if (fields.has(field)) return true;
  for (let i = field.lastIndexOf('.'); i > 0; i = field.lastIndexOf('.', i - 1)) if (fields.has(field.slice(0, i))) return true;
  return false;
}

const plainField = (e: Expr): string | null =>
  e.kind === 'field' && !e.optional && e.path.every((p) => typeof p === 'string') ? (e.path as string[]).join('.') : null;

/**
 * Fields a condition cannot be true without: the field of a positive comparison or match
 * (`==`, `<`…, `in`, `:`, `like`, `regex`, `cidrMatch` against constants), the union over an `and`,
 * the intersection over an `or`; nothing from `not`, `!=`, `not in`, functions or arithmetic.
 */
export function requiredOf(e: Expr): Set<string> {
  switch (e.kind) {
    case 'compare': {
      if (e.op === '!=') return new Set();
      const l = plainField(e.left);
      const r = plainField(e.right);
      const out = new Set<string>();
      // `x == null` is true on a missing x.
      const isNull = (x: Expr): boolean => x.kind === 'literal' && x.value === null;
      if (l && e.right.kind === 'literal' && !isNull(e.right)) out.add(l);
      if (r && e.left.kind === 'literal' && !isNull(e.left)) out.add(r);
      return out;
    }
    case 'in': {
      const f = plainField(e.expr);
      return f && !e.negated && e.values.every((v) => v.kind === 'literal' && v.value !== null) ? new Set([f]) : new Set();
    }
    case 'wildcard':
    case 'regex':
    case 'cidr': {
      const f = plainField(e.expr);
      return f ? new Set([f]) : new Set();
    }
    case 'and': {
      const out = new Set<string>();
      for (const x of e.exprs) for (const f of requiredOf(x)) out.add(f);
      return out;
    }
    case 'or': {
      let out: Set<string> | undefined;
      for (const x of e.exprs) {
        const s = requiredOf(x);
        const prev: Set<string> | undefined = out;
        out = prev === undefined ? s : new Set([...prev].filter((f) => s.has(f)));
      }
      return out ?? new Set<string>();
    }
    default:
      return new Set();
  }
}

/** Fields every match of the query needs: each matched stage's condition and plain join keys. */
export function requiredFields(q: Query): string[] {
  const out = new Set<string>();
  const stage = (s: Stage, by: Expr[]): void => {
    if (s.missing) return;
    for (const f of requiredOf(s.query.where)) out.add(f);
    for (const k of [...by, ...s.by]) {
      const f = plainField(k);
      if (f) out.add(f);
    }
  };
  switch (q.kind) {
    case 'event':
      for (const f of requiredOf(q.query.where)) out.add(f);
      break;
    case 'sequence':
    case 'join':
    case 'sample':
      for (const s of q.stages) stage(s, q.by);
      break;
    default:
      break;
  }
  return [...out].sort();
}

/**
 * The flavours a rule runs on by default: its index flavours, plus the Windows-log flavours when
 * the index means Elastic's agents only and the Windows normalization provides every required field.
 * `categoryField` (event_category_override) must be provided too.
 */
export function defaultFlavours(indexFlavours: readonly string[], q: Query, categoryField?: string): string[] {
  if (indexFlavours.length === 0 || !indexFlavours.every((f) => DEFEND_FLAVOURS.has(f))) return [...indexFlavours];
  const fields = windowsLogFields();
  const need = requiredFields(q);
  if (categoryField) need.push(categoryField);
  if (!need.every((f) => provided(fields, f))) return [...indexFlavours];
  return [...new Set([...indexFlavours, ...WINDOWS_LOGS])].sort();
}
