/**
 * Value helpers shared by the expression compiler, the functions and the join-key code.
 * `null` stands for "missing or null" everywhere (undefined is folded into null).
 */

export type Tri = boolean | null;

export function isNullish(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

export function isNumeric(v: unknown): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Text of a scalar for wildcard/regex/keyword matching: numbers and booleans match their text. */
export function scalarText(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(v);
    default:
      return null;
  }
}

/** EQL `string()` / concat rendering of a value (null stays null). */
export function toText(v: unknown): string | null {
  if (isNullish(v)) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** Numeric comparison across number and bigint without losing bigint precision. */
export function compareNumeric(a: number | bigint, b: number | bigint): number {
  if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0;
  // Mixed: compare in bigint when the number is an integer, else in float.
  if (typeof a === 'number') {
    if (!Number.isInteger(a)) return a < Number(b) ? -1 : a > Number(b) ? 1 : 0;
    const ab = BigInt(a);
    return ab < (b as bigint) ? -1 : ab > (b as bigint) ? 1 : 0;
  }
  return -compareNumeric(b, a);
}

/**
 * Three-way compare of two non-null scalars of compatible types; `undefined` when the
 * types are not comparable (string vs number…), which comparisons turn into null.
 */
export function compareScalars(a: unknown, b: unknown, caseInsensitive: boolean): number | undefined {
  if (typeof a === 'string' && typeof b === 'string') {
    if (caseInsensitive) {
      a = a.toLowerCase();
      b = b.toLowerCase();
    }
    return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  }
  if (isNumeric(a) && isNumeric(b)) return compareNumeric(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return undefined;
}

/** Equality for `==` (and `in`): null when the types are incompatible. */
export function equalScalars(a: unknown, b: unknown, caseInsensitive: boolean): Tri {
  if (typeof a === 'string' && typeof b === 'string') {
    return caseInsensitive ? a === b || a.toLowerCase() === b.toLowerCase() : a === b;
  }
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  const c = compareScalars(a, b, false);
  return c === undefined ? null : c === 0;
}

/** Parts of a keyString are joined by this character. */
export const KEY_SEP = '\u0001';

/** A canonical string for a join key tuple; `fold` lower-cases strings (Endgame keys are case-insensitive). */
export function keyString(values: readonly unknown[], fold: boolean): string {
  let s = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) s += KEY_SEP;
    s += keyPart(values[i], fold);
  }
  return s;
}

/** One value's part of a join key string (see keyString). */
export function keyPart(v: unknown, fold: boolean): string {
  if (isNullish(v)) return 'n';
  switch (typeof v) {
    case 'string':
      return 's' + (fold ? v.toLowerCase() : v);
    case 'number':
      return 'd' + String(v);
    case 'bigint':
      return 'd' + v.toString();
    case 'boolean':
      return v ? 'T' : 'F';
    default:
      if (Array.isArray(v)) return '[' + v.map((x) => keyPart(x, fold)).join(',') + ']';
      return 'o' + (toText(v) ?? '');
  }
}
