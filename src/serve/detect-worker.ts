/**
 * serve's detection thread. The main thread (detect-loop.ts) keeps HTTP, the per-host reorder
 * buffer and the checkpoints; this thread parses each committed event once from the raw document
 * the log holds and runs the rules (hunt/detector.ts, as `hunt` does):
 *
 * - on arrival (`arrive`, seq order): single-event rules (no state, so order does not matter),
 *   so their alerts do not wait for the reorder buffer's watermark;
 * - on release (`release`, per-host time order behind the watermark): sequences, correlations,
 *   pipes and lineage rules. The parsed event waits here between the two messages.
 *
 * Every message is answered, in order, with the alerts it produced; the loop treats a message's
 * events as possibly unprocessed until its answer is in (its checkpoints replay them).
 *
 * Only events some stateful rule can use wait for their release: the stateful rules' line filter
 * (hunt/prefilter.ts, exact for ECS sequences such as the built-in pack's) decides from the text.
 * The others are counted for the blind-spot telemetry at arrival and dropped, so the thread does
 * not keep ~85% of the parsed events of the watermark window alive (old-generation garbage, RSS).
 *
 * Events only a sequence's joining stages can use (the filter's DEFER, as in `hunt`: no
 * single-event rule and no first stage wants them; with the built-in pack, every process event
 * but a few) wait unparsed, as their text: on release the stateful detector's join gate
 * (hunt/join-gate.ts, Detector.resolve) parses one only when some sequence holds a partial it can
 * join — rarely. An event not parsed is counted for the blind spots by its telemetry key, as the
 * events no rule can use. Events of a host whose name the telemetry has not seen yet are parsed
 * as before, so the blind-spot report names the same hosts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { NeedleHits } from '../sources/ndjson.js';
import { indexOfAnchored } from '../sources/search.js';
import type { Rule } from '../ir/types.js';
import type { Instant } from '../events/timestamp.js';
import type { SourceEvent } from '../sources/types.js';
import type { Alert } from '../alert/types.js';
import { CompiledRuleSet, Detector, isStateless } from '../hunt/detector.js';
import { mergeTelemetry, type CompiledNeeds, type TelemetryCounts } from '../hunt/telemetry.js';
import { forEachExpr } from '../ir/walk.js';
import { TELEMETRY_KEY_FIELDS } from './scan-doc.js';
import { parseStored, STREAM_FILE } from './ingest-parse.js';
import { F_PLAIN } from './ingest-batch.js';
import { isKeyed, ruleLineFilters } from '../hunt/prefilter.js';
import { DEFER, PARSE, SKIP, type DeferredLine, type LineDecision, type LineFilter } from '../sources/index.js';
import { getField } from '../events/field.js';
import { eventHost, toEcs, toNative } from '../normalize/index.js';
import { ownThreadId } from './thread-cpu.js';
import type { DetectReply, DetectTelemetry, DetectWorkerData, ToDetect, WorkerSnapshot } from './detect-protocol.js';

interface Held {
  se: SourceEvent;
  time: Instant;
}

/** An event held unparsed for the stateful rules (see the header): its text in `se.deferred`. */
interface Deferred extends Held {
  /** Its telemetry key and host (KeyTally). */
  key: string;
  host: string;
  /** The rules it was deferred under (a reload in between: parsed on release, as a held event). */
  built: Built;
  flags: number;
}

interface Built {
  instant: Detector | null;
  ordered: Detector | null;
  /** Which events the stateful rules can use (null: all of them; the filter cannot be exact for these rules). */
  orderedFilter: LineFilter | null;
  /**
   * Which events any rule can use (hunt's line filter over every rule), when the events no rule
   * can use may be counted for the blind spots by their telemetry key instead of being parsed
   * (both detectors' needs keyable: `skipInstant` / `skipOrdered` non-null for each detector
   * present); else null and every event is parsed.
   */
  allFilter: LineFilter | null;
  skipInstant: KeyTally | null;
  skipOrdered: KeyTally | null;
  /**
   * Events only the stateful rules' joining stages can use may wait unparsed (see the header):
   * both filters and the key tallies are there, and the stateful detector's join gate decides.
   */
  defer: boolean;
  /** Hosts (eventHost) whose name both detectors' telemetry has seen (only their events are deferred). */
  named: Set<string>;
}

const KEY_PATHS = new Set(TELEMETRY_KEY_FIELDS.map((p) => p.join('.')));

/**
 * Blind-spot counts of events no rule can use, by their telemetry key (ScannedDoc.tkey) instead
 * of a parse: the needs a key meets are found once, by parsing the first event with that key and
 * testing the needs on its ECS view as TelemetryTally does; later events with the key add to the
 * same needs. Exact because the needs read only the key's fields (else `keyTally` gives null).
 */
class KeyTally {
  private readonly memo = new Map<string, Int32Array>();
  private readonly hosts = new Map<string, { events: number; byNeed: Int32Array }>();
  constructor(private readonly needs: CompiledNeeds) {}

  /** Has the key been learned (count would count it)? */
  knows(key: string): boolean {
    return this.memo.has(key);
  }

  /** Count an event whose key is known; false when it must be parsed (key not seen yet). */
  count(key: string, host: string): boolean {
    const met = this.memo.get(key);
    if (met === undefined) return false;
    this.add(host, met);
    return true;
  }

  /** Count a parsed event (first of its key) and remember the needs its key meets. */
  learn(key: string, host: string, ecs: Record<string, unknown>): void {
    this.add(host, this.remember(key, ecs));
  }

  /** Remember the needs a parsed event's key meets, not counting it (a detector counts it). */
  note(key: string, ecs: Record<string, unknown>): void {
    if (!this.memo.has(key)) this.remember(key, ecs);
  }

  private remember(key: string, ecs: Record<string, unknown>): Int32Array {
    const n = this.needs;
    const met: number[] = [];
    for (const x of n.ecsAny) if (x.test(ecs)) met.push(x.index);
    for (const cat of categoriesOf(ecs)) {
      const l = n.ecsByCategory.get(cat);
      if (l) for (const x of l) if (x.test(ecs)) met.push(x.index);
    }
    const m = Int32Array.from(met);
    if (this.memo.size >= 65_536) this.memo.clear();
    this.memo.set(key, m);
    return m;
  }

  private add(host: string, met: Int32Array): void {
    let rec = this.hosts.get(host);
    if (!rec) this.hosts.set(host, (rec = { events: 0, byNeed: new Int32Array(this.needs.groups) }));
    rec.events++;
    for (let i = 0; i < met.length; i++) rec.byNeed[met[i]!]!++;
  }

  counts(): TelemetryCounts {
    const hosts: Record<string, number> = {};
    const groups = Array.from({ length: this.needs.groups }, () => ({ byHost: {} as Record<string, number>, unparsed: 0 }));
    for (const [h, rec] of this.hosts) {
      hosts[h] = rec.events;
      for (let g = 0; g < rec.byNeed.length; g++) if (rec.byNeed[g]! > 0) groups[g]!.byHost[h] = rec.byNeed[g]!;
    }
    return { hosts, groupOf: this.needs.groupOf, groups };
  }
}

/** A KeyTally for these needs, or null when some need reads more than the telemetry key holds (native needs, other fields, functions). */
function keyTally(needs: CompiledNeeds): KeyTally | null {
  if (needs.nativeAny.length > 0 || needs.nativeByEventId.size > 0) return null;
  for (const need of needs.needs) {
    if (need.view === 'native') return null;
    if (!need.condition) continue;
    let ok = true;
    forEachExpr(need.condition, (e) => {
      if (e.kind === 'field' && !KEY_PATHS.has(e.path.join('.'))) ok = false;
      else if (e.kind === 'call' || e.kind === 'lineage' || e.kind === 'keyword') ok = false;
    });
    if (!ok) return null;
  }
  return new KeyTally(needs);
}

function build(rules: Rule[]): Built {
  const single = rules.filter(isStateless);
  const stateful = rules.filter((r) => !isStateless(r));
  const singleSet = single.length > 0 ? new CompiledRuleSet(single) : null;
  const statefulSet = stateful.length > 0 ? new CompiledRuleSet(stateful) : null;
  const orderedFilter = statefulSet ? (ruleLineFilters(stateful, 0)?.main() ?? null) : null;
  const skipInstant = singleSet ? keyTally(singleSet.needs) : null;
  const skipOrdered = statefulSet ? keyTally(statefulSet.needs) : null;
  const keyable = (!singleSet || skipInstant !== null) && (!statefulSet || skipOrdered !== null);
  const allFilter = !keyable || rules.length === 0 ? null : singleSet ? (ruleLineFilters(rules, 0)?.main() ?? null) : orderedFilter;
  const ordered = statefulSet ? new Detector(statefulSet, { contextEvents: 0 }) : null;
  const defer = ordered !== null && orderedFilter !== null && allFilter !== null && skipOrdered !== null;
  if (defer) {
    // A deferred event the join gate leaves unparsed is counted by its key (exactly as parsed
    // would count it), not by the tally's own guess from its categories.
    ordered.telemetry.observeUnparsed = () => {};
  }
  return {
    instant: singleSet ? new Detector(singleSet, { contextEvents: 0 }) : null,
    ordered,
    orderedFilter,
    allFilter,
    skipInstant,
    skipOrdered,
    defer,
    named: new Set(),
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}

const NO_CATS: string[] = [];
function categoriesOf(ecs: Record<string, unknown>): readonly string[] {
  const ev = ecs['event'] as Record<string, unknown> | undefined;
  const c = ev?.['category'] ?? ecs['event.category'];
  if (typeof c === 'string') return [c];
  return Array.isArray(c) ? (c as string[]) : NO_CATS;
}

/** An event no stateful rule can use: counted for their blind spots as the detector would count it, not held. */
function observeOnly(d: Detector, se: SourceEvent): void {
  const ecs = toEcs(se.event);
  d.telemetry.observe(ecs, categoriesOf(ecs), () => toNative(se.event), eventHost(se.event));
}

const count = (d: { instant: Detector | null; ordered: Detector | null }): number => (d.instant?.ruleCount ?? 0) + (d.ordered?.ruleCount ?? 0);

const data = workerData as DetectWorkerData;
let det = build(data.rules);
let restored: boolean | undefined;
let restoreNote: string | undefined;
if (data.snapshot !== undefined) {
  // Resume from the checkpoint's engine state. Anything short of the same rule set restored in
  // full falls back to empty detectors: the loop then replays from the checkpoint's replay_from.
  try {
    const snap = JSON.parse(data.snapshot) as WorkerSnapshot;
    if (snap.format !== 'spoor.serve-detect') throw new Error(`not a serve detection snapshot (${String(snap.format)})`);
    for (const [name, d, s] of [['instant', det.instant, snap.instant], ['ordered', det.ordered, snap.ordered]] as const) {
      if (!d) {
        if (s !== null) throw new Error(`the snapshot has ${name} state, the rules have none`);
        continue;
      }
      if (s === null) throw new Error(`the snapshot has no ${name} state`);
      const r = d.importState(s);
      if (!r.sameRules || r.dropped.length > 0) throw new Error(`rules changed since the snapshot (${r.dropped.length} rule states dropped)`);
    }
    restored = true;
  } catch (e) {
    det = build(data.rules);
    restored = false;
    restoreNote = (e as Error).message;
  }
}
const held = new Map<number, Held>();
const port = parentPort!;
let telemetrySentAt = 0;
let telemetryTimer: NodeJS.Timeout | null = null;
/** A detector's counts plus those of the events counted by key for it. */
function tally(d: Detector | null, k: KeyTally | null): TelemetryCounts | null {
  if (!d) return null;
  const c = d.telemetry.counts();
  if (k) mergeTelemetry(c, k.counts());
  return c;
}
const telemetryNow = (): DetectTelemetry => ({ instant: tally(det.instant, det.skipInstant), ordered: tally(det.ordered, det.skipOrdered) });

function push(d: Detector, h: Held, seq: number, problems: string[]): void {
  try {
    d.push(h.se, h.time, false);
  } catch (e) {
    problems.push(`detection failed on event ${seq}: ${(e as Error).message}`);
  }
}

const hello: DetectReply = { id: 0, alerts: [], problems: [], unreadable: [], ruleCount: count(det), stateKept: 0, tid: ownThreadId() };
if (restored !== undefined) hello.restored = restored;
if (restoreNote !== undefined) hello.restoreNote = restoreNote;
// Alerts a snapshot carried (produced, not yet taken when it was saved) come out now.
if (restored) for (const d of [det.instant, det.ordered]) if (d) collect(d, hello.alerts);
port.postMessage(hello);

port.on('message', (m: ToDetect) => {
  const t0 = performance.now();
  const problems: string[] = [];
  const unreadable: number[] = [];
  const reply: DetectReply = { id: m.id, alerts: [], problems, unreadable };
  if (m.t === 'arrive') {
    const b = det;
    const { instant, ordered, orderedFilter, allFilter, skipInstant, skipOrdered } = b;
    const ascii = m.ascii === true;
    const bytes = typeof m.raws === 'string' ? null : Buffer.from(m.raws.buffer, m.raws.byteOffset, m.raws.byteLength);
    const text = bytes === null ? (m.raws as string) : bytes.toString(ascii ? 'latin1' : 'utf8');
    const raws = text.split('\n');
    const n = m.flags.length;
    const tkeys = allFilter ? decodeRaws(m.tkeys, false).split('\n') : null;
    // Lines without a telemetry key are decided by their text: searched one by one when few.
    let unkeyed = n;
    if (tkeys) {
      unkeyed = 0;
      for (let i = 0; i < n; i++) if ((tkeys[i] ?? '') === '') unkeyed++;
    }
    const keyedFilters = allFilter !== null && isKeyed(allFilter) && (orderedFilter === null || isKeyed(orderedFilter));
    const hits = new MessageHits(text, keyedFilters && unkeyed * 8 < n);
    const ms = m.ms;
    const ns = m.ns;
    const deferOk = b.defer && ms !== undefined && ns !== undefined;
    let deferred = 0;
    let lineStart = 0;
    for (let i = 0; i < n; i++) {
      const seq = m.seqs ? m.seqs[i]! : m.seq0 + i;
      const raw = raws[i] ?? '';
      const start = lineStart;
      lineStart += raw.length + 1;
      // No rule can use it: count it for the blind spots by its telemetry key, unparsed.
      let learn: string | null = null;
      let learnInstant = false;
      let learnOrdered = false;
      let host = '';
      let noteKey: string | null = null;
      let keyed = false;
      if (allFilter) {
        const key = tkeys![i] ?? '';
        // The key holds event.category and event.code as written: the filters need not look for them.
        keyed = key !== '' && readKey(key);
        const d = keyed ? decide(allFilter, hits, raw, start, true) : PARSE;
        if (d === SKIP) {
          host = m.hosts[m.hostIx[i]!]!;
          learnInstant = skipInstant !== null && !skipInstant.count(key, host);
          learnOrdered = skipOrdered !== null && !skipOrdered.count(key, host);
          if (!learnInstant && !learnOrdered) continue;
          learn = key; // first event of this key: parsed once below
        } else if (d === DEFER && deferOk) {
          // Only a sequence's joining stages can use it: held unparsed when its key and host are known.
          host = m.hosts[m.hostIx[i]!]!;
          noteKey = key; // parsed below: the needs its key meets are remembered
          if (b.named.has(host) && skipOrdered!.knows(key) && (skipInstant === null || skipInstant.knows(key))) {
            const od = decide(orderedFilter!, hits, raw, start, true);
            if (od === SKIP) {
              skipInstant?.count(key, host);
              skipOrdered!.count(key, host);
              continue;
            }
            if (od === DEFER && orderedFilter!.deferredIds === undefined && orderedFilter!.deferredTimeOf === undefined) {
              const own = ownText(raw, bytes, ascii, start);
              if (own !== null) {
                skipInstant?.count(key, host);
                const time: Instant = { ms: ms![i]!, ns: ns![i]! };
                const dl: DeferredLine = { text: own, time, categories: orderedFilter!.deferredCategories ?? [], numbered: false, host };
                const h: Deferred = { se: { event: {}, file: STREAM_FILE, position: seq, deferred: dl }, time, key, host, built: b, flags: m.flags[i]! };
                held.set(seq, h);
                deferred++;
                continue;
              }
            }
          }
        }
      }
      const ev = parseStored(raw, seq, (m.flags[i]! & F_PLAIN) !== 0);
      if (!ev) {
        unreadable.push(seq);
        continue;
      }
      if (learn !== null) {
        const ecs = toEcs(ev.se.event);
        if (learnInstant) skipInstant!.learn(learn, host, ecs);
        if (learnOrdered) skipOrdered!.learn(learn, host, ecs);
        continue;
      }
      if (b.defer) noteName(b, ev.se);
      if (noteKey !== null) {
        const ecs = toEcs(ev.se.event);
        skipInstant?.note(noteKey, ecs);
        skipOrdered!.note(noteKey, ecs);
      }
      const t = m.times?.[i];
      const h: Held = { se: ev.se, time: t ? { ms: t[0], ns: t[1] } : (ev.time ?? { ms: Date.now(), ns: 0 }) };
      if (instant) push(instant, h, seq, problems);
      if (ordered) {
        if (orderedFilter && decide(orderedFilter, hits, raw, start, keyed && readKey(tkeys![i]!)) === SKIP) observeOnly(ordered, ev.se);
        else held.set(seq, h);
      }
    }
    if (deferred > 0) reply.deferred = deferred;
    if (instant) collect(instant, reply.alerts);
  } else if (m.t === 'release') {
    const { ordered } = det;
    let parsed = 0;
    for (const seq of m.seqs) {
      const h = held.get(seq);
      if (!h) continue;
      held.delete(seq);
      if (!ordered) continue;
      if (h.se.deferred === undefined) push(ordered, h, seq, problems);
      else if (release(ordered, h as Deferred, seq, problems, unreadable)) parsed++;
    }
    if (parsed > 0) reply.deferredParsed = parsed;
    if (ordered && m.wm !== undefined) ordered.setWatermark(m.wm ? { ms: m.wm[0], ns: m.wm[1] } : null);
    if (ordered) collect(ordered, reply.alerts);
  } else if (m.t === 'snapshot') {
    try {
      const snap: WorkerSnapshot = { format: 'spoor.serve-detect', instant: det.instant?.exportState() ?? null, ordered: det.ordered?.exportState() ?? null };
      reply.snapshot = JSON.stringify(snap);
    } catch (e) {
      reply.snapshot = null;
      problems.push(`engine state export failed (the checkpoint falls back to replay): ${(e as Error).message}`);
    }
  } else if (m.t === 'crash') {
    throw new Error('detection thread crash requested (fault injection)');
  } else {
    const next = build(m.rules);
    const kept = next.ordered && det.ordered ? next.ordered.adoptState(det.ordered) : 0;
    det = next;
    if (!det.ordered) held.clear();
    reply.ruleCount = count(det);
    reply.stateKept = kept;
  }
  const now = performance.now();
  if (m.t === 'reload' || now - telemetrySentAt >= 250) {
    telemetrySentAt = now;
    reply.telemetry = telemetryNow();
    const hs = getHeapStatistics();
    reply.heapUsed = hs.used_heap_size;
    reply.heapTotal = hs.total_heap_size;
  } else if (!telemetryTimer) {
    // A trailing report, so the last batch's counts reach the loop even if no message follows.
    telemetryTimer = setTimeout(() => {
      telemetryTimer = null;
      telemetrySentAt = performance.now();
      port.postMessage({ id: -1, alerts: [], problems: [], unreadable: [], telemetry: telemetryNow(), heapUsed: getHeapStatistics().used_heap_size, heapTotal: getHeapStatistics().total_heap_size } satisfies DetectReply);
    }, 250);
    telemetryTimer.unref();
  }
  if (process.env.SPOOR_DEBUG) process.stderr.write(`${m.t} ${m.t === 'arrive' ? m.flags.length : m.t === 'release' ? m.seqs.length : 0} ${(performance.now() - t0).toFixed(1)}ms\n`);
  port.postMessage(reply);
});

/**
 * A deferred event on its release: the stateful detector's join gate parses it when some
 * sequence's partial can use it (then it runs as any event; true), else it is counted for the
 * blind spots by its key. An event deferred under rules since reloaded is parsed and run.
 */
function release(ordered: Detector, h: Deferred, seq: number, problems: string[], unreadable: number[]): boolean {
  const parseNow = (): Held | null => {
    const ev = parseStored(h.se.deferred!.text, seq, (h.flags & F_PLAIN) !== 0);
    if (!ev) unreadable.push(seq);
    return ev ? { se: ev.se, time: h.time } : null;
  };
  if (h.built !== det) {
    const p = parseNow();
    if (p) push(ordered, p, seq, problems);
    return false;
  }
  let failed = false;
  let use: boolean;
  try {
    use = ordered.resolve(h.se, false, () => (failed = true));
  } catch (e) {
    problems.push(`detection failed on event ${seq}: ${(e as Error).message}`);
    return false;
  }
  if (failed) {
    // Not parsed as the reader parses (nested too deep for it): parsed as every stored event is.
    const p = parseNow();
    if (p) push(ordered, p, seq, problems);
    return false;
  }
  if (!use) {
    if (!det.skipOrdered!.count(h.key, h.host)) {
      // Its key was forgotten meanwhile (KeyTally's memo is bounded): counted from the parsed event.
      const p = parseNow();
      if (p) observeOnly(ordered, p.se);
    }
    return false;
  }
  push(ordered, h, seq, problems);
  return true;
}

/** The event.category and event.code of the key readKey read last (JSON text as written; '\u0002': absent). */
let keyCategory = '';
let keyCode = '';

/** Read event.category and event.code from a telemetry key (ScannedDoc.tkey: its fields joined by \u0001, category first, code third); false when it has not those parts. */
function readKey(key: string): boolean {
  const a = key.indexOf('\u0001');
  const b = a < 0 ? -1 : key.indexOf('\u0001', a + 1);
  const c = b < 0 ? -1 : key.indexOf('\u0001', b + 1);
  if (c < 0) return false;
  keyCategory = key.slice(0, a);
  keyCode = key.slice(b + 1, c);
  return true;
}

/**
 * The filter's decision on a line: for a scanned document (`keyed`: readKey read its key) by its
 * key's event.category and event.code when the filter can (KeyedFilter), else from the text.
 */
function decide(f: LineFilter, hits: MessageHits, line: string, start: number, keyed: boolean): LineDecision {
  if (keyed && isKeyed(f)) return f.keepKeyed(line, hits.within(f.keyedNeedles, line, start), keyCategory, keyCode);
  return f.keep(line, hits.within(f.needles, line, start));
}

/**
 * Where the filters' needles occur in one message's lines, asked in order. With the built-in pack
 * scanned documents need none (KeyedFilter.keyedNeedles is empty); the others are searched line
 * by line when they are few (`sparse`), else each distinct needle list once over the whole text
 * (NeedleHits, when first asked).
 */
class MessageHits {
  private readonly lists: (readonly string[])[] = [];
  private readonly hits: NeedleHits[] = [];
  constructor(
    private readonly text: string,
    private readonly sparse: boolean,
  ) {}

  within(needles: readonly string[], line: string, start: number): number {
    if (needles.length === 0) return 0;
    if (this.sparse) {
      let found = 0;
      for (let k = 0; k < needles.length; k++) if (indexOfAnchored(line, needles[k]!, 0) >= 0) found |= 1 << k;
      return found;
    }
    let k = this.lists.indexOf(needles);
    if (k < 0) k = this.lists.findIndex((l) => sameList(l, needles));
    if (k < 0) {
      k = this.lists.length;
      this.lists.push(needles);
      this.hits.push(new NeedleHits(this.text, needles));
    }
    return this.hits[k]!.within(start, start + line.length);
  }
}

/** A parsed event's host has a name the telemetry records: its later events may be deferred. */
function noteName(b: Built, se: SourceEvent): void {
  const host = eventHost(se.event);
  if (host === null || b.named.has(host)) return;
  const ecs = toEcs(se.event);
  const name = getField(ecs, HOST_NAME) ?? getField(ecs, HOST_HOSTNAME);
  if (typeof name === 'string' && name !== '') b.named.add(host);
}
const HOST_NAME = ['host', 'name'];
const HOST_HOSTNAME = ['host', 'hostname'];

/**
 * The text of a document held unparsed, not a slice of the message's text (which would keep all
 * of it alive): copied from the bytes when they are its characters (ASCII), else re-made from
 * its UTF-8; null when that does not give the same text back.
 */
function ownText(raw: string, bytes: Buffer | null, ascii: boolean, start: number): string | null {
  if (bytes !== null && ascii) return bytes.toString('latin1', start, start + raw.length);
  const own = Buffer.from(raw, 'utf8').toString('utf8');
  return own === raw ? own : null;
}

/** An arrive message's documents (or keys) as one string: bytes from the commit's shared buffer are decoded here, once per message. */
function decodeRaws(r: string | Uint8Array, ascii: boolean): string {
  if (typeof r === 'string') return r;
  return Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString(ascii ? 'latin1' : 'utf8');
}

function collect(d: Detector, out: Alert[]): void {
  const got = d.takeAlerts();
  for (const a of got) out.push(a);
}
