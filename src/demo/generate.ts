/**
 * Synthetic Elastic Defend telemetry for a Windows fleet, with known planted attacks.
 *
 * Deterministic: the same options give the same events, byte for byte, on every platform.
 * Events come out in non-decreasing `@timestamp` order. Multi-event stories (attacks and their
 * benign look-alikes) are planned first, so the planted list is known before streaming starts;
 * background noise then fills the stream up to exactly `events` documents.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { backgroundEvent } from './background.js';
import { formatMicros, parseMicros } from './clock.js';
import { makeFleet, type Host } from './hosts.js';
import { lineRenderer, type DemoFormat } from './formats.js';
import { Rng } from './prng.js';
import { FILE_SHARE_RULE_ID, ScenarioBuilder, writerOf, type PlantedAttack, type ScenarioRecord, type Writer } from './scenarios.js';

export type { PlantedAttack, ScenarioRecord } from './scenarios.js';
export { FILE_SHARE_RULE_ID } from './scenarios.js';

export interface GenerateOptions {
  events: number;
  hosts: number;
  seed: number;
  /** ISO time of the first event; default 2026-03-02T08:00:00Z. */
  start?: string;
  /** Plant the attacks (default true). */
  attacks?: boolean;
  /** The JSON shape written by writeNdjson (default `defend`; see demo/formats.ts). */
  format?: DemoFormat;
}

export interface Generated {
  events: Iterable<Record<string, unknown>>;
  /** The same events as NDJSON lines (no newline), cheaper than serialising `events`. */
  lines: Iterable<string>;
  planted: PlantedAttack[];
  /** Every story placed on the timeline (attacks and benign look-alikes), for tests and docs. */
  scenarios: ScenarioRecord[];
}

export const DEFAULT_START = '2026-03-02T08:00:00.000000Z';

/** An address outside the fleet (an attacker's machine on the VPN). */
const ROGUE_WRITER: Writer = { ip: '172.16.40.23', user: 'svc_backup', domain: 'CORP' };

/** Extra planted attacks for large runs: one per this many events (hosts ≥ 12). */
export const EVENTS_PER_EXTRA_ATTACK = 100_000;

export function generateEvents(opts: GenerateOptions): Generated {
  const total = Math.max(0, Math.floor(opts.events));
  const hostCount = Math.max(1, Math.floor(opts.hosts));
  const startUs = parseMicros(opts.start ?? DEFAULT_START);
  const hosts = makeFleet(hostCount, opts.seed >>> 0);
  const plan = new Rng((opts.seed ^ 0x5eed5eed) >>> 0);
  const spanUs = Math.min(24 * 3600e6, Math.max(600e6, (total / hostCount) * 2e6));

  const builder = new ScenarioBuilder(plan.fork(1));
  planScenarios(builder, plan, hosts, total, startUs, spanUs, opts.attacks !== false);
  // A tiny run cannot hold every story: drop whole ones, benign first (attacks were planned first).
  builder.fitTo(total);
  const pending = builder.pending;
  pending.sort((a, b) => a.t - b.t);

  const planted: PlantedAttack[] = builder.records
    .filter((r) => r.malicious)
    .map((r) => ({ ruleId: FILE_SHARE_RULE_ID, kind: r.kind, host: r.host, path: r.path, writerIp: r.writerIp, time: r.time }));

  const background = total - pending.length;
  const meanGap = spanUs / Math.max(1, background);
  const seed = opts.seed >>> 0;

  function* lines(): Generator<string> {
    const rng = new Rng((seed ^ 0xbac6) >>> 0);
    let clock = startUs;
    let next = 0;
    for (let i = 0; i < background; i++) {
      // Uniform gaps (mean = meanGap): only exactly-rounded IEEE operations, no Math.log whose last
      // bit could differ between engines, so the stream is the same everywhere.
      clock += Math.floor(rng.float() * 2 * meanGap);
      while (next < pending.length && pending[next]!.t <= clock) yield pending[next++]!.render();
      const host = hosts[rng.int(hostCount)]!;
      yield backgroundEvent(host, formatMicros(clock));
    }
    while (next < pending.length) yield pending[next++]!.render();
  }
  function* objects(): Generator<Record<string, unknown>> {
    for (const line of lines()) yield JSON.parse(line) as Record<string, unknown>;
  }

  return { events: { [Symbol.iterator]: objects }, lines: { [Symbol.iterator]: lines }, planted, scenarios: builder.records };
}

function planScenarios(b: ScenarioBuilder, rng: Rng, hosts: Host[], total: number, startUs: number, spanUs: number, attacks: boolean): void {
  const servers = hosts.filter((h) => h.role === 'server');
  const workstations = hosts.filter((h) => h.role === 'workstation');
  const mgmt = servers.find((h) => h.name.startsWith('srv-mgmt')) ?? servers[0]!;
  const deployer = writerOf(mgmt, 'svc-deploy');
  const at = (lo: number, hi: number): number => startUs + Math.floor(spanUs * (lo + rng.float() * (hi - lo)));
  const others = (not: Host): Host[] => (hosts.length > 1 ? hosts.filter((h) => h !== not) : hosts);

  if (attacks && total >= 40) {
    const extra = hosts.length >= 12 ? Math.floor(total / EVENTS_PER_EXTRA_ATTACK) : 0;
    const count = 2 + extra;
    // Attacks get their own slots of the timeline and rotate over shuffled targets. They form a
    // chain: Impacket from a machine outside the fleet onto the first target, then each next
    // hop (PsExec, Impacket, …) comes from the host taken just before.
    const targets = shuffle(rng, hosts.slice());
    const slot = 0.85 / count;
    let previous: Host | null = null;
    for (let i = 0; i < count; i++) {
      const target = targets[i % targets.length]!;
      const t = at(0.05 + slot * i, 0.05 + slot * i + slot * 0.5);
      const writer = previous && previous !== target ? writerOf(previous, 'adm-jdoe') : ROGUE_WRITER;
      if (i % 2 === 0) b.impacket(target, t, writer);
      else b.psexec(target, t, writer);
      previous = target;
    }
  }
  if (total < 200) {
    if (total >= 60) b.trustedDeployment(rng.pick(others(mgmt)), at(0.3, 0.6), deployer, 'crowdstrike');
    return;
  }
  const scale = (per: number, min: number): number => Math.max(min, Math.floor(total / per));
  for (let i = 0; i < scale(10_000, 2); i++) b.trustedDeployment(rng.pick(others(mgmt)), at(0.02, 0.95), deployer, i % 2 === 0 ? 'crowdstrike' : 'veeam');
  for (let i = 0; i < scale(25_000, 1); i++) b.sccmPush(rng.pick(others(mgmt)), at(0.02, 0.95), writerOf(mgmt, 'svc-sccm-push'));
  for (let i = 0; i < scale(8_000, 2); i++) {
    const h = rng.pick(hosts);
    b.windowsUpdate(h, at(0.02, 0.95), i % 2 === 1 ? writerOf(rng.pick(others(h)), 'SYSTEM') : null);
  }
  const admins = ['adm-jdoe', 'adm-mrossi', 'helpdesk01'];
  for (let i = 0; i < scale(3_000, 3); i++) {
    const h = rng.pick(hosts);
    b.benignShareWrite(h, at(0.02, 0.95), writerOf(rng.pick(others(h)), rng.pick(admins)));
  }
  for (let i = 0; i < scale(6_000, 2); i++) {
    const h = rng.pick(hosts);
    b.adminScript(h, at(0.02, 0.95), writerOf(mgmt === h ? rng.pick(others(h)) : mgmt, rng.pick(admins)));
  }
  for (let i = 0; i < scale(20_000, 1); i++) {
    const h = rng.pick(workstations.length ? workstations : hosts);
    b.lateExecution(h, at(0.02, 0.7), writerOf(rng.pick(others(h)), rng.pick(admins)));
  }
  if (hosts.length >= 2) {
    for (let i = 0; i < scale(40_000, 1); i++) {
      const a = rng.pick(hosts);
      b.crossHost(a, rng.pick(others(a)), at(0.02, 0.95), writerOf(mgmt, 'svc-deploy'));
    }
  }
}

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export interface WriteResult {
  events: number;
  bytes: number;
  planted: PlantedAttack[];
}

/** Write the generated events as NDJSON to `outPath` (`-`: stdout); `onProgress` is called every ~4 MB. */
export async function writeNdjson(opts: GenerateOptions, outPath: string, onProgress?: (events: number, bytes: number) => void): Promise<WriteResult> {
  const { lines, planted } = generateEvents(opts);
  const toStdout = outPath === '-';
  const out: Writable = toStdout ? process.stdout : createWriteStream(outPath);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  const CHUNK = 1 << 18;
  let count = 0;
  let bytes = 0;
  let buf = Buffer.allocUnsafe(CHUNK);
  let used = 0;
  const flush = async (): Promise<void> => {
    const full = buf.subarray(0, used);
    buf = Buffer.allocUnsafe(CHUNK);
    bytes += used;
    used = 0;
    // Keep generating while the file system writes (up to 16 MB queued), instead of pausing at
    // every chunk for the stream's small default high-water mark.
    if (!out.write(full) && out.writableLength >= 16 << 20) await Promise.race([once(out, 'drain'), failed]);
    onProgress?.(count, bytes);
  };
  const render = lineRenderer(opts.format ?? 'defend');
  for (const defend of lines) {
    const line = render(defend);
    if (line === null) continue;
    // A UTF-16 unit takes at most 3 bytes in UTF-8.
    if (used + line.length * 3 + 1 > CHUNK) {
      await flush();
      if (line.length * 3 + 1 > CHUNK) buf = Buffer.allocUnsafe(line.length * 3 + 1);
    }
    // Generated text is ASCII by construction (a test checks), so latin1 is UTF-8 and cheaper.
    // (Other formats are rendered from the same ASCII text.)
    used += buf.write(line, used, 'latin1');
    buf[used++] = 10;
    count++;
  }
  if (used > 0) await flush();
  if (!toStdout) {
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  }
  return { events: count, bytes, planted };
}
