/**
 * Exclusion lists (`rules/lists/*.yml`): trusted signers and trusted paths a rule references by
 * name instead of burying them in its query. Each entry becomes one clause; a rule stage that
 * names the list gets `and not (clause or clause …)`, the shape of Elastic's exclusions, each clause
 * guarded by presence tests of its fields (see `guarded`).
 */
import { readFileSync } from 'node:fs';
import { parseYamlData } from './yaml-problem.js';
import type { Expr } from '../ir/types.js';
import { and, guarded, isTrue, matchesAny, or } from './ir-build.js';

export interface ExclusionList {
  name: string;
  source: string;
  description?: string;
  /** Subjects excluded when the signature is trusted. */
  signers: string[];
  /** Executable patterns excluded when the signature is trusted. */
  paths: string[];
  /** Executable pattern + subject, excluded when the signature is trusted. */
  signedPaths: { path: string; signer: string }[];
  /** Default true: every clause also requires `code_signature.trusted == true`. */
  requireTrusted: boolean;
}

/** Which object the clauses test: the started process (`process.*`) or the written file (`file.*`). */
export type ExclusionSubject = 'process' | 'file';

/** Read and validate a list file; throws an Error naming the problem (the loader turns it into a RuleProblem). */
export function loadList(path: string, name: string): ExclusionList {
  const doc: unknown = parseYamlData(readFileSync(path, 'utf8'), path);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`list ${name}: expected a YAML mapping`);
  const d = doc as Record<string, unknown>;
  const known = new Set(['description', 'signers', 'paths', 'signed_paths', 'require_trusted']);
  for (const k of Object.keys(d)) if (!known.has(k)) throw new Error(`list ${name}: unknown key '${k}' (expected ${[...known].join(', ')})`);
  const signedPaths = (d.signed_paths ?? []) as unknown;
  if (!Array.isArray(signedPaths)) throw new Error(`list ${name}: signed_paths must be a list`);
  return {
    name,
    source: path,
    description: typeof d.description === 'string' ? d.description : undefined,
    signers: stringList(d.signers, `list ${name}: signers`),
    paths: stringList(d.paths, `list ${name}: paths`),
    signedPaths: signedPaths.map((e, i) => {
      const o = e as Record<string, unknown> | null;
      if (!o || typeof o.path !== 'string' || typeof o.signer !== 'string')
        throw new Error(`list ${name}: signed_paths[${i}] needs string 'path' and 'signer'`);
      return { path: o.path, signer: o.signer };
    }),
    requireTrusted: d.require_trusted === undefined ? true : d.require_trusted === true,
  };
}

export function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.map((x, i) => {
    if (typeof x === 'string') return x;
    if (typeof x === 'number') return String(x);
    throw new Error(`${what}[${i}]: expected a string`);
  });
}

function fieldsOf(subject: ExclusionSubject) {
  return subject === 'process'
    ? { path: 'process.executable', signer: 'process.code_signature.subject_name', trusted: 'process.code_signature.trusted' }
    : { path: 'file.path', signer: 'file.code_signature.subject_name', trusted: 'file.code_signature.trusted' };
}

/**
 * The clauses of a list, in Elastic's order and shape:
 * `(trusted == true and signer : (…))`, `(path : (…) and trusted == true)`,
 * `(path : p and trusted == true and signer : s)` per signed path. Null when the list is empty.
 */
export function listClauses(list: ExclusionList, subject: ExclusionSubject): Expr[] {
  const f = fieldsOf(subject);
  const trusted = list.requireTrusted ? [isTrue(f.trusted)] : [];
  const t = list.requireTrusted ? [f.trusted] : [];
  const out: Expr[] = [];
  if (list.signers.length) out.push(guarded([...t, f.signer], and(...trusted, matchesAny(f.signer, list.signers))));
  if (list.paths.length) out.push(guarded([f.path, ...t], and(matchesAny(f.path, list.paths), ...trusted)));
  for (const sp of list.signedPaths)
    out.push(guarded([f.path, ...t, f.signer], and(matchesAny(f.path, [sp.path]), ...trusted, matchesAny(f.signer, [sp.signer]))));
  return out;
}

/** One expression excluding everything the lists describe, or null when they are all empty. */
export function exclusionExpr(lists: readonly ExclusionList[], subject: ExclusionSubject): Expr | null {
  const clauses = lists.flatMap((l) => listClauses(l, subject));
  return clauses.length ? or(clauses) : null;
}
