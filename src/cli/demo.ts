/**
 * `spoor demo`: generate a small Windows network's telemetry with planted attacks, hunt it, and
 * show what was found (table, summary, HTML report). `spoor demo generate`: write large
 * synthetic inputs for benchmarks.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { Alert } from '../alert/types.js';
import { DEMO_FORMATS, type DemoFormat } from '../demo/formats.js';
import { FILE_SHARE_RULE_ID, generateEvents, writeNdjson, type GenerateOptions, type PlantedAttack, type ScenarioRecord } from '../demo/generate.js';
import { formatAlerts, formatSummary, renderHtmlReport } from '../output/index.js';
import { reviewShares } from '../shares/index.js';
import { namedRuleCounts, withCounters } from './hunt.js';
import { formatCount, palette } from '../output/text.js';

interface DemoCliOptions {
  out?: string;
  events: string;
  hosts: string;
  seed: string;
  report?: string;
  workers?: string;
  progress: boolean;
  live?: boolean;
  port: string;
  speed: string;
}

interface GenerateCliOptions {
  events: string;
  hosts: string;
  seed: string;
  output?: string;
  start?: string;
  attacks: boolean;
  planted?: string;
  format?: string;
  progress: boolean;
}

function wholeNumber(name: string, text: string, min: number): number {
  const n = Number(text.replace(/[_,]/g, ''));
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} takes a whole number ≥ ${min} (got '${text}')`);
  return n;
}

export function registerDemo(program: Command): void {
  const demo = program
    .command('demo')
    .description('Generate a small Windows network with planted lateral-movement attacks, hunt it and write an HTML report')
    .option('-o, --out <dir>', 'folder for the generated events and the report (default: a new temporary folder)')
    .option('--events <n>', 'events to generate', '20000')
    .option('--hosts <n>', 'hosts in the network', '12')
    .option('--seed <n>', 'random seed (same seed, same data)', '42')
    .option('--report <file>', 'HTML report path (default: OUT/spoor-report.html)')
    .option('-w, --workers <n>', 'worker threads for the hunt (default: one per core)')
    .option('--no-progress', 'no progress bar')
    .option('--live', 'start spoor serve (127.0.0.1, --port) and replay the telemetry through its _bulk endpoint; alerts appear in the browser UI as they are detected (Ctrl-C stops)')
    .option('--port <n>', 'with --live: the port spoor serve listens on', '9200')
    .option('--speed <x>', 'with --live: event-time seconds replayed per second (default: the whole replay takes about a minute)', '0')
    .addHelpText(
      'after',
      `
What it plants: a PsExec-style and an Impacket-style remote execution (the System process writes
an .exe into ADMIN$, services.exe starts it a fraction of a second later), among benign look-alikes
that must NOT alert: trusted vendor agents deployed the same way (CrowdStrike, Veeam), SCCM client
push, Windows Update installers, documents/scripts/DLLs copied to shares, tools run minutes later.

Examples:
  spoor demo
  spoor demo --out ./demo --events 200000 --hosts 50
  spoor demo --live                # then open the printed address
  spoor demo generate --events 1000000 --hosts 2000 --seed 7 -o big.ndjson`,
    )
    .action(async (o: DemoCliOptions) => {
      try {
        process.exitCode = await runDemo(o);
      } catch (e) {
        process.stderr.write(`spoor demo: ${(e as Error).message}\n`);
        process.exitCode = 2;
      }
    });

  demo
    .command('generate')
    .description('Write synthetic Elastic Defend NDJSON (deterministic for a seed) with a known list of planted attacks')
    .option('--events <n>', 'number of events', '1000000')
    .option('--hosts <n>', 'number of hosts', '2000')
    .option('--seed <n>', 'random seed', '1')
    .option('-o, --output <file>', 'output file (- for stdout)', '-')
    .option('--start <iso>', 'time of the first event (ISO-8601)')
    .option('--no-attacks', 'plant no attacks (a clean baseline)')
    .option('--format <name>', `JSON shape: ${DEMO_FORMATS.join(', ')} (same events and planted attacks; see docs/demo.md)`, 'defend')
    .option('--planted <file>', 'also write the planted attacks as JSON to FILE')
    .option('--no-progress', 'no progress bar')
    .action(async (o: GenerateCliOptions, cmd: Command) => {
      try {
        // commander hands options that `demo` also has (--events, --hosts, --seed, -o, --no-progress)
        // to `demo`, wherever they stand: take them back.
        const parent = cmd.parent;
        const given = (name: string): boolean => parent?.getOptionValueSource(name) === 'cli';
        const po = parent?.opts() ?? {};
        if (given('events')) o.events = po['events'] as string;
        if (given('hosts')) o.hosts = po['hosts'] as string;
        if (given('seed')) o.seed = po['seed'] as string;
        if (given('out')) o.output = po['out'] as string;
        if (given('progress')) o.progress = po['progress'] as boolean;
        await runGenerate(o);
      } catch (e) {
        process.stderr.write(`spoor demo generate: ${(e as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}

async function runGenerate(o: GenerateCliOptions): Promise<void> {
  const opts: GenerateOptions = {
    events: wholeNumber('--events', o.events, 0),
    hosts: wholeNumber('--hosts', o.hosts, 1),
    seed: wholeNumber('--seed', o.seed, 0),
    attacks: o.attacks,
  };
  if (o.format !== undefined) {
    if (!(DEMO_FORMATS as readonly string[]).includes(o.format)) throw new Error(`--format must be one of ${DEMO_FORMATS.join(', ')}: '${o.format}'`);
    opts.format = o.format as DemoFormat;
  }
  if (o.start !== undefined) {
    if (Number.isNaN(Date.parse(o.start))) throw new Error(`--start is not an ISO-8601 time: '${o.start}'`);
    opts.start = o.start;
  }
  const out = o.output ?? '-';
  const bar = o.progress && process.stderr.isTTY
    ? new cliProgress.SingleBar({ stream: process.stderr, format: ' generating |{bar}| {percentage}% · {value}/{total} events · {mb} MB · eta {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(opts.events, 0, { mb: '0' });
  const t0 = process.hrtime.bigint();
  const r = await writeNdjson(opts, out, (events, bytes) => bar?.update(events, { mb: (bytes / 1e6).toFixed(0) }));
  bar?.update(r.events, { mb: (r.bytes / 1e6).toFixed(0) });
  bar?.stop();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (o.planted) writeFileSync(o.planted, JSON.stringify(r.planted, null, 2) + '\n');
  process.stderr.write(
    `wrote ${formatCount(r.events)} events (${(r.bytes / 1e6).toFixed(1)} MB) from ${formatCount(opts.hosts)} hosts to ${out === '-' ? 'stdout' : out} ` +
      `in ${seconds.toFixed(2)} s (${formatCount(r.events / Math.max(seconds, 1e-9))} events/s, ${(r.bytes / 1e6 / Math.max(seconds, 1e-9)).toFixed(0)} MB/s)\n` +
      `planted: ${r.planted.length} attack${r.planted.length === 1 ? '' : 's'}${r.planted.length ? ` (${r.planted.map((p) => `${p.kind} on ${p.host}`).slice(0, 6).join(', ')}${r.planted.length > 6 ? ', …' : ''})` : ''}\n`,
  );
}

/** The demo proper; returns the exit code (0: every planted attack found and no look-alike alerted). */
async function runDemo(o: DemoCliOptions): Promise<number> {
  const opts: GenerateOptions = { events: wholeNumber('--events', o.events, 100), hosts: wholeNumber('--hosts', o.hosts, 2), seed: wholeNumber('--seed', o.seed, 0) };
  if (o.live) {
    const speed = Number(o.speed);
    if (!Number.isFinite(speed) || speed < 0) throw new Error(`--speed takes a number ≥ 0 (got '${o.speed}')`);
    const { runLiveDemo } = await import('./demo-live.js');
    const p = palette(process.stdout.isTTY === true);
    return runLiveDemo({ generate: opts, port: wholeNumber('--port', o.port, 0), speed, batch: 500, p, say: (s = '') => void process.stdout.write(s + '\n'), ...(o.out ? { dataDir: join(resolve(o.out), 'spoor-data') } : {}) });
  }
  const workers = o.workers === undefined ? undefined : wholeNumber('--workers', o.workers, 0);
  const color = process.stdout.isTTY === true;
  const p = palette(color);
  const dir = o.out ? resolve(o.out) : mkdtempSync(join(tmpdir(), 'spoor-demo-'));
  mkdirSync(dir, { recursive: true });
  const input = join(dir, 'events.ndjson');
  const say = (s = ''): void => void process.stdout.write(s + '\n');

  say(p.bold('spoor demo') + ' — remote execution via file shares');
  say(`Generating ${formatCount(opts.events)} Elastic Defend events from ${opts.hosts} Windows hosts (seed ${opts.seed})…`);
  const { scenarios } = generateEvents(opts);
  const gen = await writeNdjson(opts, input);
  say(`  ${p.dim(input)} (${(gen.bytes / 1e6).toFixed(1)} MB)`);
  say(`  planted: ${gen.planted.map((a) => `${a.kind} on ${a.host} (${a.path})`).join(', ')}`);
  const benign = scenarios.filter((s) => !s.malicious);
  say(`  look-alikes that must stay quiet: ${describeBenign(benign)}`);
  say('');
  say('Hunting…');
  // Loaded here so that `demo generate` does not pull in the whole hunt pipeline.
  const { runHunt } = await import('../hunt/run.js');
  const result = await runHunt({ inputs: [input], workers, progress: o.progress, contextEvents: 12 });
  say('');
  // As hunt: fit a terminal; in a file or pipe keep every cell whole.
  const width = process.stdout.isTTY === true ? process.stdout.columns || 160 : Number.POSITIVE_INFINITY;
  process.stdout.write(formatAlerts(result.alerts, 'table', { color, width }));
  say('');
  const summary = { ...result.summary, alertsByRule: namedRuleCounts(result.summary.alertsByRule, result.alerts) };
  process.stdout.write(withCounters(formatSummary(summary, { color }), result.summary));
  say('');

  const verdict = checkDemo(result.alerts, gen.planted, benign);
  for (const line of verdict.lines) say(line.ok ? `${p.green('✔')} ${line.text}` : `${p.red('✘')} ${line.text}`);
  const reportPath = o.report ? resolve(o.report) : join(dir, 'spoor-report.html');
  const shares = (await reviewShares([input], {}, () => {})).rows;
  writeFileSync(reportPath, renderHtmlReport(result, { title: 'spoor demo — remote execution via file shares', shares }));
  say('');
  say(`${p.bold('HTML report:')} ${reportPath}`);
  say(`Hunt the same data yourself: npx spoor hunt ${input}`);
  return verdict.ok ? 0 : 1;
}

function describeBenign(benign: ScenarioRecord[]): string {
  const counts = new Map<string, number>();
  for (const s of benign) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

interface Verdict {
  ok: boolean;
  lines: { ok: boolean; text: string }[];
}

/** Did the hunt find each planted attack, and stay quiet on every look-alike? */
export function checkDemo(alerts: Alert[], planted: PlantedAttack[], benign: ScenarioRecord[]): Verdict {
  const lines: Verdict['lines'] = [];
  const key = (host: string, path: string): string => `${host.toLowerCase()}|${path.toLowerCase()}`;
  const alerted = new Set(alerts.filter((a) => a.ruleId === FILE_SHARE_RULE_ID && a.filePath).map((a) => key(a.host, a.filePath!)));
  for (const a of planted) {
    const found = alerted.has(key(a.host, a.path));
    lines.push({ ok: found, text: `${a.kind} on ${a.host}: ${a.path}${a.writerIp ? ` from ${a.writerIp}` : ''} ${found ? 'detected' : 'MISSED'}` });
  }
  const anyAlert = new Set(alerts.filter((a) => a.filePath).map((a) => key(a.host, a.filePath!)));
  const noisy = benign.filter((s) => anyAlert.has(key(s.host, s.path)));
  const trusted = benign.filter((s) => s.kind.startsWith('trusted-'));
  lines.push({ ok: noisy.length === 0, text: noisy.length === 0 ? `no alert on the ${benign.length} benign look-alikes (${trusted.length} trusted vendor deployments among them)` : `false positives on: ${noisy.map((s) => `${s.kind} ${s.host} ${s.path}`).join(', ')}` });
  return { ok: lines.every((l) => l.ok), lines };
}
