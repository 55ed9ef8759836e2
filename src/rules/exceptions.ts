/**
 * The user's exceptions file (`--exceptions FILE`): trusted signers, paths, hosts and accounts,
 * global or per rule id. Precedence: a rule's own entries ADD to the global ones (never replace
 * them); every exception only removes alerts, it never widens a rule.
 * - signers, paths and hosts become IR conditions (`and not (…)`) on ECS-view EQL rules, so
 *   excluded events never start a sequence; all four are also checked on finished alerts
 *   (`filterAlerts`), which is the only place accounts (the writer is known only then) and
 *   rules in the native view (Sigma) are covered.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Scalar, type YAMLMap } from 'yaml';
import { didYouMean } from '../eql/index.js';
import type { Expr, Query, Rule, Stage } from '../ir/types.js';
import type { Alert } from '../alert/types.js';
import { andNot, guarded, isTrue, matchesAny, or, and, wildcardMatch } from './ir-build.js';
import { formatYamlError, nodeWhere } from './yaml-problem.js';

export interface ExceptionSet {
  /** Signers whose trusted binaries are never alerted on (signature must be trusted). */
  trustedSigners: string[];
  /** Path patterns (`*`, `?`; case-insensitive) of written files / started executables. */
  paths: string[];
  /** Host patterns, matched against the alert host and its first DNS label, case-insensitively. */
  hosts: string[];
  /** Account patterns (`user`, `DOMAIN\user`), matched against the writer's and the process's user. */
  accounts: string[];
}

export interface Exceptions {
  source?: string;
  global: ExceptionSet;
  /** Per rule id; adds to `global`. */
  rules: Record<string, ExceptionSet>;
  /** Entries that could not be read (file + reason); the rest of the file still applies. */
  problems: string[];
}

export function emptyExceptionSet(): ExceptionSet {
  return { trustedSigners: [], paths: [], hosts: [], accounts: [] };
}

export function emptyExceptions(): Exceptions {
  return { global: emptyExceptionSet(), rules: {}, problems: [] };
}

const SET_KEYS = { trusted_signers: 'trustedSigners', paths: 'paths', hosts: 'hosts', accounts: 'accounts' } as const;
type SetKey = keyof typeof SET_KEYS;
/** The top-level keys of an exceptions file. */
export const EXCEPTION_KEYS: readonly string[] = [...Object.keys(SET_KEYS), 'rules'];

/**
 * Read an exceptions YAML file. Never throws: unreadable parts are listed in `problems`, each
 * naming the file, line and column and the key (`FILE:3:10: rules.x.paths: expected a string or
 * a list of strings, got number 42`); YAML syntax errors come with the line and a caret.
 */
export function loadExceptions(path: string): Exceptions {
  const ex: Exceptions = { ...emptyExceptions(), source: path };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    ex.problems.push(`${path}: cannot read: ${(e as Error).message}`);
    return ex;
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    ex.problems.push(formatYamlError(path, text, lc, doc.errors[0]!));
    return ex;
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return ex;
  const at = (node: Node | null | undefined): string => nodeWhere(path, lc, node as { range?: [number, number, number] } | null);
  if (!isMap(root)) {
    ex.problems.push(`${at(root)}: expected a YAML mapping at the top level (${Object.keys(SET_KEYS).join(', ')}, rules)`);
    return ex;
  }
  ex.global = readSet(root, '', at, ex.problems, true);
  const rulesPair = root.items.find((p) => keyText(p.key) === 'rules');
  const rules = rulesPair?.value as Node | null | undefined;
  if (rules && !(isScalar(rules) && rules.value === null)) {
    if (!isMap(rules)) ex.problems.push(`${at(rules)}: rules: expected a mapping of rule id → exceptions, got ${describe(rules)}`);
    else
      for (const pair of rules.items) {
        const id = keyText(pair.key);
        const v = pair.value as Node | null;
        if (id === undefined) {
          ex.problems.push(`${at(pair.key as Node)}: rules: a rule id must be a string`);
          continue;
        }
        if (!isMap(v)) {
          ex.problems.push(`${at(v ?? (pair.key as Node))}: rules.${id}: expected a mapping (${Object.keys(SET_KEYS).join(', ')}), got ${describe(v)}`);
          continue;
        }
        ex.rules[id] = readSet(v, `rules.${id}.`, at, ex.problems, false);
      }
  }
  return ex;
}

function readSet(map: YAMLMap, prefix: string, at: (n: Node | null | undefined) => string, problems: string[], topLevel: boolean): ExceptionSet {
  const set = emptyExceptionSet();
  const allowed = topLevel ? [...Object.keys(SET_KEYS), 'rules'] : Object.keys(SET_KEYS);
  for (const pair of map.items) {
    const k = keyText(pair.key);
    if (topLevel && k === 'rules') continue;
    if (k === undefined && (isMap(pair.key) || isSeq(pair.key))) {
      problems.push(`${at(pair.key as Node)}: a key must be a single value, not a list or a map (expected ${allowed.join(', ')}); ignored`);
      continue;
    }
    if (k === undefined || !(k in SET_KEYS)) {
      const name = k ?? String((pair.key as Scalar | null)?.value);
      problems.push(`${at(pair.key as Node)}: unknown key '${prefix}${name}' (expected ${allowed.join(', ')})${didYouMean(name, allowed)}; ignored`);
      continue;
    }
    const list = stringsOf(pair.value as Node | null, `${prefix}${k}`, at, problems);
    if (list) set[SET_KEYS[k as SetKey]] = list;
  }
  return set;
}

/** A string or a list of strings; anything else is a problem naming the key and where it is (null: none). */
function stringsOf(v: Node | null, key: string, at: (n: Node | null | undefined) => string, problems: string[]): string[] | null {
  if (v === null || (isScalar(v) && v.value === null)) return [];
  if (isScalar(v) && typeof v.value === 'string') return [v.value];
  if (isSeq(v)) {
    const out: string[] = [];
    let ok = true;
    v.items.forEach((item, i) => {
      const n = item as Node | null;
      if (isScalar(n) && typeof n.value === 'string') out.push(n.value);
      else {
        ok = false;
        problems.push(`${at(n ?? v)}: ${key}[${i}]: expected a string, got ${describe(n)}${quoteHint(n)}; entry ignored`);
      }
    });
    return ok || out.length > 0 ? out : null;
  }
  problems.push(`${at(v)}: ${key}: expected a string or a list of strings, got ${describe(v)}${quoteHint(v)}; ignored`);
  return null;
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) && typeof key.value === 'string' ? key.value : undefined;
}

/** What a node is, for messages: `number 42`, `a mapping`, `a list`. */
function describe(n: Node | null | undefined): string {
  if (n === null || n === undefined) return 'nothing';
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) return n.value === null ? 'null' : `${typeof n.value} ${String(n.value)}`;
  return 'an alias';
}

function quoteHint(n: Node | null | undefined): string {
  return isScalar(n) && (typeof n.value === 'number' || typeof n.value === 'boolean') ? ` (quote it for text: '${String(n.value)}')` : '';
}

/** The exceptions that apply to one rule: global + the rule's own. */
export function exceptionsFor(ex: Exceptions, ruleId: string): ExceptionSet {
  const own = ex.rules[ruleId];
  if (!own) return ex.global;
  return {
    trustedSigners: [...ex.global.trustedSigners, ...own.trustedSigners],
    paths: [...ex.global.paths, ...own.paths],
    hosts: [...ex.global.hosts, ...own.hosts],
    accounts: [...ex.global.accounts, ...own.accounts],
  };
}

function stageExclusion(set: ExceptionSet, category: string | null): Expr | null {
  const subject = category === 'process' ? 'process' : 'file';
  const clauses: Expr[] = [];
  const trusted = `${subject}.code_signature.trusted`;
  const signer = `${subject}.code_signature.subject_name`;
  const path = subject === 'process' ? 'process.executable' : 'file.path';
  if (set.trustedSigners.length) clauses.push(guarded([trusted, signer], and(isTrue(trusted), matchesAny(signer, set.trustedSigners))));
  if (set.paths.length) clauses.push(guarded([path], matchesAny(path, set.paths)));
  if (set.hosts.length) clauses.push(hostClause(set.hosts));
  return clauses.length ? or(clauses) : null;
}

/** Hosts as IR: host.name / host.hostname / host.id match a pattern, or start with `pattern.` (first label). */
function hostClause(hosts: readonly string[]): Expr {
  const patterns = hosts.flatMap((h) => [h, `${h}.*`]);
  const fields = ['host.name', 'host.hostname', 'host.id'];
  return or(fields.map((f) => guarded([f], matchesAny(f, patterns))));
}

function exceptStage(stage: Stage, set: ExceptionSet): Stage {
  // A missing-event stage (`![…]`) is left alone: excluding events from it would widen the rule.
  if (stage.missing) return stage;
  const ex = stageExclusion(set, stage.query.category);
  return ex ? { ...stage, query: { ...stage.query, where: andNot(stage.query.where, ex) } } : stage;
}

/**
 * Add the signer/path/host exceptions to an ECS-view EQL rule as IR conditions on every positive
 * stage (process stages test process.executable / process.code_signature, others file.path /
 * file.code_signature; hosts test host.name, host.hostname, host.id). Rules in another view are
 * returned unchanged (alert-level checks apply).
 */
export function applyExceptions(rule: Rule, ex: Exceptions): Rule {
  if (rule.view !== 'ecs') return rule;
  const set = exceptionsFor(ex, rule.id);
  if (!set.trustedSigners.length && !set.paths.length && !set.hosts.length) return rule;
  const q = rule.query;
  let query: Query;
  if (q.kind === 'event') {
    const e = stageExclusion(set, q.query.category);
    query = e ? { ...q, query: { ...q.query, where: andNot(q.query.where, e) } } : q;
  } else if (q.kind === 'sequence' || q.kind === 'sample' || q.kind === 'join') {
    query = { ...q, stages: q.stages.map((s) => exceptStage(s, set)) } as Query;
  } else return rule;
  return { ...rule, query };
}

function shortHost(h: string): string {
  const i = h.indexOf('.');
  return i > 0 && !/^\d+\.\d+\.\d+\.\d+$/.test(h) ? h.slice(0, i) : h;
}

function accountNames(user?: string, domain?: string): string[] {
  if (!user) return [];
  return domain ? [user, `${domain}\\${user}`] : [user];
}

/**
 * Why an alert is excepted (e.g. `host 'ws-*' (global)`), or null when it stands.
 * Hosts match the alert host or its first DNS label; accounts match the writer's account and the
 * started process's user (`user` or `DOMAIN\user`); paths match the alert's file path and process
 * executable; signers need a trusted signature.
 */
export function alertExceptionReason(alert: Alert, ex: Exceptions): string | null {
  const set = exceptionsFor(ex, alert.ruleId);
  const scope = (list: 'hosts' | 'accounts' | 'paths' | 'trustedSigners', p: string) =>
    ex.global[list].includes(p) ? 'global' : `rule ${alert.ruleId}`;
  const hosts = alert.host ? [alert.host, shortHost(alert.host)] : [];
  for (const p of set.hosts) if (hosts.some((h) => wildcardMatch(p, h))) return `host '${p}' (${scope('hosts', p)})`;
  const processUser = alert.process?.user;
  const accounts = [...accountNames(alert.writer?.user, alert.writer?.domain), ...(processUser ? [processUser] : [])];
  for (const p of set.accounts) if (accounts.some((a) => wildcardMatch(p, a))) return `account '${p}' (${scope('accounts', p)})`;
  const paths = [alert.filePath, alert.process?.executable].filter((x): x is string => !!x);
  for (const p of set.paths) if (paths.some((v) => wildcardMatch(p, v))) return `path '${p}' (${scope('paths', p)})`;
  const signer = alert.process?.signer;
  if (signer && alert.process?.signatureTrusted === true)
    for (const p of set.trustedSigners) if (wildcardMatch(p, signer)) return `trusted signer '${p}' (${scope('trustedSigners', p)})`;
  return null;
}

/** Split alerts into those kept and those an exception removed (with the reason, for the report). */
export function filterAlerts(alerts: readonly Alert[], ex: Exceptions): { kept: Alert[]; excepted: { alert: Alert; reason: string }[] } {
  const kept: Alert[] = [];
  const excepted: { alert: Alert; reason: string }[] = [];
  for (const a of alerts) {
    const r = alertExceptionReason(a, ex);
    if (r) excepted.push({ alert: a, reason: r });
    else kept.push(a);
  }
  return { kept, excepted };
}
