/**
 * A long list of wildcard patterns on one field (`process.executable : ("?:\\Program Files\\*.exe",
 * … 40 more)`, Elastic's exclusion lists) tested by one Aho–Corasick pass instead of one test per
 * pattern: each pattern is tried only when the text contains its longest literal part, which every
 * text it matches contains. Same answers as pattern.ts `compilePatterns` (each pattern is still
 * decided by its own `compilePattern` test); what changes is how many tests run: a command line
 * met by a rule with 30 `*…*` patterns, several with `?` (the quadratic glob matcher), cost
 * ~4 µs per evaluation, one pass over the text now.
 */
import type { Pattern } from '../ir/types.js';
import { AhoCorasick } from './multi-match/aho-corasick.js';
import { compilePattern, compilePatterns, splitExact, type StringTest } from './pattern.js';

/**
 * Dense transition table budget of one list's automaton (entries × 4 bytes; aho-corasick.ts): a
 * few hundred lists of a pack get built in a hunt, and the matcher's default (2^17 entries) would
 * give each up to ~50 KB; the shallow nodes a text mostly visits stay dense.
 */
const DENSE_ENTRIES = 4096;

/** Fewest patterns with a literal part (not plain texts, which are one Set lookup) before the automaton pays. */
export const FILTER_MIN_PATTERNS = 4;

/**
 * The longest literal run of `p` as the pattern's test sees it (each literal part lower-cased on
 * its own when `lower`, adjacent parts merged: pattern.ts `normalise`); '' when it has none.
 * A text the pattern matches contains it.
 */
export function longestLiteral(p: Pattern, lower: boolean): string {
  let best = '';
  let run = '';
  for (const part of p) {
    if (part.t === 'lit') run += lower ? part.v.toLowerCase() : part.v;
    else {
      if (run.length > best.length) best = run;
      run = '';
    }
  }
  return run.length > best.length ? run : best;
}

/**
 * Tests already compiled, by pattern list (the rule's IR array) and case: a rule's runner is
 * compiled again for every hunt unit and detector, and its automata need building only once per
 * thread. A test keeps no state between calls (its marks are per call), so runners can share it.
 */
const compiled = [new WeakMap<readonly Pattern[], StringTest>(), new WeakMap<readonly Pattern[], StringTest>()];

/** `compilePatterns(patterns, lower)`, with an automaton choosing which patterns to try when there are many. */
export function compilePatternSet(patterns: readonly Pattern[], lower: boolean): StringTest {
  const cache = compiled[lower ? 1 : 0]!;
  let t = cache.get(patterns);
  if (t === undefined) {
    t = build(patterns, lower);
    cache.set(patterns, t);
  }
  return t;
}

function build(patterns: readonly Pattern[], lower: boolean): StringTest {
  const { exact, rest } = splitExact(patterns, lower);
  const literals = rest.map((p) => longestLiteral(p, lower));
  // A `?` past the pattern's leading ones takes the glob matcher (O(text × pattern)): one such
  // pattern with a literal already costs more than the pass.
  const glob = rest.some((p, i) => literals[i] !== '' && p.some((x, j) => x.t === 'one' && p.slice(0, j).some((y) => y.t !== 'one')));
  if (!glob && literals.filter((l) => l !== '').length < FILTER_MIN_PATTERNS) return compilePatterns(patterns, lower);
  const tests = rest.map((p) => compilePattern(p, lower));
  const always: StringTest[] = [];
  const needles: { text: string; payload: number }[] = [];
  literals.forEach((l, i) => (l === '' ? always.push(tests[i]!) : needles.push({ text: l, payload: i })));
  // Built on the first evaluation: most rules of a pack never meet an event that reaches this test.
  let ac: AhoCorasick | null = null;
  /** Per pattern, the evaluation in which it was last tried (a needle can occur many times). */
  const tried = new Int32Array(rest.length);
  let evaluation = 0;
  let text = '';
  let found = false;
  const onHit = (payload: number): void => {
    if (found || tried[payload] === evaluation) return;
    tried[payload] = evaluation;
    if (tests[payload]!(text)) found = true;
  };
  return (s) => {
    if (exact.size > 0 && exact.has(s)) return true;
    for (let i = 0; i < always.length; i++) if (always[i]!(s)) return true;
    if (ac === null) ac = new AhoCorasick(needles, DENSE_ENTRIES);
    if (++evaluation === 0x7fffffff) {
      tried.fill(0);
      evaluation = 1;
    }
    text = s;
    found = false;
    ac.scan(s, onHit);
    text = '';
    return found;
  };
}
