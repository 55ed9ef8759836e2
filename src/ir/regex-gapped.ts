/**
 * Patterns made of literal pieces joined by `.*` (SigmaHQ's obfuscation rules:
 * `\+.*\+.*\+.*\+…`, `\^.*\^.*\^.*\^.*\^`), tested exactly by finding the pieces in order.
 *
 * Why hand-written: on a long command line such a pattern makes V8's backtracking engine try
 * every way of placing each `.*` until its 50,000-backtrack limit, then rerun on the linear
 * engine — 3–14 ms for one test (docs/sigma.md). Finding each piece at its earliest place after
 * the previous one is exact: a leftmost placement ends earliest, which leaves the most room for
 * the rest. Without the `s` flag `.` does not match a line terminator, so the pieces must lie in
 * one line: the text is searched line by line then.
 */
import type { CharRanges, RegexNode } from './regex-syntax.js';

/** `.` without `s`: every UTF-16 unit except \n, \r, U+2028 and U+2029. */
const DOT = [0, 9, 11, 12, 14, 0x2027, 0x202a, 0xffff];
const DOT_ALL = [0, 0xffff];
const same = (a: CharRanges, b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const LINE_BREAK = /[\n\r\u2028\u2029]/;

function flatten(n: RegexNode, out: RegexNode[]): void {
  if (n.t === 'seq') for (const it of n.items) flatten(it, out);
  else if (n.t !== 'empty') out.push(n);
}

/**
 * A test equal to RegExp.test for `tree` when it is a sequence of single characters (one code
 * unit each: a letter under `i` is a set of its cases and does not qualify) and `.*` gaps, with at
 * least two non-empty pieces and every gap of the same kind; else undefined.
 */
export function gappedLiteralTest(tree: RegexNode): ((s: string) => boolean) | undefined {
  const items: RegexNode[] = [];
  flatten(tree, items);
  const pieces: string[] = [];
  let piece = '';
  let dotAll: boolean | undefined;
  for (const it of items) {
    if (it.t === 'set' && it.ranges.length === 2 && it.ranges[0] === it.ranges[1]) {
      piece += String.fromCharCode(it.ranges[0]!);
      continue;
    }
    if (it.t !== 'rep' || it.min !== 0 || it.max !== Infinity || it.body.t !== 'set') return undefined;
    const all = same(it.body.ranges, DOT_ALL);
    if (!all && !same(it.body.ranges, DOT)) return undefined;
    if (dotAll !== undefined && dotAll !== all) return undefined;
    dotAll = all;
    if (piece !== '') pieces.push(piece);
    piece = '';
  }
  if (piece !== '') pieces.push(piece);
  if (pieces.length < 2 || dotAll === undefined) return undefined;
  if (pieces.some((p) => LINE_BREAK.test(p))) return undefined;
  const inOrder = (s: string, from: number, to: number): boolean => {
    let at = from;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      const j = s.indexOf(p, at);
      if (j < 0 || j + p.length > to) return false;
      at = j + p.length;
    }
    return true;
  };
  if (dotAll) return (s) => inOrder(s, 0, s.length);
  return (s) => {
    if (!LINE_BREAK.test(s)) return inOrder(s, 0, s.length);
    let start = 0;
    for (let i = 0; i <= s.length; i++) {
      const c = i < s.length ? s.charCodeAt(i) : 10;
      if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
        const line = s.slice(start, i); // searching within the slice keeps the whole test linear
        if (inOrder(line, 0, line.length)) return true;
        start = i + 1;
      }
    }
    return false;
  };
}
