/**
 * Rule regular expressions that can never hang a hunt (Sigma `|re`, EQL `regex`/`regex~`,
 * EQL `match()`): every pattern is either run in linear time or refused when the rule loads,
 * with the reason (`UnsupportedRegexError`). See docs/sigma.md, "Regular expressions".
 *
 * Each pattern is parsed by `regex-syntax.ts` (which refuses `\p{…}` and turns the `i` flag into
 * explicit case sets), then runs on one of these engines:
 *
 * 1. V8's own backtracking engine (fast), with V8's fallback switched on: after 50,000
 *    backtracks in one match, V8 reruns that match on its breadth-first, linear-time engine
 *    (`--enable-experimental-regexp-engine-on-excessive-backtracks`; V8 flags are process-wide,
 *    so this covers worker threads and RegExps compiled earlier). The fallback exists only for
 *    patterns the linear engine accepts — we check by compiling with the `l` flag — and the
 *    pattern we hand to V8 is our re-emitted source without `i` and `u`, which that engine refuses.
 * 2. Patterns V8's linear engine will not take (counted repetitions such as `[^\\]{1,256}`,
 *    which it refuses to unroll) but with no unbounded quantifier and at most
 *    MAX_BACKTRACK_PATHS ways to match from one position (`backtrackBound`): V8's backtracking
 *    engine as written — bounded work per position, so linear overall.
 * 3. Our own Pike VM (`regex-pike.ts`) for the rest, behind a search for a literal every match
 *    contains, or for everything when the V8 flags cannot be set.
 * 4. Patterns with backreferences or lookaround (which no linear-time engine runs) go to V8's
 *    backtracking engine as written, only when they have no unbounded quantifier and at most
 *    MAX_BACKTRACK_PATHS ways to match from one position (`backtrackBound`): bounded work per
 *    position, so linear overall. Others are refused.
 */
import { setFlagsFromString } from 'node:v8';
import { UnsupportedRegexError } from './errors.js';
import { compilePike } from './regex-pike.js';
import { gappedLiteralTest } from './regex-gapped.js';
import { backtrackBound, foldRanges, needsBacktracking, parseRegex, type CharRanges, type RegexNode } from './regex-syntax.js';
export { UnsupportedRegexError } from './errors.js';

export interface SafeRegex {
  test(s: string): boolean;
  /** Which engine runs it: V8 guarded by its linear-time fallback, V8 on a bounded pattern, our Pike VM, or an in-order search of literal pieces joined by `.*` (regex-gapped.ts). */
  readonly engine: 'v8-guarded' | 'pike' | 'v8-bounded' | 'gapped-literals';
}

/** Most paths from one start position a pattern with backreferences or lookaround may have. */
export const MAX_BACKTRACK_PATHS = 10_000;

let linearAvailable: boolean | undefined;

/** Switch on V8's linear-time engine and its backtracking fallback (once per process). */
export function enableLinearFallback(): boolean {
  if (linearAvailable !== undefined) return linearAvailable;
  try {
    setFlagsFromString('--enable-experimental-regexp-engine');
    setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    new RegExp('a', 'l');
    linearAvailable = true;
  } catch {
    linearAvailable = false;
  }
  return linearAvailable;
}

function hex(c: number): string {
  return '\\u' + c.toString(16).padStart(4, '0');
}

function emitSet(r: CharRanges): string {
  if (r.length === 2 && r[0] === r[1]) {
    const ch = String.fromCharCode(r[0]!);
    return /[A-Za-z0-9 _,:;'"%=@#&~<>`!-]/.test(ch) && ch !== '-' ? ch : hex(r[0]!);
  }
  let out = '[';
  for (let i = 0; i < r.length; i += 2) out += r[i] === r[i + 1] ? hex(r[i]!) : `${hex(r[i]!)}-${hex(r[i + 1]!)}`;
  return out + ']';
}

/** The tree as JavaScript regex source for a RegExp without the `i` and `u` flags. */
function emitSource(n: RegexNode): string {
  switch (n.t) {
    case 'empty':
      return '';
    case 'set':
      return emitSet(n.ranges);
    case 'backref':
    case 'look':
      throw new Error('emitSource: backreferences and lookaround are not re-emitted');
    case 'assert':
      return n.kind === 'start' ? '^' : n.kind === 'end' ? '$' : n.kind === 'word' ? '\\b' : '\\B';
    case 'seq':
      return n.items.map(emitSource).join('');
    case 'alt':
      return `(?:${n.alts.map(emitSource).join('|')})`;
    case 'rep': {
      const body = n.body.t === 'set' ? emitSource(n.body) : `(?:${emitSource(n.body)})`;
      const q = n.max === Infinity ? (n.min === 0 ? '*' : n.min === 1 ? '+' : `{${n.min},}`) : n.min === 0 && n.max === 1 ? '?' : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`;
      return body + q;
    }
  }
}

/**
 * Compile a rule regex (JavaScript syntax; flags among `i`, `m`, `s`, and `u` which is ignored:
 * patterns are read as UTF-16 code units). Matching is a search (`test`), as RegExp.test.
 * Throws UnsupportedRegexError with the reason when the pattern cannot be run safely.
 */
export function compileRegex(source: string, flags: string): SafeRegex {
  // Rules are checked when they load and compiled again by the engine: compile each pattern once.
  const key = `${flags}/${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const re = compileUncached(source, flags);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, re);
  return re;
}

const MAX_CACHED = 10_000;
const cache = new Map<string, SafeRegex>();

function compileUncached(source: string, flags: string): SafeRegex {
  for (const f of flags) {
    if (!'imsu'.includes(f)) throw new UnsupportedRegexError(`regex /${source}/${flags}: flag '${f}' is not supported`, `flag '${f}' is not supported`);
  }
  const multiline = flags.includes('m');
  const tree = parseRegex(source, { ignoreCase: flags.includes('i'), dotAll: flags.includes('s'), multiline });
  if (needsBacktracking(tree)) {
    // Only V8's backtracking engine runs these; allowed when it cannot backtrack much.
    if (backtrackBound(tree) > MAX_BACKTRACK_PATHS) {
      const reason = `backreferences and lookaround are only supported in patterns without unbounded quantifiers (*, +, {n,}) and with at most ${MAX_BACKTRACK_PATHS} ways to match from one position: they cannot run in linear time`;
      throw new UnsupportedRegexError(`regex /${source}/: ${reason}`, reason);
    }
    const re = new RegExp(source, flags);
    return { engine: 'v8-bounded', test: (s) => re.test(s) };
  }
  // Literal pieces joined by `.*`: found in order (regex-gapped.ts), never backtracking.
  const gapped = gappedLiteralTest(tree);
  if (gapped) return { engine: 'gapped-literals', test: gapped };
  const bounded = backtrackBound(tree) <= MAX_BACKTRACK_PATHS;
  const pike = compilePike(tree, multiline);
  if (!pike) {
    const reason = 'the pattern is too large once its counted repetitions are unrolled';
    throw new UnsupportedRegexError(`regex /${source}/: ${reason}`, reason);
  }
  if (enableLinearFallback()) {
    const src = emitSource(tree);
    const nativeFlags = multiline ? 'm' : ''; // `.` is already an explicit set
    let linearOk = true;
    try {
      new RegExp(src, nativeFlags + 'l');
    } catch {
      linearOk = false;
    }
    if (linearOk) {
      const re = new RegExp(src, nativeFlags);
      return { engine: 'v8-guarded', test: (s) => re.test(s) };
    }
  }
  if (bounded) {
    // No unbounded quantifier and few paths: backtracking is bounded per position (linear).
    const re = new RegExp(source, flags);
    return { engine: 'v8-bounded', test: (s) => re.test(s) };
  }
  // The Pike VM is ~30× slower than V8 per character: first look for a literal every match contains.
  const lit = requiredLiteral(tree, flags.includes('i'));
  if (lit !== undefined) {
    const pre = new RegExp(lit.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), flags.includes('i') ? 'i' : '');
    return { engine: 'pike', test: (s) => pre.test(s) && pike.test(s) };
  }
  return { engine: 'pike', test: (s) => pike.test(s) };
}

/** The one character a set stands for (all its case variants when `ignoreCase`), if it is one. */
function literalChar(r: CharRanges, ignoreCase: boolean): string | undefined {
  if (r.length === 0) return undefined;
  const c = r[0]!;
  if (r.length === 2 && r[0] === r[1]) return String.fromCharCode(c);
  if (!ignoreCase) return undefined;
  const f = foldRanges([c, c]);
  return f.length === r.length && f.every((x, i) => x === r[i]) ? String.fromCharCode(c) : undefined;
}

/** The longest run of literal characters in the pattern's top-level sequence (at least 2), which every match contains. */
function requiredLiteral(tree: RegexNode, ignoreCase: boolean): string | undefined {
  if (tree.t === 'alt') return undefined;
  const items = tree.t === 'seq' ? tree.items : [tree];
  let best = '';
  let run = '';
  for (const it of items) {
    const ch = it.t === 'set' ? literalChar(it.ranges, ignoreCase) : undefined;
    if (ch !== undefined) run += ch;
    else run = '';
    if (run.length > best.length) best = run;
  }
  return best.length >= 2 ? best : undefined;
}

/** The reason `source` would be refused, or undefined when it compiles. */
export function checkRegex(source: string, flags: string): string | undefined {
  try {
    compileRegex(source, flags);
    return undefined;
  } catch (e) {
    if (e instanceof UnsupportedRegexError) return e.reason;
    throw e;
  }
}
