/**
 * Detection alone with Elastic's EQL pack (issue 11 item 3), in-process, one thread, CPU time:
 * `Detector.push` per pre-parsed event (rule load and compile excluded) against `JSON.parse` of the
 * same events as the floor, measured in the same process, round after round (bench/eql-detect-child.ts).
 * The pack is bench/eql-pack.ts's: every Windows / cross-platform, non-deprecated EQL rule of
 * ../shared/reference/elastic-detection-rules/repo (building blocks included) + the built-in pack.
 *
 * Usage: node dist/bench/eql-detect.js [--events 20000] [--rounds 3] [--repeat 3] [--builds DIR,DIR…]
 * `--builds`: compiled trees (each holding dist/bench/eql-detect-child.js) to compare, e.g. this one
 * and a build of the base commit; their processes are interleaved (A B A B …), and each figure is
 * the median over every round of every repeat.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { elasticPack } from './elastic-pack.js';
import { numOption, option } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const shared = resolve(root, process.env.SPOOR_SHARED ?? '../shared');
const events = option('events', '20000');
const rounds = option('rounds', '3');
const repeat = Math.max(1, numOption('repeat', 3));
const builds = option('builds', root).split(',').map((b) => resolve(b));

const { chosen, sources } = elasticPack(shared, 'bench/eql-detect');
const dir = mkdtempSync(join(tmpdir(), 'spoor-eql-detect-'));
const rulesJson = join(dir, 'rules.json');
writeFileSync(rulesJson, sources);

interface Round {
  input: string;
  events: number;
  floorUs: number;
  detectUs: number;
  selectUs: number;
  alerts: number;
}
const results = new Map<string, Round[]>(builds.map((b) => [b, []]));
try {
  for (let i = 0; i < repeat; i++) {
    for (const b of builds) {
      const env = { ...process.env, SPOOR_SHARED: shared };
      const out = execFileSync(process.execPath, [join(b, 'dist/bench/eql-detect-child.js'), events, rounds, rulesJson], { encoding: 'utf8', maxBuffer: 1 << 26, env });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { rules: number; rounds: Round[] };
      // The first round of each process warms the JIT and the matcher's adaptation: not counted.
      const inputs = new Set(r.rounds.map((x) => x.input)).size;
      results.get(b)!.push(...r.rounds.slice(inputs));
      console.error(`${b} (${r.rules} rules): ${r.rounds.map((x) => `${x.input} ${x.detectUs.toFixed(1)} (select ${x.selectUs.toFixed(1)})/${x.floorUs.toFixed(1)} µs`).join('; ')}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(`| build | input | events | floor µs/event (JSON.parse) | detection µs/event | detection / floor | selection alone µs/event | alerts |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const [b, rs] of results) {
  for (const input of [...new Set(rs.map((r) => r.input))]) {
    const mine = rs.filter((r) => r.input === input);
    const f = median(mine.map((r) => r.floorUs));
    const d = median(mine.map((r) => r.detectUs));
    const ratio = median(mine.map((r) => r.detectUs / r.floorUs));
    const sel = median(mine.map((r) => r.selectUs));
    console.log(`| ${b === root ? 'this tree' : b} | ${input} | ${mine[0]!.events} | ${f.toFixed(2)} | ${d.toFixed(1)} | ${ratio.toFixed(1)}× | ${sel.toFixed(1)} | ${[...new Set(mine.map((r) => r.alerts))].join(', ')} |`);
  }
}
