/**
 * A linear-time regex matcher (Thompson NFA simulated as a Pike VM, Russ Cox's "Regular
 * Expression Matching: the Virtual Machine Approach"): every input code unit is looked at once
 * per live NFA state, so a test costs O(text length × program size) whatever the pattern — no
 * backtracking, no catastrophic case. It answers only "is there a match" (rules need no
 * captures), so threads carry no capture slots and the first thread to reach MATCH wins.
 *
 * Used for the patterns V8's own linear-time engine cannot take (counted repetitions such as
 * `[^\\]{1,256}`), or for every pattern when that engine is unavailable. Hot path: written with
 * typed arrays and an explicit stack (no closures per step).
 */
import type { CharRanges, RegexNode } from './regex-syntax.js';

/** Above this many instructions a pattern is refused (counted repetitions are unrolled). */
export const MAX_PROGRAM_SIZE = 50_000;

const OP_SET = 0;
const OP_SPLIT = 1;
const OP_JMP = 2;
const OP_ASSERT = 3;
const OP_MATCH = 4;

const A_START = 0;
const A_END = 1;
const A_WORD = 2;
const A_NOTWORD = 3;

interface CharSet {
  ascii: Uint8Array;
  ranges: CharRanges;
}

export interface PikeProgram {
  size: number;
  test(s: string): boolean;
}

function isWordUnit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x61 && c <= 0x7a);
}

function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

function makeSet(ranges: CharRanges): CharSet {
  const ascii = new Uint8Array(128);
  for (let i = 0; i < ranges.length; i += 2) for (let c = ranges[i]!; c <= ranges[i + 1]! && c < 128; c++) ascii[c] = 1;
  return { ascii, ranges };
}

function inSet(set: CharSet, c: number): boolean {
  if (c < 128) return set.ascii[c] === 1;
  const r = set.ranges;
  for (let i = 0; i < r.length; i += 2) {
    if (c < r[i]!) return false;
    if (c <= r[i + 1]!) return true;
  }
  return false;
}

/**
 * Compile `tree` into a program; returns undefined when it would exceed MAX_PROGRAM_SIZE.
 * `multiline` makes `^`/`$` also match at line terminators.
 */
export function compilePike(tree: RegexNode, multiline: boolean): PikeProgram | undefined {
  const op: number[] = [];
  const arg1: number[] = [];
  const arg2: number[] = [];
  const sets: CharSet[] = [];
  let tooBig = false;
  const emit = (o: number, a = 0, b = 0): number => {
    if (op.length >= MAX_PROGRAM_SIZE) tooBig = true;
    op.push(o);
    arg1.push(a);
    arg2.push(b);
    return op.length - 1;
  };
  const gen = (n: RegexNode): void => {
    if (tooBig) return;
    switch (n.t) {
      case 'empty':
        return;
      case 'set':
        sets.push(makeSet(n.ranges));
        emit(OP_SET, sets.length - 1);
        return;
      case 'assert':
        emit(OP_ASSERT, n.kind === 'start' ? A_START : n.kind === 'end' ? A_END : n.kind === 'word' ? A_WORD : A_NOTWORD);
        return;
      case 'seq':
        for (const it of n.items) gen(it);
        return;
      case 'alt': {
        const jumps: number[] = [];
        for (let i = 0; i < n.alts.length; i++) {
          if (i < n.alts.length - 1) {
            const split = emit(OP_SPLIT, op.length + 1, 0);
            gen(n.alts[i]!);
            jumps.push(emit(OP_JMP));
            arg2[split] = op.length;
          } else gen(n.alts[i]!);
        }
        for (const j of jumps) arg1[j] = op.length;
        return;
      }
      case 'backref':
      case 'look':
        throw new Error('regex-pike: backreferences and lookaround are not compiled (see ir/regex.ts)');
      case 'rep': {
        for (let i = 0; i < n.min; i++) gen(n.body);
        if (n.max === Infinity) {
          const split = emit(OP_SPLIT, op.length + 1, 0);
          gen(n.body);
          emit(OP_JMP, split);
          arg2[split] = op.length;
        } else {
          const splits: number[] = [];
          for (let i = n.min; i < n.max && !tooBig; i++) {
            splits.push(emit(OP_SPLIT, op.length + 1, 0));
            gen(n.body);
          }
          for (const s of splits) arg2[s] = op.length;
        }
        return;
      }
    }
  };
  gen(tree);
  emit(OP_MATCH);
  if (tooBig) return undefined;
  const size = op.length;
  const ops = Uint8Array.from(op);
  const a1 = Int32Array.from(arg1);
  const a2 = Int32Array.from(arg2);
  // Per-test scratch, reused (a test never re-enters itself).
  let clist = new Int32Array(size);
  let nlist = new Int32Array(size);
  const mark = new Int32Array(size);
  const stack = new Int32Array(size * 2 + 2);
  let generation = 0;

  /** Follow jumps, splits and assertions from `pc` at text position `i`; add SET states to `list`. True on MATCH. */
  function add(list: Int32Array, count: { n: number }, pc0: number, s: string, i: number): boolean {
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      const pc = stack[--sp]!;
      if (mark[pc] === generation) continue;
      mark[pc] = generation;
      switch (ops[pc]) {
        case OP_SET:
          list[count.n++] = pc;
          break;
        case OP_MATCH:
          return true;
        case OP_JMP:
          stack[sp++] = a1[pc]!;
          break;
        case OP_SPLIT:
          stack[sp++] = a2[pc]!;
          stack[sp++] = a1[pc]!;
          break;
        case OP_ASSERT: {
          const before = i > 0 ? s.charCodeAt(i - 1) : -1;
          const after = i < s.length ? s.charCodeAt(i) : -1;
          let ok: boolean;
          switch (a1[pc]) {
            case A_START:
              ok = i === 0 || (multiline && isLineTerminator(before));
              break;
            case A_END:
              ok = i === s.length || (multiline && isLineTerminator(after));
              break;
            default: {
              const boundary = (before >= 0 && isWordUnit(before)) !== (after >= 0 && isWordUnit(after));
              ok = a1[pc] === A_WORD ? boundary : !boundary;
            }
          }
          if (ok) stack[sp++] = pc + 1;
          break;
        }
      }
    }
    return false;
  }

  return {
    size,
    test(s: string): boolean {
      const cur = { n: 0 };
      const next = { n: 0 };
      if (generation > 0x3fffffff) {
        mark.fill(0);
        generation = 0;
      }
      generation++;
      for (let i = 0; ; i++) {
        // Unanchored search: a new thread starts at every position (same generation as the
        // threads carried over to this position, so duplicates merge).
        if (add(clist, cur, 0, s, i)) return true;
        if (i >= s.length) return false;
        const c = s.charCodeAt(i);
        generation++;
        next.n = 0;
        for (let k = 0; k < cur.n; k++) {
          const pc = clist[k]!;
          if (inSet(sets[a1[pc]!]!, c) && add(nlist, next, pc + 1, s, i + 1)) return true;
        }
        const t = clist;
        clist = nlist;
        nlist = t;
        cur.n = next.n;
      }
    },
  };
}
