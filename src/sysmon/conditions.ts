/**
 * Sysmon filter conditions, as Sysinternals documents them: one table of name → test. Matching is
 * case-insensitive; the `any`/`all` forms take `;`-separated lists; `image` matches a full path or
 * just the image name.
 */
type Test = (value: string, operand: string) => boolean;

const lc = (s: string): string => s.toLowerCase();
const list = (operand: string): string[] => operand.split(';').map((s) => lc(s.trim())).filter((s) => s !== '');
const num = (s: string): number => (/^0x[0-9a-f]+$/i.test(s.trim()) ? parseInt(s.trim(), 16) : Number(s));

export const CONDITIONS = {
  is: (v, o) => lc(v) === lc(o),
  'is not': (v, o) => lc(v) !== lc(o),
  'is any': (v, o) => list(o).includes(lc(v)),
  contains: (v, o) => lc(v).includes(lc(o)),
  'contains any': (v, o) => list(o).some((x) => lc(v).includes(x)),
  'contains all': (v, o) => list(o).every((x) => lc(v).includes(x)),
  excludes: (v, o) => !lc(v).includes(lc(o)),
  'excludes any': (v, o) => list(o).some((x) => !lc(v).includes(x)),
  'excludes all': (v, o) => list(o).every((x) => !lc(v).includes(x)),
  'begin with': (v, o) => lc(v).startsWith(lc(o)),
  'not begin with': (v, o) => !lc(v).startsWith(lc(o)),
  'end with': (v, o) => lc(v).endsWith(lc(o)),
  'not end with': (v, o) => !lc(v).endsWith(lc(o)),
  'less than': (v, o) => num(v) < num(o),
  'more than': (v, o) => num(v) > num(o),
  image: (v, o) => {
    const val = lc(v);
    const op = lc(o);
    if (op.includes('\\')) return val === op;
    return val === op || val.endsWith(`\\${op}`);
  },
} satisfies Record<string, Test>;

export type SysmonCondition = keyof typeof CONDITIONS;

export function isCondition(name: string): name is SysmonCondition {
  return Object.prototype.hasOwnProperty.call(CONDITIONS, name);
}

export function testCondition(cond: SysmonCondition, value: string, operand: string): boolean {
  return (CONDITIONS[cond] as Test)(value, operand);
}
