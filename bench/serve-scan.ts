/**
 * The ingest scan of `spoor serve` per document, in one process, CPU time: the byte scan of the
 * request body (serve/scan-bytes.ts, what ingest runs), the text scan it replaced on the ingest
 * path (serve/scan-doc.ts, which also needs the line decoded first), the UTF-8 decode of the line
 * alone, and `JSON.parse` of the line (the floor the serve bench uses). Generated Elastic Defend
 * events; rounds interleaved, medians printed.
 *
 *   node dist/bench/serve-scan.js [--events 20000] [--rounds 7]
 */
import { generateEvents } from '../src/demo/generate.js';
import { scanDocument } from '../src/serve/scan-doc.js';
import { scanBytes } from '../src/serve/scan-bytes.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
}
const EVENTS = Number(arg('events', '20000'));
const ROUNDS = Number(arg('rounds', '7'));

const lines = [...generateEvents({ events: EVENTS, hosts: 200, seed: 5 }).lines];
const body = Buffer.from(lines.join('\n'));
const ranges: number[] = [];
let at = 0;
for (const l of lines) {
  const n = Buffer.byteLength(l);
  ranges.push(at, at + n);
  at += n + 1;
}
const cpu = (f: () => void): number => {
  const t = process.cpuUsage();
  f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / lines.length;
};
let sink = 0;
const runs: Record<string, number[]> = { 'byte scan (ingest now)': [], 'decode + text scan (before)': [], 'decode alone': [], 'JSON.parse (floor)': [] };
for (let r = 0; r < ROUNDS; r++) {
  runs['byte scan (ingest now)']!.push(cpu(() => {
    for (let k = 0; k < ranges.length; k += 2) if (scanBytes(body, ranges[k]!, ranges[k + 1]!)) sink++;
  }));
  runs['decode + text scan (before)']!.push(cpu(() => {
    for (let k = 0; k < ranges.length; k += 2) if (scanDocument(body.toString('utf8', ranges[k]!, ranges[k + 1]!))) sink++;
  }));
  runs['decode alone']!.push(cpu(() => {
    for (let k = 0; k < ranges.length; k += 2) sink += body.toString('utf8', ranges[k]!, ranges[k + 1]!).length;
  }));
  runs['JSON.parse (floor)']!.push(cpu(() => {
    for (const l of lines) if (JSON.parse(l)) sink++;
  }));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const floor = median(runs['JSON.parse (floor)']!);
console.log(`${lines.length} generated Defend events, ${(body.length / lines.length).toFixed(0)} bytes each on average; CPU µs per document, median of ${ROUNDS} interleaved rounds (the first round includes JIT warm-up)`);
console.log('| what | µs/document | × JSON.parse |\n|---|---:|---:|');
for (const [k, xs] of Object.entries(runs)) console.log(`| ${k} | ${median(xs).toFixed(2)} | ${(median(xs) / floor).toFixed(2)} |`);
if (sink < 0) console.log(sink);
