/**
 * The EQL function catalogue: names, arity, which dialect has them, whether a `~`
 * (case-insensitive) variant exists, and the argument types checked when an argument is a literal.
 */
import type { EqlDialect } from './types.js';

/** `string`, `number`, `boolean`: what a literal argument must be (null is always accepted). */
export type ArgType = 'string' | 'number' | 'boolean' | 'any' | 'variable';

export interface FunctionSpec {
  /** Canonical spelling, as in the documentation (`startsWith`). The IR uses its lower case. */
  name: string;
  /** Required parameters, then optional ones; `rest` repeats the last type without limit. */
  params: ArgType[];
  minArgs: number;
  rest?: boolean;
  /** Has a `name~(...)` case-insensitive form. */
  tilde: boolean;
  /** Compares strings, so the Endgame dialect makes it case-insensitive. */
  stringCompare: boolean;
  /** Arguments after the first must be string literals (patterns compiled once). */
  literalPatterns?: boolean;
  /** A smaller minimum in the Endgame dialect (Python eql's `substring(s)`). */
  endgameMinArgs?: number;
  /** A smaller maximum in Elasticsearch (`between` has no case-sensitivity argument there). */
  esMaxArgs?: number;
  dialects: readonly EqlDialect[];
}

const BOTH: readonly EqlDialect[] = ['elasticsearch', 'endgame'];
const ENDGAME: readonly EqlDialect[] = ['endgame'];

function fn(
  name: string,
  params: ArgType[],
  minArgs: number,
  opts: {
    rest?: boolean;
    tilde?: boolean;
    stringCompare?: boolean;
    literalPatterns?: boolean;
    endgameMinArgs?: number;
    esMaxArgs?: number;
    dialects?: readonly EqlDialect[];
  } = {},
): FunctionSpec {
  return {
    name,
    params,
    minArgs,
    ...(opts.rest ? { rest: true } : {}),
    tilde: opts.tilde ?? false,
    stringCompare: opts.stringCompare ?? false,
    ...(opts.literalPatterns ? { literalPatterns: true } : {}),
    ...(opts.endgameMinArgs !== undefined ? { endgameMinArgs: opts.endgameMinArgs } : {}),
    ...(opts.esMaxArgs !== undefined ? { esMaxArgs: opts.esMaxArgs } : {}),
    dialects: opts.dialects ?? BOTH,
  };
}

const SPECS: FunctionSpec[] = [
  fn('add', ['number', 'number'], 2),
  fn('between', ['string', 'string', 'string', 'boolean', 'boolean'], 3, { tilde: true, stringCompare: true, esMaxArgs: 4 }),
  fn('cidrMatch', ['string', 'string'], 2, { rest: true }),
  fn('concat', ['any'], 1, { rest: true }),
  fn('divide', ['number', 'number'], 2),
  fn('endsWith', ['string', 'string'], 2, { tilde: true, stringCompare: true }),
  fn('indexOf', ['string', 'string', 'number'], 2, { tilde: true, stringCompare: true }),
  fn('length', ['any'], 1),
  fn('modulo', ['number', 'number'], 2),
  fn('multiply', ['number', 'number'], 2),
  fn('number', ['string', 'number'], 1),
  fn('startsWith', ['string', 'string'], 2, { tilde: true, stringCompare: true }),
  fn('string', ['any'], 1),
  fn('stringContains', ['string', 'string'], 2, { tilde: true, stringCompare: true }),
  fn('substring', ['string', 'number', 'number'], 2, { endgameMinArgs: 1 }),
  fn('subtract', ['number', 'number'], 2),
  // Endgame (Python eql) only.
  fn('arrayContains', ['any', 'any'], 2, { rest: true, stringCompare: true, dialects: ENDGAME }),
  fn('arrayCount', ['any', 'variable', 'boolean'], 3, { dialects: ENDGAME }),
  fn('arraySearch', ['any', 'variable', 'boolean'], 3, { dialects: ENDGAME }),
  fn('match', ['string', 'string'], 2, { rest: true, stringCompare: true, literalPatterns: true, dialects: ENDGAME }),
  fn('matchLite', ['string', 'string'], 2, { rest: true, stringCompare: true, literalPatterns: true, dialects: ENDGAME }),
  fn('wildcard', ['string', 'string'], 2, { rest: true, stringCompare: true, literalPatterns: true, dialects: ENDGAME }),
  fn('safe', ['any'], 1, { dialects: ENDGAME }),
];

const BY_LOWER = new Map(SPECS.map((s) => [s.name.toLowerCase(), s]));

/** Look a function up by name, case-insensitively. */
export function lookupFunction(name: string): FunctionSpec | undefined {
  return BY_LOWER.get(name.toLowerCase());
}

export function functionNames(dialect: EqlDialect): string[] {
  return SPECS.filter((s) => s.dialects.includes(dialect)).map((s) => s.name);
}

export function minArgs(spec: FunctionSpec, dialect: EqlDialect): number {
  return dialect === 'endgame' ? (spec.endgameMinArgs ?? spec.minArgs) : spec.minArgs;
}

export function maxArgs(spec: FunctionSpec, dialect: EqlDialect): number {
  if (spec.rest) return Infinity;
  return dialect === 'elasticsearch' ? (spec.esMaxArgs ?? spec.params.length) : spec.params.length;
}

/** The declared type of the i-th argument. */
export function paramType(spec: FunctionSpec, i: number): ArgType {
  return spec.params[Math.min(i, spec.params.length - 1)] ?? 'any';
}
