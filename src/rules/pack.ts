/**
 * Rule-pack loading: YAML rule files (metadata + EQL query + exclusion list references) and plain
 * `.eql` files, from the built-in `rules/` directory and user directories. The EQL parser is passed
 * in (see index.ts) so this module can be tested with hand-built IR.
 * Every rule that cannot be loaded becomes a RuleProblem naming the file, line:column and reason.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isScalar, type Scalar } from 'yaml';
import { collectionKey, collectionKeyMessage } from './yaml-problem.js';
import type { Query, Rule, RuleProblem, Severity, Stage } from '../ir/types.js';
import { andNot } from './ir-build.js';
import { exclusionExpr, loadList, stringList, type ExclusionList, type ExclusionSubject } from './lists.js';
import { applyExceptions, type Exceptions } from './exceptions.js';
import { loadElasticToml } from './elastic-toml.js';
import { TomlCache } from './load-cache.js';

/** The `source` of the problem an `--exclude-rule` id that names no rule raises. */
export const EXCLUDE_RULE_SOURCE = '<--exclude-rule>';

/** Parses one EQL query; throws on error, ideally with 1-based `line` and `column` properties. */
export type EqlParser = (text: string, dialect: 'elasticsearch' | 'endgame') => Query;

export interface LoadRulePackOptions {
  /** Also load rules marked `hunting: true` (off by default). */
  hunting?: boolean;
  /** Rule ids to leave out. */
  excludeRules?: string[];
  /** User exceptions: signer/path conditions are added to the rules' IR. */
  exceptions?: Exceptions;
  /** Load the built-in pack before `dirs` (default true). */
  builtin?: boolean;
  /** Also run Elastic building-block rules (`building_block_type`; hidden by default, as in Kibana). */
  buildingBlocks?: boolean;
  /** Apply Elastic rules to every event flavour, whatever their `index` patterns say. */
  ignoreIndex?: boolean;
  /**
   * Apply Elastic rules only to the flavours their `index` patterns name (Defend rules stay on
   * Defend data even where Windows-log normalization provides every field they need).
   */
  strictIndex?: boolean;
  /**
   * Keep what loading each Elastic TOML file gave in the load cache, and take it from there when
   * the files and spoor's code are unchanged (load-cache.ts). Only with the standard EQL parser.
   */
  cache?: boolean;
}

export interface RulePack {
  rules: Rule[];
  problems: RuleProblem[];
  /** Rules that loaded but are not run by default (Elastic building blocks without `buildingBlocks`). */
  hidden?: { id: string; source: string; reason: string }[];
}

const SEVERITIES: readonly Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** The package's own `rules/` directory (found by walking up to package.json, from src/ or dist/src/). */
export function builtinRulesDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  return join(d, 'rules');
}

/** Rule files of a directory: built-in pack = top level only; user dirs = recursive, minus `lists/`. */
function ruleFiles(dir: string, recursive: boolean): string[] {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st) throw new Error(`no such file or directory`);
  if (st.isFile()) return [dir];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const s = statSync(p, { throwIfNoEntry: false });
    if (!s) continue;
    if (s.isDirectory()) {
      if (recursive && name !== 'lists' && !name.startsWith('.')) out.push(...ruleFiles(p, true));
    } else if (/\.(ya?ml|eql|toml)$/i.test(name)) out.push(p);
  }
  return out;
}


export function loadRulePackWith(parse: EqlParser, dirs: readonly string[], opts: LoadRulePackOptions = {}): RulePack {
  const problems: RuleProblem[] = [];
  const rules: Rule[] = [];
  const hidden: NonNullable<RulePack['hidden']> = [];
  const seenIds = new Map<string, string>();
  const builtin = builtinRulesDir();
  const sources: { dir: string; recursive: boolean }[] = [];
  if (opts.builtin !== false) sources.push({ dir: builtin, recursive: false });
  const seenDirs = new Set(sources.map((s) => resolve(s.dir)));
  for (const d of dirs) {
    const r = resolve(d);
    if (!seenDirs.has(r)) {
      seenDirs.add(r);
      sources.push({ dir: r, recursive: true });
    }
  }
  const lists = new ListCache(builtin);
  const listed = sources.map(({ dir, recursive }) => {
    try {
      return { dir, files: ruleFiles(dir, recursive) };
    } catch (e) {
      return { dir, error: e as Error };
    }
  });
  const cache = opts.cache ? tomlCache(listed.flatMap((l) => l.files ?? [])) : null;
  for (const { dir, files, error } of listed) {
    if (!files) {
      problems.push({ source: dir, reason: `cannot read rule directory: ${error!.message}`, severity: 'error' });
      continue;
    }
    for (const file of files) {
      const loaded = cache?.texts.has(file) ? cachedTomlFile(file, cache, parse, lists, problems) : loadRuleFile(file, parse, lists, problems);
      if (!loaded) continue;
      const prev = seenIds.get(loaded.id);
      if (prev) {
        problems.push({ id: loaded.id, source: file, reason: `duplicate rule id '${loaded.id}' (first defined in ${prev}); this copy is ignored`, severity: 'error' });
        continue;
      }
      seenIds.set(loaded.id, file);
      if (loaded.meta?.enabled === false) continue;
      if (loaded.meta?.hunting === true && !opts.hunting) continue;
      if (loaded.meta?.buildingBlock === true && !opts.buildingBlocks) {
        hidden.push({ id: loaded.id, source: file, reason: 'building-block rule (run with --building-blocks)' });
        continue;
      }
      if (opts.strictIndex && !opts.ignoreIndex && loaded.gate?.flavours && Array.isArray(loaded.meta?.indexFlavours))
        loaded.gate = { ...loaded.gate, flavours: loaded.meta.indexFlavours as string[] };
      if (opts.ignoreIndex && loaded.gate?.flavours) {
        const { flavours: _drop, ...rest } = loaded.gate;
        loaded.gate = Object.keys(rest).length ? rest : undefined;
        if (!loaded.gate) delete loaded.gate;
      }
      rules.push(loaded);
    }
  }
  cache?.cache.save();
  const exclude = new Set(opts.excludeRules ?? []);
  for (const id of exclude)
    if (!seenIds.has(id)) problems.push({ id, source: EXCLUDE_RULE_SOURCE, reason: `no rule with id '${id}' to exclude`, severity: 'error' });
  // Unreadable exception entries are reported with the rule problems, so every caller shows them.
  for (const reason of opts.exceptions?.problems ?? [])
    problems.push({ source: opts.exceptions?.source ?? '<exceptions>', reason: `exceptions: ${reason}`, severity: 'error' });
  const kept = rules.filter((r) => !exclude.has(r.id));
  return { rules: opts.exceptions ? kept.map((r) => applyExceptions(r, opts.exceptions!)) : kept, problems, ...(hidden.length ? { hidden } : {}) };
}

/** The load's TOML files read, and the cache for them (null: off, or a file cannot be read). */
function tomlCache(files: string[]): { cache: TomlCache; texts: Map<string, string> } | null {
  const texts = new Map<string, string>();
  for (const f of files) {
    if (!/\.toml$/i.test(f) || texts.has(f)) continue;
    try {
      texts.set(f, readFileSync(f, 'utf8'));
    } catch {
      return null; // loadRuleFile reports it
    }
  }
  const cache = TomlCache.open([...texts].map(([path, text]) => ({ path, text })));
  return cache ? { cache, texts } : null;
}

/** loadRuleFile for a TOML file, through the load cache: the same rule and problems. */
function cachedTomlFile(file: string, c: { cache: TomlCache; texts: Map<string, string> }, parse: EqlParser, lists: ListCache, problems: RuleProblem[]): Rule | null {
  const hit = c.cache.get(file);
  if (hit) {
    for (const p of hit.problems) problems.push(p);
    return hit.rule;
  }
  const before = problems.length;
  const rule = loadRuleFile(file, parse, lists, problems, c.texts.get(file));
  c.cache.record(file, { rule, problems: problems.slice(before) });
  return rule;
}

function loadRuleFile(file: string, parse: EqlParser, lists: ListCache, problems: RuleProblem[], given?: string): Rule | null {
  let text: string;
  try {
    text = given ?? readFileSync(file, 'utf8');
  } catch (e) {
    problems.push({ source: file, reason: `cannot read: ${(e as Error).message}`, severity: 'error' });
    return null;
  }
  try {
    const ext = extname(file).toLowerCase();
    if (ext === '.toml') {
      const out = loadElasticToml(file, text, (q) => parse(q, 'elasticsearch'));
      if (out.kind === 'problem') {
        problems.push(out.problem);
        return null;
      }
      return finish(out.rule);
    }
    return ext === '.eql' ? eqlFileRule(file, text, parse) : yamlRule(file, text, parse, lists, problems);
  } catch (e) {
    if (e instanceof RuleProblemError) problems.push(e.problem);
    else problems.push({ source: file, reason: `unexpected error: ${(e as Error).message}`, severity: 'error' });
    return null;
  }
}

class RuleProblemError extends Error {
  constructor(readonly problem: RuleProblem) {
    super(problem.reason);
  }
}

function fail(file: string, reason: string, id?: string, severity: RuleProblem['severity'] = 'error'): never {
  throw new RuleProblemError({ id, source: file, reason, severity });
}

/** Position of a parser error: `line`/`column` properties, else `line N:M` / `N:M` in the message. */
function errorPosition(e: unknown): { line: number; column: number } | null {
  const o = e as { line?: unknown; column?: unknown; message?: unknown };
  if (typeof o.line === 'number' && typeof o.column === 'number') return { line: o.line, column: o.column };
  const m = /(?:line\s*)?(\d+):(\d+)/.exec(String(o.message ?? ''));
  return m ? { line: Number(m[1]), column: Number(m[2]) } : null;
}

function firstLine(e: unknown): string {
  const reason = (e as { reason?: unknown })?.reason;
  if (typeof reason === 'string') return reason.split('\n')[0]!;
  const msg = String((e as Error)?.message ?? e);
  return msg.split('\n')[0]!.replace(/^(?:line\s*)?\d+:\d+:?\s*/, '');
}

function parseOrFail(parse: EqlParser, text: string, dialect: 'elasticsearch' | 'endgame', file: string, id: string, toFile: (l: number, c: number) => { line: number; column: number }): Query {
  try {
    return parse(text, dialect);
  } catch (e) {
    const pos = errorPosition(e);
    const where = pos ? toFile(pos.line, pos.column) : null;
    fail(file, `${where ? `${where.line}:${where.column}: ` : ''}EQL: ${firstLine(e)}`, id);
  }
}

function eqlFileRule(file: string, text: string, parse: EqlParser): Rule {
  const id = basename(file).replace(/\.eql$/i, '');
  const query = parseOrFail(parse, text, 'elasticsearch', file, id, (line, column) => ({ line, column }));
  return finish({ id, name: id, source: file, language: 'eql', view: 'ecs', query, severity: 'medium', meta: { hunting: false } });
}

function yamlRule(file: string, text: string, parse: EqlParser, lists: ListCache, problems: RuleProblem[]): Rule {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const err = doc.errors[0]!;
    const p = lc.linePos(err.pos[0]);
    fail(file, `${p.line}:${p.col}: YAML: ${err.message.split('\n')[0]}`);
  }
  const badKey = collectionKey(doc);
  if (badKey !== null) fail(file, collectionKeyMessage(badKey, lc));
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(file, '1:1: expected a YAML mapping with id, name, language and query');
  const d = raw as Record<string, unknown>;
  const where = (key: string) => {
    const node = doc.get(key, true) as { range?: [number, number, number] } | undefined;
    const p = node?.range ? lc.linePos(node.range[0]) : { line: 1, col: 1 };
    return `${p.line}:${p.col}`;
  };
  if ('detection' in d || 'logsource' in d || d.language === 'sigma')
    fail(file, `1:1: this is a Sigma rule; load Sigma rules with --sigma DIR`, typeof d.id === 'string' ? d.id : undefined, 'unsupported');
  if (d.id !== undefined && d.id !== null && typeof d.id !== 'string')
    fail(file, `${where('id')}: id must be a string (got ${typeof d.id} ${String(d.id)}; quote it: '${String(d.id)}')`);
  const id = typeof d.id === 'string' && d.id.trim() ? d.id.trim() : fail(file, `${where('id')}: missing or empty 'id'`);
  const language = d.language ?? 'eql';
  if (language !== 'eql') fail(file, `${where('language')}: language '${String(language)}' is not supported here (expected eql)`, id, 'unsupported');
  if (typeof d.query !== 'string' || !d.query.trim()) fail(file, `${where('query')}: missing 'query' (EQL text)`, id);
  const severity = (d.severity ?? 'medium') as Severity;
  if (!SEVERITIES.includes(severity)) fail(file, `${where('severity')}: severity must be one of ${SEVERITIES.join(', ')}`, id);
  if (d.risk_score !== undefined && !(typeof d.risk_score === 'number' && d.risk_score >= 0 && d.risk_score <= 100))
    fail(file, `${where('risk_score')}: risk_score must be a number from 0 to 100 (got ${JSON.stringify(d.risk_score)})`, id);
  const dialect = d.dialect ?? 'elasticsearch';
  if (dialect !== 'elasticsearch' && dialect !== 'endgame') fail(file, `${where('dialect')}: dialect must be elasticsearch or endgame`, id);
  const view = d.view ?? 'ecs';
  if (view !== 'ecs' && view !== 'native') fail(file, `${where('view')}: view must be ecs or native`, id);
  const meta: { strings: Record<string, string[]> } = { strings: {} };
  try {
    for (const k of ['mitre', 'tags', 'false_positives', 'references']) meta.strings[k] = stringList(d[k], k);
  } catch (e) {
    fail(file, `${(e as Error).message}`, id);
  }
  const queryNode = doc.get('query', true);
  const toFile = queryPositionMapper(text, lc, isScalar(queryNode) ? queryNode : undefined);
  let query = parseOrFail(parse, d.query, dialect, file, id, toFile);
  const joinKeys = d.join_keys ?? 'case-sensitive';
  if (joinKeys !== 'case-sensitive' && joinKeys !== 'case-insensitive') fail(file, `${where('join_keys')}: join_keys must be case-sensitive or case-insensitive`, id);
  if (joinKeys === 'case-insensitive') {
    if (query.kind !== 'sequence') fail(file, `${where('join_keys')}: join_keys applies to sequence queries only`, id);
    query = { ...query, caseInsensitiveKeys: true };
  }

  const exclusions = d.exclusions ?? [];
  if (!Array.isArray(exclusions)) fail(file, `${where('exclusions')}: exclusions must be a list of {stage, lists}`, id);
  const usedLists: { stage: number; lists: string[] }[] = [];
  for (const [i, ex] of exclusions.entries()) {
    const o = ex as Record<string, unknown> | null;
    const stage = o?.stage ?? 1;
    let names: string[];
    try {
      names = stringList(o?.lists, `exclusions[${i}].lists`);
    } catch (e) {
      fail(file, `${where('exclusions')}: ${(e as Error).message}`, id);
    }
    if (typeof stage !== 'number' || !Number.isInteger(stage) || stage < 1) fail(file, `${where('exclusions')}: exclusions[${i}].stage must be a stage number from 1`, id);
    const subject = o?.subject;
    if (subject !== undefined && subject !== 'process' && subject !== 'file') fail(file, `${where('exclusions')}: exclusions[${i}].subject must be process or file`, id);
    const resolved: ExclusionList[] = [];
    for (const name of names) {
      try {
        resolved.push(lists.get(name, dirname(file)));
      } catch (e) {
        // Running without the list means MORE alerts, never fewer: keep the rule, say so loudly.
        problems.push({ id, source: file, reason: `${where('exclusions')}: exclusion list '${name}' not applied: ${(e as Error).message}; the rule runs without it`, severity: 'error' });
      }
    }
    query = addExclusions(query, stage, resolved, subject as ExclusionSubject | undefined, () => fail(file, `${where('exclusions')}: exclusions[${i}]: the query has no stage ${stage}`, id));
    usedLists.push({ stage, lists: resolved.map((l) => l.name) });
  }

  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  return finish({
    id,
    name: typeof d.name === 'string' ? d.name : id,
    source: file,
    language: 'eql',
    view,
    query,
    severity,
    riskScore: num(d.risk_score),
    description: typeof d.description === 'string' ? d.description.trim() : undefined,
    tags: meta.strings.tags,
    mitre: meta.strings.mitre,
    references: meta.strings.references,
    falsePositives: meta.strings.false_positives,
    meta: {
      enabled: d.enabled !== false,
      hunting: d.hunting === true,
      ...(typeof d.elastic_rule_id === 'string' ? { elasticRuleId: d.elastic_rule_id } : {}),
      ...(usedLists.length ? { exclusions: usedLists } : {}),
    },
  });
}

/** Map an EQL error position inside the `query:` value to the YAML file's line:column. */
function queryPositionMapper(text: string, lc: LineCounter, node: Scalar | undefined) {
  if (!node?.range) return (line: number, column: number) => ({ line, column });
  const start = lc.linePos(node.range[0]);
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    const lines = text.split(/\r?\n/);
    let indent = 0;
    for (let i = start.line; i < lines.length; i++) {
      if (lines[i]!.trim()) {
        indent = /^ */.exec(lines[i]!)![0].length;
        break;
      }
    }
    return (line: number, column: number) => ({ line: start.line + line, column: column + indent });
  }
  const quote = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
  return (line: number, column: number) => (line === 1 ? { line: start.line, column: start.col + quote + column - 1 } : { line: start.line + line - 1, column });
}

function stagesOf(q: Query): Stage[] | null {
  if (q.kind === 'sequence' || q.kind === 'sample' || q.kind === 'join') return q.stages;
  return null;
}

/** Add `and not (list clauses)` to stage `n` (1-based; an event query has one stage). */
export function addExclusions(q: Query, n: number, lists: readonly ExclusionList[], subject: ExclusionSubject | undefined, noStage: () => never): Query {
  if (q.kind === 'event') {
    if (n !== 1) noStage();
    const ex = exclusionExpr(lists, subject ?? (q.query.category === 'process' ? 'process' : 'file'));
    return ex ? { ...q, query: { ...q.query, where: andNot(q.query.where, ex) } } : q;
  }
  const stages = stagesOf(q);
  if (!stages || n > stages.length) noStage();
  const st = stages[n - 1]!;
  const ex = exclusionExpr(lists, subject ?? (st.query.category === 'process' ? 'process' : 'file'));
  if (!ex) return q;
  const next = stages.map((s, i) => (i === n - 1 ? { ...s, query: { ...s.query, where: andNot(s.query.where, ex) } } : s));
  return { ...q, stages: next } as Query;
}

/** The ECS categories a rule can match (all stages, `until` included); none when any stage is `any`. */
export function gateOf(q: Query): Rule['gate'] {
  let cats: (string | null)[];
  if (q.kind === 'event') cats = [q.query.category];
  else if (q.kind === 'sequence' || q.kind === 'join') cats = [...q.stages, ...(q.until ? [q.until] : [])].map((s) => s.query.category);
  else if (q.kind === 'sample') cats = q.stages.map((s) => s.query.category);
  else return undefined;
  if (cats.some((c) => c === null)) return undefined;
  return { categories: [...new Set(cats as string[])].sort() };
}

function finish(rule: Rule): Rule {
  // A rule whose category comes from another field (Elastic event_category_override) has no category gate.
  let gate = rule.meta?.categoryField === undefined ? gateOf(rule.query) : undefined;
  const flavours = rule.meta?.flavours;
  if (Array.isArray(flavours)) gate = { ...(gate ?? {}), flavours: flavours as string[] };
  return gate ? { ...rule, gate } : rule;
}

/** Lists by name: `<rule dir>/lists/<name>.yml`, then the built-in `rules/lists/`. */
class ListCache {
  private cache = new Map<string, ExclusionList>();
  constructor(private builtinDir: string) {}
  get(name: string, ruleDir: string): ExclusionList {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`bad list name '${name}'`);
    const candidates = [join(ruleDir, 'lists'), join(this.builtinDir, 'lists')].flatMap((d) => [join(d, `${name}.yml`), join(d, `${name}.yaml`)]);
    const path = candidates.find((p) => existsSync(p));
    if (!path) throw new Error(`no file ${name}.yml in ${join(ruleDir, 'lists')} or the built-in rules/lists`);
    let list = this.cache.get(path);
    if (!list) {
      list = loadList(path, name);
      this.cache.set(path, list);
    }
    return list;
  }
}
