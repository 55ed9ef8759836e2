/**
 * The long fault suite for `spoor serve` (not part of npm test; .ci/run runs it):
 *
 *   node dist/test/serve/faults-long.js [--events 1000000] [--kills 10] [--senders 4]
 *
 * Replays the demo generator's Elastic Defend NDJSON (≥ 1M events by default, planted attacks of
 * known count) through `_bulk` from several concurrent senders (each owns a share of the hosts, as
 * one agent per host would, and retries a batch until it is acknowledged), while the server is
 * killed with SIGKILL and restarted at random points. Then checks: every planted attack alerted
 * exactly once, no duplicate alert, every acknowledged event present in the log.
 * Exit 0 on success, 1 on a failed check (printed), 2 on a setup error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEvents, FILE_SHARE_RULE_ID } from '../../src/demo/generate.js';
import { openDb } from '../../src/serve/store/db.js';
import { storedSeqRanges } from '../../src/serve/store/log-rows.js';
import { bulkBody, kill9, spawnServe, type Child } from './client.js';
import { numOption } from '../../bench/args.js';


if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(
    'usage: node dist/test/serve/faults-long.js [--events 1000000] [--kills 10] [--senders 4] [--batch 1000] [--seed 99]\n' +
      'Replays generated Defend events through _bulk while SIGKILLing and restarting spoor serve; checks every planted\n' +
      'attack is alerted exactly once, no duplicate alert, no acknowledged event missing. Exit 0 ok, 1 failed check, 2 setup error.\n',
  );
  process.exit(0);
}

const EVENTS = numOption('events', 1_000_000);
const KILLS = numOption('kills', 10);
const SENDERS = numOption('senders', 4);
const BATCH = numOption('batch', 1000);
const SEED = numOption('seed', 99);

const log = (m: string): void => void process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'spoor-faults-'));
  const args = ['--allowed-lateness', '2000', '--fsync', 'commit'];
  let server: Child = await spawnServe(dir, args);
  const token = server.tokens.find((t) => t.scope === 'ingest')!.token;
  let generation = 0; // bumped at each restart
  let restarting: Promise<void> | null = null;
  const g = generateEvents({ events: EVENTS, hosts: 200, seed: SEED });
  const planted = g.planted.filter((p) => p.ruleId === FILE_SHARE_RULE_ID);
  log(`${EVENTS} events, ${planted.length} planted file-share attacks, ${SENDERS} senders, ${KILLS} kills; data in ${dir}`);

  const acked: number[] = [];
  let ackedLines = 0;
  let retries = 0;
  const queues: string[][] = Array.from({ length: SENDERS }, () => []);
  let produced = false;
  const hostRe = /"host":\{"id":"([^"]+)"/;
  const hostIdx = (line: string): number => {
    const m = hostRe.exec(line);
    let h = 0;
    for (const c of m?.[1] ?? '') h = (h * 31 + c.charCodeAt(0)) >>> 0;
    return h % SENDERS;
  };

  const producer = (async () => {
    for (const line of g.lines) {
      const q = queues[hostIdx(line)]!;
      q.push(line);
      while (queues.some((x) => x.length > BATCH * 20)) await sleep(5);
    }
    produced = true;
  })();

  const sendBatch = async (lines: string[]): Promise<void> => {
    const body = bulkBody(lines);
    for (;;) {
      if (restarting) await restarting;
      const url = server.url;
      try {
        const r = await fetch(`${url}/_bulk`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' } });
        const text = await r.text();
        if (r.status === 200) {
          const j = JSON.parse(text) as { items: { create: { status: number; _seq_no: number } }[] };
          if (j.items.length === lines.length && j.items.every((i) => i.create.status === 201)) {
            for (const i of j.items) acked.push(i.create._seq_no);
            ackedLines += lines.length;
            return;
          }
        }
      } catch {
        /* killed mid-request: retry */
      }
      retries++;
      await sleep(50);
    }
  };

  const senders = queues.map(async (q) => {
    for (;;) {
      if (q.length === 0) {
        if (produced) return;
        await sleep(5);
        continue;
      }
      await sendBatch(q.splice(0, BATCH));
    }
  });

  // Kill points spread over the replay: after random numbers of acknowledged lines, plus a random
  // delay so a kill can land anywhere (mid-request, mid-commit, mid-detection, mid-checkpoint).
  const points = Array.from({ length: KILLS }, () => Math.floor(Math.random() * EVENTS * 0.95)).sort((a, b) => a - b);
  const killer = (async () => {
    for (let k = 0; k < KILLS; k++) {
      while (ackedLines < points[k]!) await sleep(20);
      await sleep(Math.random() * 300);
      let done!: () => void;
      restarting = new Promise((r) => (done = r));
      await kill9(server);
      generation++;
      log(`kill ${k + 1}/${KILLS} at ${ackedLines} acknowledged lines`);
      server = await spawnServe(dir, args);
      restarting = null;
      done();
    }
  })();

  await Promise.all([producer, ...senders, killer]);
  log(`all ${ackedLines} lines acknowledged (${retries} retried requests); waiting for detection`);
  const end = Date.now() + 300_000;
  for (;;) {
    const h = (await (await fetch(`${server.url}/api/health`)).json()) as { lag: number };
    if (h.lag === 0) break;
    if (Date.now() > end) {
      log(`detection lag still ${h.lag}`);
      break;
    }
    await sleep(500);
  }
  await sleep(3000); // idle hosts' buffers flush after the allowed lateness
  await kill9(server);

  const db = openDb(join(dir, 'spoor.db'));
  const failures: string[] = [];
  try {
    const seqs = new Set<number>();
    for (const [a, b] of storedSeqRanges(db)) for (let q = a; q <= b; q++) seqs.add(q);
    const missing = acked.filter((s) => !seqs.has(s));
    if (missing.length > 0) failures.push(`${missing.length} acknowledged events missing from the log (first seqs ${missing.slice(0, 5).join(', ')})`);
    if (ackedLines < EVENTS) failures.push(`only ${ackedLines} of ${EVENTS} lines acknowledged`);
    const alerts = db.prepare('SELECT id, rule_id, host, file_path FROM alerts WHERE rule_id = ?').all(FILE_SHARE_RULE_ID) as { id: string; host: string; file_path: string }[];
    const byAttack = new Map<string, number>();
    for (const a of alerts) {
      const k = `${a.host.toLowerCase()} ${a.file_path.toLowerCase()}`;
      byAttack.set(k, (byAttack.get(k) ?? 0) + 1);
    }
    for (const p of planted) {
      const k = `${p.host.toLowerCase()} ${p.path.toLowerCase()}`;
      const n = byAttack.get(k) ?? 0;
      if (n !== 1) failures.push(`planted attack ${k} alerted ${n} times`);
    }
    if (alerts.length !== planted.length) failures.push(`${alerts.length} file-share alerts for ${planted.length} planted attacks`);
    const cp = db.prepare("SELECT stats FROM checkpoints WHERE name = 'detect'").get() as { stats: string } | undefined;
    const restores = cp ? ((JSON.parse(cp.stats) as { snapshotRestores?: number }).snapshotRestores ?? 0) : 0;
    log(`log holds ${seqs.size} events (${seqs.size - acked.length} duplicates from retried requests); ${alerts.length} file-share alerts for ${planted.length} planted; ${generation} restarts, ${restores} resumed from checkpointed engine state`);
  } finally {
    db.close();
  }
  if (failures.length > 0) {
    for (const f of failures) log(`FAIL: ${f}`);
    log(`data kept in ${dir}`);
    return 1;
  }
  rmSync(dir, { recursive: true, force: true });
  log('OK: every planted attack exactly once, no acknowledged event missing, no duplicate alert');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    log(`setup error: ${e.stack ?? e.message}`);
    process.exit(2);
  },
);
