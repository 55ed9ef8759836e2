/**
 * Rules sent to hunt workers with the IR of single-event native-view rules left as bytes (issue
 * 12, peak memory). For SigmaHQ's 2,407 Windows rules the conditions' expression trees and the
 * derived facts (derived.ts) are ~40 MB of heap per thread once built as objects, yet a worker
 * reads them only while it sets up (the multi-rule matcher, telemetry needs, rule windows) and
 * when the matcher first selects a rule (its test is compiled then: most rules never are).
 *
 * `packRules` (main thread) serializes the rules into one SharedArrayBuffer: each such rule's
 * `query` and `derived` apart from the rest. `unpackRules` (each worker) builds the rules from it
 * with `query` and `derived` as read-only getters that deserialize the bytes: every worker reads
 * the one shared copy (~11 MB) and holds, after setup, only what its compiled tests keep (closures,
 * not IR). Within one synchronous run of code (a rule set's setup) a property deserializes once
 * and reads give the same object; the copies are dropped when that run ends (a microtask: not at
 * the next turn of the event loop, which a unit that reads its input without yielding to it
 * would reach only at its end, holding every rule's IR meanwhile), so later reads deserialize
 * again (~10–50 µs: code that reads a rule's IR once per rule, not per event). Nothing in a hunt
 * thread writes a loaded rule's IR.
 */
import { deserialize, serialize } from 'node:v8';
import type { Rule } from '../ir/types.js';

/** Whether `rule`'s IR is left as bytes: a single-event native-view (Sigma) rule. */
function detachable(rule: Rule): boolean {
  return rule.view === 'native' && rule.query.kind === 'event';
}

/** [start, end) of a rule's query and derived bytes, after the skeleton part. */
type Span = [number, number, number, number];

interface Skeleton {
  rules: Rule[];
  /** per rule: its spans, or null when it is not detached */
  spans: (Span | null)[];
}

/**
 * The rules as bytes in shared memory, for `unpackRules` in any thread. Layout: 4 bytes (the
 * skeleton's length, little-endian), the skeleton (v8.serialize of the rules without the detached
 * properties, and the spans), then each detached rule's query and derived bytes.
 */
export function packRules(rules: readonly Rule[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const spans: (Span | null)[] = [];
  const skeletons: Rule[] = [];
  let at = 0;
  const add = (b: Uint8Array): [number, number] => {
    chunks.push(b);
    at += b.length;
    return [at - b.length, at];
  };
  for (const rule of rules) {
    if (!detachable(rule)) {
      skeletons.push(rule);
      spans.push(null);
      continue;
    }
    const [q0, q1] = add(serialize(rule.query));
    const [d0, d1] = rule.derived ? add(serialize(rule.derived)) : [0, 0];
    const { query: _q, derived: _d, ...rest } = rule;
    skeletons.push(rest as Rule);
    spans.push([q0, q1, d0, d1]);
  }
  const head = serialize({ rules: skeletons, spans } satisfies Skeleton);
  const out = new Uint8Array(new SharedArrayBuffer(4 + head.length + at));
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let o = 4 + head.length;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Copies read during the current synchronous run (see above), dropped when it ends. */
let warm: Map<Rule, { query?: Rule['query']; derived?: Rule['derived'] }> | null = null;

function warmEntry(rule: Rule): { query?: Rule['query']; derived?: Rule['derived'] } {
  if (warm === null) {
    warm = new Map();
    queueMicrotask(() => {
      warm = null;
    });
  }
  let e = warm.get(rule);
  if (!e) {
    e = {};
    warm.set(rule, e);
  }
  return e;
}

/** The rules `packRules` packed, with detached `query`/`derived` read from `bytes` (kept, not copied). */
export function unpackRules(bytes: Uint8Array): Rule[] {
  const headLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  const { rules, spans } = deserialize(bytes.subarray(4, 4 + headLength)) as Skeleton;
  const base = 4 + headLength;
  rules.forEach((rule, i) => {
    const s = spans[i];
    if (!s) return;
    const [q0, q1, d0, d1] = s;
    Object.defineProperty(rule, 'query', {
      get: (): Rule['query'] => {
        const e = warmEntry(rule);
        return (e.query ??= deserialize(bytes.subarray(base + q0, base + q1)) as Rule['query']);
      },
      enumerable: true,
      configurable: true,
    });
    if (d1 > d0) {
      Object.defineProperty(rule, 'derived', {
        get: (): Rule['derived'] => {
          const e = warmEntry(rule);
          return (e.derived ??= deserialize(bytes.subarray(base + d0, base + d1)) as Rule['derived']);
        },
        enumerable: true,
        configurable: true,
      });
    }
  });
  return rules;
}
