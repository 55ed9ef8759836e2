/**
 * Microsoft Defender XDR advanced hunting KQL for single-event Sigma rules: one query per Windows
 * event the rule reads, on the Defender table that holds its equivalent (DeviceProcessEvents,
 * DeviceFileEvents, …; data in defender-schema.ts), its fields renamed to that table's columns.
 * The syntax is Sentinel's KQL (kql.ts); what differs is the schema. Events Defender does not
 * record (the Security log's 5145, process access, …) and fields it has no column for are
 * reported with the reason.
 */
import type { Expr, Literal, Pattern } from '../../ir/types.js';
import { mapExpr } from '../../ir/walk.js';
import { requiredValues } from '../../ir/analyze.js';
import { UnsupportedByTarget } from '../errors.js';
import { mapFields, pinField, simplify } from '../prepare.js';
import { renderCondition } from '../walk.js';
import { patternShape } from '../text-target.js';
import type { FieldMapping } from '../fields.js';
import { kqlLike } from './kql.js';
import { DEFENDER_COMPUTED, DEFENDER_FIELD_NOTES, DEFENDER_HASH_COLUMNS, DEFENDER_MISSING, DEFENDER_SOURCES, type DefenderSource } from './defender-schema.js';

const T = 'defender';

export const defenderTarget = kqlLike(T, (n) => DEFENDER_COMPUTED[n] ?? (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : `['${n}']`));

/** Defender columns holding numbers (text literals of digits become numbers). */
const NUMERIC_COLUMNS = new Set(['ProcessId', 'InitiatingProcessId', 'RemotePort', 'LocalPort']);

const unsupported = (what: string): never => {
  throw new UnsupportedByTarget(T, what);
};

const fieldOf = (e: Expr): string | null => (e.kind === 'field' && e.path.length === 1 && typeof e.path[0] === 'string' ? e.path[0] : null);

/** The literal texts a test compares its field with (patterns: their literal parts, and whether anchored at the start). */
function literalTexts(x: Expr): { text: string; anchored: boolean }[] {
  if (x.kind === 'compare' && x.right.kind === 'literal') return [{ text: String(x.right.value), anchored: true }];
  if (x.kind === 'in') return x.values.map((v) => ({ text: v.kind === 'literal' ? String(v.value) : '', anchored: true }));
  if (x.kind === 'wildcard') return x.patterns.map((p) => ({ text: p[0]?.t === 'lit' ? p[0].v : '', anchored: p[0]?.t === 'lit' }));
  return [];
}

const testedField = (x: Expr): string | null => (x.kind === 'compare' ? fieldOf(x.left) : x.kind === 'in' || x.kind === 'wildcard' || x.kind === 'regex' ? fieldOf(x.expr) : null);

/** Sysmon `Hashes` (`SHA256=…,MD5=…`) tests as tests on Defender's hash columns. */
function hashTest(x: Expr, key: string): Expr {
  const patterns: Pattern[] = x.kind === 'wildcard' ? x.patterns : x.kind === 'in' ? x.values.map((v) => [{ t: 'lit', v: v.kind === 'literal' ? String(v.value) : '' }]) : x.kind === 'compare' && x.op === '==' && x.right.kind === 'literal' ? [[{ t: 'lit', v: String(x.right.value) }]] : [];
  if (patterns.length === 0) return unsupported(`this test on Hashes in ${key}`);
  const negated = x.kind === 'in' && x.negated;
  const tests = patterns.map((p): Expr => {
    const s = patternShape(p);
    const m = s.kind === 'general' ? null : /^(SHA1|SHA256|MD5)=([0-9A-Fa-f]+),?$/i.exec(s.text);
    const column = m ? DEFENDER_HASH_COLUMNS[m[1]!.toUpperCase()] : undefined;
    if (!m || !column) return unsupported(`Hashes ${JSON.stringify(patternShape(p).kind === 'general' ? '(pattern)' : (s as { text: string }).text)} (${DEFENDER_FIELD_NOTES['Hashes']})`);
    return { kind: 'compare', op: '==', left: { kind: 'field', path: [column] }, right: { kind: 'literal', value: m[2]! }, caseInsensitive: true };
  });
  const any: Expr = tests.length === 1 ? tests[0]! : { kind: 'or', exprs: tests };
  return negated ? { kind: 'not', expr: any } : any;
}

/** A test on a field whose values Defender writes differently, as a list test on Defender's values. */
function mappedValues(x: Expr, f: string, values: Readonly<Record<string, string | readonly string[]>>): Expr {
  const to = (v: unknown): Expr[] => {
    const m = values[String(v)] ?? values[String(v).toLowerCase()];
    if (m === undefined) return unsupported(`${f} value ${String(v)} (no Defender equivalent)`);
    return (typeof m === 'string' ? [m] : m).map((value) => ({ kind: 'literal', value }));
  };
  const list = (expr: Expr, vs: Expr[], negated: boolean): Expr => ({ kind: 'in', expr, values: vs, caseInsensitive: true, negated });
  if (x.kind === 'compare' && (x.op === '==' || x.op === '!=') && x.right.kind === 'literal') return list(x.left, to(x.right.value), x.op === '!=');
  if (x.kind === 'in' && x.values.every((v) => v.kind === 'literal')) return list(x.expr, x.values.flatMap((v) => to((v as { value: Literal }).value)), x.negated);
  if (x.kind === 'wildcard' && x.patterns.every((p) => p.length === 1 && p[0]!.t === 'lit')) return list(x.expr, x.patterns.flatMap((p) => to((p[0] as { v: string }).v)), false);
  return unsupported(`this test on ${f} (Defender writes its values differently)`);
}

/** Value rewrites before renaming: hashes, numbers Defender writes as text, registry hives. */
function rewriteValues(e: Expr, src: DefenderSource, key: string): Expr {
  return mapExpr(e, (x) => {
    const f = testedField(x);
    if (f === null) return x;
    if (f === 'Hashes' && src.hashes) return hashTest(x, key);
    const values = src.valueMaps?.[f];
    if (values) return mappedValues(x, f, values);
    if (src.registryPaths?.includes(f)) {
      for (const t of literalTexts(x)) if (t.anchored && /^HK/i.test(t.text)) unsupported(`a registry path written from its hive (${t.text}): Sysmon abbreviates hives (HKLM, HKU), Defender writes them in full`);
    }
    if (f === 'Details') {
      for (const t of literalTexts(x)) if (/^(DWORD|QWORD|Binary Data)/i.test(t.text)) unsupported(`Details ${JSON.stringify(t.text)} (${DEFENDER_FIELD_NOTES['Details']})`);
    }
    return x;
  });
}

/** Every field the condition names must have a column in this source. */
function checkFields(e: Expr, src: DefenderSource, key: string): void {
  mapExpr(e, (x) => {
    const f = fieldOf(x);
    const hashColumn = src.hashes === true && Object.values(DEFENDER_HASH_COLUMNS).includes(f ?? '');
    if (x.kind === 'field' && f !== null && !(f in src.fields) && !hashColumn) {
      const note = DEFENDER_FIELD_NOTES[f];
      unsupported(`field ${f} of ${key} (${note ?? `${src.table} has no such column`})`);
    }
    return x;
  });
}

function sourceQuery(where: Expr, src: DefenderSource, key: string): Expr {
  const rewritten = rewriteValues(where, src, key);
  checkFields(rewritten, src, key);
  const hashColumns = src.hashes ? Object.fromEntries(Object.values(DEFENDER_HASH_COLUMNS).map((c) => [c, c])) : {};
  const mapping: FieldMapping = { map: { ...src.fields, ...hashColumns }, fallback: null, textFields: new Set(), numericFields: NUMERIC_COLUMNS };
  const mapped = mapFields(rewritten, mapping, T);
  const types = src.actionTypes ?? [];
  const action: Expr[] = types.length === 0 ? [] : [{ kind: 'in', expr: { kind: 'field', path: ['ActionType'] }, values: types.map((v) => ({ kind: 'literal', value: v })), caseInsensitive: false, negated: false }];
  return simplify({ kind: 'and', exprs: [...action, mapped] });
}

/** The rule as Defender KQL: one `Table | where …` per Defender source (a union when several). */
export function defenderQuery(where: Expr): string {
  const channels = [...(requiredValues(where, ['Channel']) ?? [])].map(String);
  if (channels.length === 0) unsupported('a rule that names no channel (no Defender table to query)');
  // Per table: the first event of the rule that converts (Sysmon 1 and Security 4688 are the same process starts to Defender).
  const byTable = new Map<string, string>();
  const failed = new Map<string, UnsupportedByTarget>();
  for (const ch of channels) {
    const inChannel = pinField(where, 'Channel', ch);
    if (inChannel.kind === 'literal' && inChannel.value === false) continue;
    const ids = requiredValues(inChannel, ['EventID']);
    if (!ids) unsupported(`${ch} events without an EventID (Defender's tables each hold one kind of event)`);
    for (const id of new Set([...ids!].map((v) => String(v)))) {
      const key = `${ch}/${id}`;
      const src = DEFENDER_SOURCES[key];
      if (!src) unsupported(DEFENDER_MISSING[key] ?? `${ch === 'Security' ? 'Security' : ch} event ${id} (Microsoft Defender XDR has no table holding it)`);
      const only = pinField(inChannel, 'EventID', id);
      if (only.kind === 'literal' && only.value === false) continue;
      if (byTable.has(src!.table)) continue;
      try {
        byTable.set(src!.table, `${src!.table}\n| where ${renderCondition(sourceQuery(only, src!, key), defenderTarget)}`);
        failed.delete(src!.table);
      } catch (e) {
        if (!(e instanceof UnsupportedByTarget)) throw e;
        if (!failed.has(src!.table)) failed.set(src!.table, e);
      }
    }
  }
  const err = failed.values().next();
  if (!err.done) throw err.value;
  const parts = [...byTable.values()];
  if (parts.length === 0) unsupported('a condition no event can satisfy');
  return parts.length === 1 ? parts[0]! : `union\n${parts.map((p) => `  (${p.replace(/\n/g, ' ')})`).join(',\n')}`;
}
