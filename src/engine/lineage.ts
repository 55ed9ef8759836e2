/**
 * Endgame process lineage: `descendant of [q]`, `child of [q]`, `event of [q]`.
 *
 * Follows the python eql engine: process create events (opcode 1/3/9, or subtype create/fork)
 * extend the tree through unique_pid/unique_ppid, terminate events (opcode 2/4, subtype
 * terminate) retire a process one event later, and a boot of System (pid 4) resets the state.
 * An event that matches `q` (and has a non-zero pid) marks its process as a source.
 */
import type { EventQuery } from '../ir/types.js';
import type { Event } from '../events/field.js';
import { EMPTY_SCOPE, type CompileContext, type Fn, type Scope } from './context.js';
import { compileAccessor } from './expr.js';
import { asArray, asObject, decodeValue, encodeValue } from './state.js';

const CREATE_OPCODES = new Set([1, 3, 9]);
const TERMINATE_OPCODES = new Set([2, 4]);

type Relation = 'descendant' | 'child' | 'event';

export function compileLineage(
  relation: Relation,
  query: EventQuery,
  ctx: CompileContext,
  compileQuery: (q: EventQuery) => (ev: Event, sc: Scope) => boolean,
): Fn {
  const pidOf = compileAccessor(ctx.lineage.pid, ctx.dialect);
  const ppidOf = compileAccessor(ctx.lineage.ppid, ctx.dialect);
  const rawPid = compileAccessor(['pid'], ctx.dialect);
  const getCat = ctx.category;
  const isProcess = (ev: Event): boolean => {
    const c = getCat(ev);
    return c === 'process' || (Array.isArray(c) && c.includes('process'));
  };
  const kind = (ev: Event): 'create' | 'terminate' | null => {
    const op = ev['opcode'];
    if (typeof op === 'number') return CREATE_OPCODES.has(op) ? 'create' : TERMINATE_OPCODES.has(op) ? 'terminate' : null;
    const st = ev['subtype'];
    if (st === 'create' || st === 'fork') return 'create';
    if (st === 'terminate') return 'terminate';
    return null;
  };

  const sources = new Set<unknown>();
  const related = new Set<unknown>();
  const dead = new Set<unknown>();
  const fill = (set: Set<unknown>, j: unknown): void => {
    set.clear();
    for (const v of asArray(j as never)) set.add(decodeValue(v));
  };
  ctx.cells.push({
    save: () => ({ s: [...sources].map(encodeValue), r: [...related].map(encodeValue), d: [...dead].map(encodeValue) }),
    load(st) {
      const o = asObject(st);
      fill(sources, o.s);
      fill(related, o.r);
      fill(dead, o.d);
    },
  });

  // Registered before the sub-query is compiled so nested lineage state updates first (python order).
  ctx.observers.push((ev) => {
    if (!isProcess(ev)) return;
    for (const p of dead) {
      related.delete(p);
      sources.delete(p);
    }
    dead.clear();
    const k = kind(ev);
    const pid = pidOf(ev);
    if (k === 'create' && rawPid(ev) === 4 && ev['process_name'] === 'System') {
      related.clear();
      sources.clear();
    }
    if (relation === 'event') {
      if (k === 'terminate') dead.add(pid);
      return;
    }
    const ppid = ppidOf(ev);
    const parentKnown = relation === 'descendant' ? related.has(ppid) || sources.has(ppid) : sources.has(ppid);
    if (k === 'create' && ppid !== undefined && parentKnown) related.add(pid);
    else if (k === 'terminate') dead.add(pid);
  });
  const matches = compileQuery(query);
  ctx.observers.push((ev) => {
    const raw = rawPid(ev);
    const pid = pidOf(ev);
    if (raw !== 0 && raw !== undefined && pid !== undefined && pid !== null && pid !== 0 && matches(ev, EMPTY_SCOPE)) sources.add(pid);
  });
  if (relation === 'event') return (ev) => sources.has(pidOf(ev));
  return (ev) => related.has(pidOf(ev));
}
