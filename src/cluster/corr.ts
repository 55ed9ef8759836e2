/**
 * Stage 2 routing (docs/scale-out.md "Stages"): on a host-partition worker, find the events that
 * match a base rule of a correlation NOT grouped by host, compute the correlation's group-by key
 * for that base rule exactly as the engine does (engine/correlation.ts: `coalesce` takes the first
 * present value, strings compare case-insensitively, an incomplete key takes no part), and name
 * the group-key partition the event must be forwarded to. The stage-2 worker owning that
 * partition runs the correlation itself over the forwarded events, so each group's window lives
 * on exactly one node.
 *
 * Forwarded message: `{"c": correlation id, "s": stage-1 stream seq, "e": document as received}`
 * with `Nats-Msg-Id` = hash(correlation, seq, group token): a stage-1 replay re-forwards the same
 * ids (dropped by the duplicate window; the stage-2 worker also drops (correlation, seq) it has
 * seen).
 */
import { createHash } from 'node:crypto';
import type { Expr, Rule, Correlation } from '../ir/types.js';
import type { Event } from '../events/field.js';
import { compileExpr, compileQuery, type EngineOptions, type QueryRunner } from '../engine/index.js';
import { toEcs, toNative } from '../normalize/index.js';
import { corrSubject } from './subjects.js';

export interface ForwardMessage {
  /** Correlation rule id. */
  c: string;
  /** Stage-1 stream sequence of the event (its identity for de-duplication). */
  s: number;
  /** The event document as received. */
  e: string;
}

export interface Forward {
  subject: string;
  msgId: string;
  data: string;
}

const OPTS: EngineOptions = { dialect: 'elasticsearch' };

/** Same text as engine/correlation.ts keyText: groups compare strings case-insensitively. */
function keyText(v: unknown): string {
  if (typeof v === 'string') return `s${v.toLowerCase()}`;
  if (typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'number') return `n${v}`;
  return `j${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}`;
}

function compileKey(e: Expr): (ev: Event) => unknown {
  if (e.kind === 'call' && e.name === 'coalesce') {
    const parts = e.args.map((a) => compileKey(a));
    return (ev) => {
      for (const p of parts) {
        const v = p(ev);
        if (v !== null && v !== undefined) return v;
      }
      return null;
    };
  }
  return compileExpr(e, OPTS);
}

/** Why a correlation cannot run in stage 2 (null: it can). */
export function stage2Refusal(r: Rule): string | null {
  const q = r.query;
  if (q.kind !== 'correlation') return 'not a correlation';
  for (const b of q.rules) {
    if (b.query.kind !== 'event' || b.query.pipes.length > 0) return `base rule ${b.id} is not a single-event rule: cannot be matched per event in stage 1`;
  }
  return null;
}

/** The group token of a key (hash: subject-safe, spreads groups over partitions). */
export function corrToken(ruleId: string, keys: unknown[]): string {
  return createHash('sha256').update(ruleId).update('\u0000').update(keys.map(keyText).join('\u0000')).digest('base64url').slice(0, 22).replace(/-/g, '_');
}

interface Compiled {
  rule: Rule;
  view: 'ecs' | 'native';
  bases: { runner: QueryRunner; keys: ((ev: Event) => unknown)[] }[];
}

export class CorrRouter {
  private readonly compiled: Compiled[] = [];
  readonly problems: { ruleId: string; message: string }[] = [];

  constructor(rules: Rule[], private readonly partitions?: number) {
    for (const rule of rules) {
      const q = rule.query as Correlation;
      try {
        this.compiled.push({
          rule,
          view: rule.view,
          bases: q.rules.map((b, i) => ({ runner: compileQuery(b.query, OPTS), keys: (q.groupBy[i] ?? []).map((k) => compileKey(k)) })),
        });
      } catch (e) {
        this.problems.push({ ruleId: rule.id, message: `cannot compile for stage 2: ${(e as Error).message}` });
      }
    }
  }

  get size(): number {
    return this.compiled.length;
  }

  /** The forwards one event needs (one per correlation and distinct group key). */
  route(event: Event, seq: number, raw: string): Forward[] {
    let out: Forward[] | null = null;
    let ecs: Event | null = null;
    let native: Event | null = null;
    for (const c of this.compiled) {
      let tokens: Set<string> | null = null;
      for (const b of c.bases) {
        const view = c.view === 'native' ? (native ??= toNative(event)) : (ecs ??= toEcs(event));
        b.runner.push(view);
        if (b.runner.drain().length === 0) continue;
        const keys = b.keys.map((f) => f(view));
        if (keys.some((k) => k === null || k === undefined)) continue; // the engine ignores incomplete keys
        (tokens ??= new Set()).add(corrToken(c.rule.id, keys));
      }
      if (!tokens) continue;
      const data = JSON.stringify({ c: c.rule.id, s: seq, e: raw } satisfies ForwardMessage);
      for (const t of tokens) {
        (out ??= []).push({ subject: corrSubject(t, this.partitions), msgId: createHash('sha256').update(`${c.rule.id}\u0000${seq}\u0000${t}`).digest('base64url').slice(0, 32), data });
      }
    }
    return out ?? NONE;
  }
}

const NONE: Forward[] = [];
