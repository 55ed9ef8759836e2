/**
 * Rule regex speed (issue 10, item 1): every `|re` pattern of SigmaHQ's Windows rules, run on
 * every string value of the SigmaHQ regression events, through the safe compiler
 * (`ir/regex.ts`: V8 guarded by its linear-time fallback, or our Pike VM) beside a plain
 * `new RegExp` of the same pattern (the floor: what spoor did before, unsafe). CPU time, median
 * of interleaved runs; the ratio is safe ÷ plain.
 * Usage: node dist/bench/regex.js [--runs N]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSigmaPaths } from '../src/sigma/index.js';
import { compileRegex } from '../src/ir/regex.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '..', '..', process.env.SPOOR_SHARED ?? '../shared');
const rulesDir = join(shared, 'conformance/sigma/rules/windows');
const dataDir = join(shared, 'conformance/sigma/regression_data');
if (!existsSync(rulesDir) || !existsSync(dataDir)) {
  console.error(`bench/regex needs ${rulesDir} and ${dataDir}`);
  process.exit(2);
}
const ri = process.argv.indexOf('--runs');
const runs = ri >= 0 ? Number(process.argv[ri + 1]) : 7;

const patterns: { source: string; flags: string }[] = [];
const visit = (x: unknown): void => {
  if (Array.isArray(x)) x.forEach(visit);
  else if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (o.kind === 'regex' && Array.isArray(o.patterns)) for (const p of o.patterns as string[]) patterns.push({ source: p, flags: String(o.flags) });
    for (const v of Object.values(o)) visit(v);
  }
};
visit((await loadSigmaPaths([rulesDir])).rules);

const texts: string[] = [];
const collect = (x: unknown): void => {
  if (typeof x === 'string') texts.push(x);
  else if (Array.isArray(x)) x.forEach(collect);
  else if (x && typeof x === 'object') Object.values(x).forEach(collect);
};
const walk = (d: string): void => {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.json')) {
      const text = readFileSync(p, 'utf8');
      try {
        collect(JSON.parse(text));
      } catch {
        // One JSON document per line (NDJSON).
        for (const line of text.split('\n')) {
          try {
            collect(JSON.parse(line));
          } catch {
            /* not JSON */
          }
        }
      }
    }
  }
};
walk(dataDir);

const plain = patterns.map((p) => new RegExp(p.source, p.flags));
const safe = patterns.map((p) => compileRegex(p.source, p.flags));
const engines = new Map<string, number>();
for (const s of safe) engines.set(s.engine, (engines.get(s.engine) ?? 0) + 1);

function cpu(set: { test(s: string): boolean }[]): { ms: number; hits: number } {
  const t = process.cpuUsage();
  let hits = 0;
  for (const re of set) for (const s of texts) if (re.test(s)) hits++;
  const u = process.cpuUsage(t);
  return { ms: (u.user + u.system) / 1000, hits };
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a: number[] = [];
const b: number[] = [];
let hitsA = 0;
let hitsB = 0;
for (let i = 0; i < runs; i++) {
  const x = cpu(plain);
  const y = cpu(safe);
  a.push(x.ms);
  b.push(y.ms);
  hitsA = x.hits;
  hitsB = y.hits;
}
console.log(`${patterns.length} patterns (${[...engines].map(([k, v]) => `${v} ${k}`).join(', ')}) × ${texts.length} strings, ${runs} interleaved runs, CPU ms (median)\n`);
console.log('| matcher | CPU ms | matches | ratio |');
console.log('|---|---:|---:|---:|');
console.log(`| plain \`new RegExp\` (floor, unsafe) | ${median(a).toFixed(0)} | ${hitsA} | 1.00 |`);
console.log(`| spoor safe regex | ${median(b).toFixed(0)} | ${hitsB} | ${(median(b) / median(a)).toFixed(2)} |`);
if (hitsA !== hitsB) {
  console.error('the safe matcher disagrees with RegExp');
  process.exit(1);
}
