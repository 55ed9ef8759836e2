/**
 * The Sigma front end: YAML rule files → IR rules.
 *
 * Documents are read first, then built together so that correlation rules can reference base
 * rules (by id or name) and filters can apply to rules from any file of the same load.
 * Nothing is dropped silently: every document that does not become a rule yields a RuleProblem
 * (or, for base rules of a correlation and for filters, an inventory entry saying where it went).
 */
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { collectionKey, collectionKeyMessage } from '../rules/yaml-problem.js';
import type { Correlation, Expr, Query, Rule, RuleProblem, Severity } from '../ir/types.js';
import { parseDuration } from '../events/timestamp.js';
import { compileSectionCondition, isMap } from './detection.js';
import { resolveLogsource, type LogsourceResolution, type LogsourceVariant, type SigmaLogsource } from './logsources.js';
import { SigmaRuleError, and, fieldExpr, or } from './modifiers.js';
import { mitreIds } from './tags.js';
import { cacheKey, readCached, writeCached } from './load-cache.js';
import { derive } from './derived.js';

export interface SigmaOptions {
  /** placeholder values for |expand, e.g. from a YAML config file */
  placeholders?: Record<string, string[]>;
  /**
   * Leave documents that are not Sigma at all (no detection, correlation, filter or logsource:
   * e.g. spoor's EQL rule files) out of the result and list their files in `otherFiles`, instead
   * of reporting them as invalid rules. For tools that check mixed rule directories.
   */
  skipNonSigma?: boolean;
  /**
   * Reuse the result of an identical earlier load (same files, bytes, options and spoor build)
   * from the OS cache directory, and store this one (see load-cache.ts). Off by default.
   */
  cache?: boolean;
}

/** What became of one YAML document (for `spoor rules check`). */
export interface SigmaDocumentInfo {
  id?: string;
  title?: string;
  source: string;
  kind: 'rule' | 'correlation' | 'filter';
  /** loaded: a runnable rule; embedded: runs as part of a correlation; applied: a filter. */
  status: 'loaded' | 'embedded' | 'applied' | 'unsupported' | 'error';
  reason?: string;
  warnings?: string[];
}

export interface SigmaLoadResult {
  rules: Rule[];
  problems: RuleProblem[];
  /** Every document and its outcome, in load order. */
  documents?: SigmaDocumentInfo[];
  /** With `skipNonSigma`: files holding documents that are not Sigma. */
  otherFiles?: string[];
}

interface Doc {
  source: string;
  index: number;
  body: Record<string, unknown>;
}

const SEVERITIES = new Set<Severity>(['informational', 'low', 'medium', 'high', 'critical']);

export function loadSigmaText(yamlText: string, source: string, opts: SigmaOptions = {}): SigmaLoadResult {
  const problems: RuleProblem[] = [];
  const docs = parseDocs(yamlText, source, problems);
  return build(docs, problems, opts);
}

export async function loadSigmaDir(dir: string, opts: SigmaOptions = {}): Promise<SigmaLoadResult> {
  return loadSigmaPaths([dir], opts);
}

/** Files and directories (recursive *.yml/*.yaml) loaded together, so references cross files. */
export async function loadSigmaPaths(paths: string[], opts: SigmaOptions = {}): Promise<SigmaLoadResult> {
  const problems: RuleProblem[] = [];
  const docs: Doc[] = [];
  const files: string[] = [];
  for (const p of paths) {
    let isFile = false;
    try {
      isFile = (await stat(p)).isFile();
    } catch {
      // not found: listRuleFiles reports it
    }
    if (isFile) files.push(p);
    else files.push(...(await listRuleFiles(p, problems)));
  }
  // Rule files are small and many: read one after the other without the promise machinery
  // (for 2,407 files, ~0.15 CPU-s less than fs/promises with read-ahead; a cached load is mostly this).
  const texts: { path: string; text: string | Error }[] = [];
  for (const path of files) {
    let text: string | Error;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      text = e as Error;
    }
    texts.push({ path, text });
  }
  const key = opts.cache ? cacheKey(texts, { placeholders: opts.placeholders ?? null, skipNonSigma: !!opts.skipNonSigma, listing: problems }) : null;
  if (key) {
    const hit = readCached<SigmaLoadResult>(key);
    if (hit) return hit;
  }
  for (const { path, text } of texts) {
    if (text instanceof Error) {
      problems.push({ source: path, reason: `cannot read: ${text.message}`, severity: 'error' });
      continue;
    }
    docs.push(...parseDocs(text, path, problems));
  }
  const result = build(docs, problems, opts);
  if (key) {
    // What a hunt derives from each rule in every thread, kept with the cached result (derived.ts).
    for (const r of result.rules) derive(r);
    writeCached(key, result);
  }
  return result;
}

async function listRuleFiles(dir: string, problems: RuleProblem[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      problems.push({ source: d, reason: `cannot read directory: ${(e as Error).message}`, severity: 'error' });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) await walk(p);
      else if (/\.ya?ml$/i.test(ent.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

function parseDocs(text: string, source: string, problems: RuleProblem[]): Doc[] {
  const out: Doc[] = [];
  let parsed;
  const lc = new LineCounter();
  try {
    parsed = parseAllDocuments(text, { lineCounter: lc });
  } catch (e) {
    problems.push({ source, reason: `YAML: ${(e as Error).message}`, severity: 'error' });
    return out;
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((doc, index) => {
    const where = list.length > 1 ? `${source} (document ${index + 1})` : source;
    if (doc.errors.length > 0) {
      problems.push({ source: where, reason: `YAML: ${doc.errors[0]!.message.split('\n')[0]}`, severity: 'error' });
      return;
    }
    const badKey = collectionKey(doc);
    if (badKey !== null) {
      problems.push({ source: where, reason: collectionKeyMessage(badKey, lc), severity: 'error' });
      return;
    }
    let body: unknown;
    try {
      body = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      problems.push({ source: where, reason: `YAML: ${(e as Error).message}`, severity: 'error' });
      return;
    }
    if (body === null || body === undefined) return; // empty document (e.g. a trailing ---)
    if (!isMap(body)) {
      problems.push({ source: where, reason: 'a Sigma document must be a YAML map', severity: 'error' });
      return;
    }
    out.push({ source, index, body });
  });
  return out;
}

interface Built {
  doc: Doc;
  rule?: Rule;
  problem?: RuleProblem;
  warnings: string[];
  referenced: boolean;
  generate: boolean;
  /** Correlations that name this rule, whether or not they loaded. */
  claimedBy: string[];
  /** Logsource variants of a base rule (their field renames apply to correlation keys too). */
  variants?: LogsourceVariant[] | null;
}

function build(docs: Doc[], problems: RuleProblem[], opts: SigmaOptions): SigmaLoadResult {
  // Files and documents that could not even be read as YAML maps.
  const documents: SigmaDocumentInfo[] = problems.map((p) => ({ source: p.source, kind: 'rule', status: p.severity, reason: p.reason }));
  const isSigma = (d: Doc): boolean => ['detection', 'correlation', 'filter', 'logsource'].some((k) => d.body[k] !== undefined);
  const otherFiles = opts.skipNonSigma ? [...new Set(docs.filter((d) => !isSigma(d)).map((d) => d.source))] : [];
  if (opts.skipNonSigma) docs = docs.filter(isSigma);
  const filterDocs = docs.filter((d) => d.body.filter !== undefined && d.body.correlation === undefined);
  // A filter is checked on its own first: a broken one is reported and applied to nothing.
  const filterProblems = new Map<Doc, RuleProblem>();
  for (const f of filterDocs) {
    try {
      if (!isMap(f.body.filter)) throw new SigmaRuleError('filter must be a map with rules, selections and a condition', 'error');
      if (!isMap(f.body.logsource)) throw new SigmaRuleError('filter needs a logsource', 'error');
      compileSectionCondition(f.body.filter, { placeholders: opts.placeholders });
    } catch (e) {
      filterProblems.set(f, toProblem(e, f));
    }
  }
  const filters = filterDocs.filter((f) => !filterProblems.has(f));
  const correlations = docs.filter((d) => d.body.correlation !== undefined);
  const bases = docs.filter((d) => d.body.filter === undefined && d.body.correlation === undefined);

  const filterUse = new Map<Doc, number>();
  const byRef = new Map<string, Built>();
  const builtList: Built[] = [];
  const register = (b: Built): void => {
    builtList.push(b);
    const id = str(b.doc.body.id);
    const name = str(b.doc.body.name);
    if (id) byRef.set(id, b);
    if (name) byRef.set(name, b);
  };

  for (const doc of bases) {
    const b: Built = { doc, warnings: [], referenced: false, generate: false, claimedBy: [] };
    try {
      b.variants = viewOf(doc) === 'ecs' ? null : resolveLogsource(logsourceOf(doc.body)).variants;
      b.rule = compileBaseRule(doc, filters, filterUse, opts, b.warnings);
    } catch (e) {
      b.problem = toProblem(e, doc);
    }
    register(b);
  }

  const pending = new Map<Doc, Built>();
  for (const doc of correlations) {
    const b: Built = { doc, warnings: [], referenced: false, generate: false, claimedBy: [] };
    pending.set(doc, b);
    register(b);
  }
  const resolving = new Set<Doc>();
  const finish = (b: Built): void => {
    if (b.rule || b.problem || !pending.has(b.doc)) return;
    if (resolving.has(b.doc)) {
      b.problem = problemOf(b.doc, 'correlation rules reference each other in a cycle', 'error');
      return;
    }
    resolving.add(b.doc);
    try {
      b.rule = compileCorrelationRule(b.doc, byRef, finish);
    } catch (e) {
      b.problem = toProblem(e, b.doc);
    }
    resolving.delete(b.doc);
  };
  for (const b of pending.values()) finish(b);

  const rules: Rule[] = [];
  for (const b of builtList) {
    const kind = b.doc.body.correlation !== undefined ? 'correlation' : 'rule';
    const info: SigmaDocumentInfo = {
      id: str(b.doc.body.id),
      title: str(b.doc.body.title),
      source: b.doc.source,
      kind,
      status: 'loaded',
    };
    if (b.warnings.length > 0) info.warnings = b.warnings;
    if (b.problem) {
      problems.push(b.problem);
      info.status = b.problem.severity;
      info.reason = b.problem.reason;
    } else if (b.rule) {
      if (b.referenced && !b.generate) {
        info.status = 'embedded';
        info.reason = 'runs as part of a correlation rule (generate: false)';
      } else if (!b.referenced && b.claimedBy.length > 0) {
        // Its correlation failed: running it alone would alert on every building block event.
        const p = problemOf(b.doc, `only used by correlation ${b.claimedBy.join(', ')}, which did not load`, 'error');
        problems.push(p);
        info.status = 'error';
        info.reason = p.reason;
      } else {
        rules.push(b.rule);
      }
    }
    documents.push(info);
  }
  for (const f of filterDocs) {
    const problem = filterProblems.get(f);
    if (problem) problems.push(problem);
    documents.push({
      id: str(f.body.id),
      title: str(f.body.title),
      source: f.source,
      kind: 'filter',
      status: problem ? problem.severity : 'applied',
      reason: problem ? problem.reason : `applied to ${filterUse.get(f) ?? 0} rule(s)`,
    });
  }
  const result: SigmaLoadResult = { rules, problems, documents };
  if (opts.skipNonSigma) result.otherFiles = otherFiles;
  return result;
}

/** Sigma ids are strings (a UUID); `id: 12` is a YAML number, an error in the rule, not an id "12". */
function checkIdType(id: unknown): void {
  if (id !== undefined && id !== null && typeof id !== 'string') {
    throw new SigmaRuleError(`id must be a string (got ${typeof id} ${JSON.stringify(id)}; quote it)`, 'error');
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const strList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];

function ruleId(doc: Doc): string {
  return str(doc.body.id) ?? `${doc.source}#${doc.index + 1}`;
}

function problemOf(doc: Doc, reason: string, severity: 'unsupported' | 'error'): RuleProblem {
  const p: RuleProblem = { source: doc.source, reason, severity };
  const id = str(doc.body.id) ?? str(doc.body.title);
  if (id) p.id = id;
  return p;
}

function toProblem(e: unknown, doc: Doc): RuleProblem {
  if (e instanceof SigmaRuleError) return problemOf(doc, e.message, e.severity);
  return problemOf(doc, `internal error: ${(e as Error).message ?? String(e)}`, 'error');
}

function severityOf(level: unknown): Severity {
  const l = typeof level === 'string' ? level.toLowerCase() : '';
  return SEVERITIES.has(l as Severity) ? (l as Severity) : 'medium';
}

function logsourceOf(body: Record<string, unknown>): SigmaLogsource {
  const ls = isMap(body.logsource) ? body.logsource : {};
  const out: SigmaLogsource = {};
  if (typeof ls.category === 'string') out.category = ls.category;
  if (typeof ls.product === 'string') out.product = ls.product;
  if (typeof ls.service === 'string') out.service = ls.service;
  return out;
}

function commonFields(doc: Doc): Omit<Rule, 'query' | 'view'> {
  const b = doc.body;
  const tags = strList(b.tags);
  const meta: Record<string, unknown> = { sigmaId: str(b.id), status: str(b.status), level: str(b.level) };
  for (const k of ['name', 'author', 'date', 'modified', 'logsource', 'fields', 'related']) if (b[k] !== undefined) meta[k] = b[k];
  const rule: Omit<Rule, 'query' | 'view'> = {
    id: ruleId(doc),
    name: str(b.title) ?? ruleId(doc),
    source: doc.source,
    language: 'sigma',
    severity: severityOf(b.level),
    meta,
  };
  if (typeof b.description === 'string') rule.description = b.description;
  if (tags.length > 0) {
    rule.tags = tags;
    const mitre = mitreIds(tags);
    if (mitre.length > 0) rule.mitre = mitre;
  }
  const refs = strList(b.references);
  if (refs.length > 0) rule.references = refs;
  const fps = strList(b.falsepositives);
  if (fps.length > 0) rule.falsePositives = fps;
  return rule;
}

/** The events of one logsource variant: channel, EventID and extra conditions. */
function variantExpr(v: LogsourceVariant): Expr {
  const parts: Expr[] = [];
  if (v.channels.length > 0) {
    parts.push({
      kind: 'in',
      expr: fieldExpr('Channel', {}),
      values: v.channels.map((c) => ({ kind: 'literal', value: c })),
      // Channel names are exact in EVTX, XML and Winlogbeat; a case-sensitive test is a plain set lookup.
      caseInsensitive: false,
      negated: false,
    });
  }
  if (v.eventIds.length > 0) {
    parts.push({
      kind: 'in',
      expr: fieldExpr('EventID', {}),
      values: v.eventIds.flatMap((n): Expr[] => [
        { kind: 'literal', value: n },
        { kind: 'literal', value: String(n) },
      ]),
      caseInsensitive: false,
      negated: false,
    });
  }
  for (const [field, value] of Object.entries(v.conditions ?? {})) {
    parts.push({ kind: 'compare', op: '==', left: fieldExpr(field, {}), right: { kind: 'literal', value }, caseInsensitive: true });
  }
  return and(parts);
}

function gateOf(variants: LogsourceVariant[] | null): Rule['gate'] | undefined {
  if (!variants || variants.length === 0) return undefined;
  const gate: NonNullable<Rule['gate']> = {};
  if (variants.every((v) => v.eventIds.length > 0)) gate.eventIds = [...new Set(variants.flatMap((v) => v.eventIds))];
  if (variants.every((v) => v.channels.length > 0)) gate.channels = [...new Set(variants.flatMap((v) => v.channels))];
  return gate.eventIds || gate.channels ? gate : undefined;
}

/**
 * EventIDs an event must have for `e` to be true, or null when unconstrained. Only EventID tests
 * against plain numbers count; `or` needs every branch constrained, `and` any, `not` never.
 */
export function requiredEventIds(e: Expr): Set<number> | null {
  const isEventId = (x: Expr): boolean => x.kind === 'field' && x.path.length === 1 && x.path[0] === 'EventID';
  const numeric = (t: string): number | null => (/^\d+$/.test(t) ? Number(t) : null);
  switch (e.kind) {
    case 'wildcard': {
      if (!isEventId(e.expr)) return null;
      const out = new Set<number>();
      for (const p of e.patterns) {
        const n = p.length === 1 && p[0]!.t === 'lit' ? numeric(p[0]!.v) : null;
        if (n === null) return null;
        out.add(n);
      }
      return out;
    }
    case 'in': {
      if (!isEventId(e.expr) || e.negated) return null;
      const out = new Set<number>();
      for (const v of e.values) {
        const n = v.kind === 'literal' && (typeof v.value === 'number' || typeof v.value === 'string') ? numeric(String(v.value)) : null;
        if (n === null) return null;
        out.add(n);
      }
      return out;
    }
    case 'and': {
      let acc: Set<number> | null = null;
      for (const x of e.exprs) {
        const r = requiredEventIds(x);
        if (r) acc = acc ? new Set<number>([...acc].filter((n: number) => r.has(n))) : r;
      }
      return acc;
    }
    case 'or': {
      const out = new Set<number>();
      for (const x of e.exprs) {
        const r = requiredEventIds(x);
        if (!r) return null;
        for (const n of r) out.add(n);
      }
      return out;
    }
    default:
      return null;
  }
}

function filterApplies(filter: Doc, doc: Doc): boolean {
  const section = filter.body.filter;
  if (!isMap(section)) return false;
  const fls = logsourceOf(filter.body);
  const rls = logsourceOf(doc.body);
  for (const k of ['category', 'product', 'service'] as const) {
    if (fls[k] !== undefined && fls[k]!.toLowerCase() !== rls[k]?.toLowerCase()) return false;
  }
  const refs = section.rules;
  if (refs === undefined || (Array.isArray(refs) && refs.length === 0)) return true;
  if (typeof refs === 'string' && /^(any|all)$/i.test(refs)) return true;
  const wanted = new Set(strList(refs));
  return [str(doc.body.id), str(doc.body.name), str(doc.body.title)].some((x) => x !== undefined && wanted.has(x));
}

/**
 * Which event view a rule's field names refer to: the default `sigma` taxonomy names Windows
 * native fields; `taxonomy: ecs` names ECS fields (spoor's ECS view). Others are unsupported.
 */
function viewOf(doc: Doc): Rule['view'] {
  const t = doc.body.taxonomy;
  if (t === undefined || t === null) return 'native';
  const name = String(t).toLowerCase();
  if (name === 'sigma') return 'native';
  if (name === 'ecs') return 'ecs';
  throw new SigmaRuleError(`taxonomy '${String(t)}' (spoor knows 'sigma' and 'ecs')`, 'unsupported');
}

function compileBaseRule(
  doc: Doc,
  filters: Doc[],
  filterUse: Map<Doc, number>,
  opts: SigmaOptions,
  warnings: string[],
): Rule {
  const b = doc.body;
  if (typeof b.action === 'string') {
    throw new SigmaRuleError(`legacy rule collection action '${b.action}'`, 'unsupported');
  }
  checkIdType(b.id);
  if (!isMap(b.detection)) throw new SigmaRuleError('rule has no detection section', 'error');
  if (typeof b.title !== 'string') warnings.push('rule has no title');
  const view = viewOf(doc);
  // ECS-taxonomy rules name ECS fields; Windows channels and EventIDs do not apply to them.
  const resolution: LogsourceResolution = view === 'ecs' ? { variants: null } : resolveLogsource(logsourceOf(b));
  if (resolution.warning) warnings.push(resolution.warning);
  const applicable = filters.filter((f) => filterApplies(f, doc));
  for (const f of applicable) filterUse.set(f, (filterUse.get(f) ?? 0) + 1);

  const branch = (variant: LogsourceVariant | null): Expr => {
    const ctx = { placeholders: opts.placeholders, rename: variant?.rename };
    const parts = [compileSectionCondition(b.detection as Record<string, unknown>, ctx)];
    for (const f of applicable) {
      try {
        parts.push(compileSectionCondition(f.body.filter as Record<string, unknown>, ctx));
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new SigmaRuleError(`filter ${str(f.body.id) ?? f.source}: ${why}`, e instanceof SigmaRuleError ? e.severity : 'error');
      }
    }
    const cond = and(parts);
    return variant ? and([variantExpr(variant), cond]) : cond;
  };
  const where = resolution.variants ? or(resolution.variants.map(branch)) : branch(null);
  const rule: Rule = {
    ...commonFields(doc),
    view,
    query: { kind: 'event', query: { category: null, where }, pipes: [] },
  };
  const gate = gateOf(resolution.variants) ?? {};
  // A service-only logsource (security, system…) gives no EventIDs, but the detection usually
  // requires some (`EventID: 4624`): those make the gate as tight as the rule allows.
  const required = requiredEventIds(where);
  if (required && !gate.eventIds) gate.eventIds = [...required].sort((a, b) => a - b);
  if (gate.eventIds || gate.channels) rule.gate = gate;
  if (applicable.length > 0) rule.meta = { ...rule.meta, filters: applicable.map((f) => str(f.body.id) ?? f.source) };
  return rule;
}

/**
 * A group-by/value field of a base rule. When the rule's logsource renames that field for some
 * of its events (process_creation on Security 4688: Image is NewProcessName), the key is the
 * first present of the names: `call coalesce(...)`, which compileCorrelation evaluates.
 */
function keyExpr(name: string, built: Built): Expr {
  const alternatives = [...new Set((built.variants ?? []).map((v) => v.rename?.[name]).filter((x): x is string => !!x))];
  if (alternatives.length === 0) return fieldExpr(name, {});
  return { kind: 'call', name: 'coalesce', args: [name, ...alternatives].map((f) => fieldExpr(f, {})), caseInsensitive: false };
}

const CORRELATION_TYPES = new Set<Correlation['type']>([
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
]);
const CONDITION_OPS = new Set(['gt', 'gte', 'lt', 'lte', 'eq', 'neq']);

function compileCorrelationRule(doc: Doc, byRef: Map<string, Built>, finish: (b: Built) => void): Rule {
  checkIdType(doc.body.id);
  const c = doc.body.correlation;
  if (!isMap(c)) throw new SigmaRuleError('correlation must be a map', 'error');
  const type = c.type as Correlation['type'];
  if (!CORRELATION_TYPES.has(type)) throw new SigmaRuleError(`unknown correlation type '${String(c.type)}'`, 'error');

  const refs = strList(c.rules);
  if (refs.length === 0) throw new SigmaRuleError('correlation needs rules', 'error');
  const generate = c.generate === true;
  const members: { ref: string; built: Built }[] = [];
  for (const ref of refs) {
    const built = byRef.get(ref);
    if (!built) throw new SigmaRuleError(`correlation references unknown rule '${ref}'`, 'error');
    finish(built);
    if (!built.rule) {
      throw new SigmaRuleError(`referenced rule '${ref}' did not load: ${built.problem?.reason ?? 'unknown reason'}`, built.problem?.severity ?? 'error');
    }
    members.push({ ref, built });
    built.claimedBy.push(ruleId(doc));
  }

  const timespanText = c.timespan ?? c.timeframe;
  const timespanNs = typeof timespanText === 'string' || typeof timespanText === 'number' ? parseDuration(String(timespanText)) : null;
  if (timespanNs === null || timespanNs <= 0) throw new SigmaRuleError(`correlation needs a timespan like 5m`, 'error');

  const aliases = isMap(c.aliases) ? c.aliases : {};
  const fieldFor = (name: string, m: { ref: string; built: Built }): Expr => {
    const alias = aliases[name];
    if (isMap(alias)) {
      const b = m.built.doc.body;
      const mapped = [m.ref, str(b.name), str(b.id)].map((k) => (k !== undefined ? alias[k] : undefined)).find((x) => typeof x === 'string');
      if (typeof mapped !== 'string') throw new SigmaRuleError(`alias '${name}' has no field for rule '${m.ref}'`, 'error');
      return keyExpr(mapped, m.built);
    }
    return keyExpr(name, m.built);
  };
  const groupNames = strList(c['group-by']);
  const condition: NonNullable<Correlation['condition']> = [];
  let valueFieldName: string | undefined;
  if (c.condition !== undefined) {
    if (!isMap(c.condition)) throw new SigmaRuleError('correlation condition must be a map', 'error');
    for (const [op, value] of Object.entries(c.condition)) {
      if (op === 'field') {
        if (typeof value !== 'string') throw new SigmaRuleError(`condition field must be one field name`, 'unsupported');
        valueFieldName = value;
      } else if (CONDITION_OPS.has(op) && typeof value === 'number') {
        condition.push({ op: op as 'gt', value });
      } else {
        throw new SigmaRuleError(`bad correlation condition '${op}: ${String(value)}'`, 'error');
      }
    }
  }
  if (type === 'temporal_ordered' && condition.length > 0) {
    const all = condition.every((c) => (c.op === 'gte' || c.op === 'eq') && c.value === refs.length);
    if (!all) throw new SigmaRuleError(`temporal_ordered with a condition other than all ${refs.length} rules`, 'unsupported');
  }
  const needsCondition = type !== 'temporal' && type !== 'temporal_ordered';
  if (needsCondition && condition.length === 0) throw new SigmaRuleError(`${type} needs a condition (gte: N …)`, 'error');
  const needsField = type === 'value_count' || type.startsWith('value_');
  if (needsField && !valueFieldName) throw new SigmaRuleError(`${type} needs condition.field`, 'error');

  const query: Correlation = {
    kind: 'correlation',
    type,
    rules: members.map((m) => ({ id: m.built.rule!.id, query: m.built.rule!.query as Query })),
    groupBy: members.map((m) => groupNames.map((g) => fieldFor(g, m))),
    timespanNs,
  };
  if (valueFieldName) query.valueField = members.map((m) => fieldFor(valueFieldName!, m));
  if (condition.length > 0) query.condition = condition;
  if (generate) query.generate = true;

  const memberGates = members.map((m) => m.built.rule!.gate);
  const views = new Set(members.map((m) => m.built.rule!.view));
  if (views.size > 1) throw new SigmaRuleError('correlation mixes base rules of the sigma and ecs taxonomies', 'unsupported');
  const rule: Rule = { ...commonFields(doc), view: [...views][0] ?? 'native', query };
  if (memberGates.every((g) => g?.eventIds)) {
    rule.gate = { eventIds: [...new Set(memberGates.flatMap((g) => g!.eventIds!))] };
  }
  if (memberGates.every((g) => g?.channels)) {
    rule.gate = { ...rule.gate, channels: [...new Set(memberGates.flatMap((g) => g!.channels!))] };
  }
  rule.meta = { ...rule.meta, correlation: { type, rules: refs, groupBy: groupNames, timespan: timespanText } };
  // Only a correlation that loaded takes its base rules over (a failed one leaves them standalone).
  for (const m of members) {
    m.built.referenced = true;
    m.built.generate ||= generate;
  }
  return rule;
}
