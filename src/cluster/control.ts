/**
 * Cluster-wide settings every detector node follows (docs/scale-out.md "Rule switches and intel"):
 *
 *  - **rule switches**: `POST /api/rules/{id}/enabled` on an ingest node (admin scope) stores the
 *    switch in that node's serve store (as single-node serve does) and writes the set of rules
 *    switched off to KV `spoor-control` key `rules` (compare-and-set, so two admins on two ingest
 *    nodes cannot lose each other's change). Detector nodes poll the key (one get per tick) and
 *    rebuild their detectors without the rules switched off: those raise nothing and hold no
 *    state; the others keep theirs (Detector.adoptState, as serve's reload).
 *  - **rule catalog**: each detector node writes the rules it loaded (id, name, severity, kind,
 *    source) to the object `catalog` when it differs, so an ingest node can list them and refuse
 *    unknown ids without loading rules itself.
 *  - **intel**: an ingest node started with `--intel FILE|DIR` loads the feeds (serve's
 *    IntelFeeds: file checks, SIGHUP-free reload) and writes the hash index to the object
 *    `intel`; detector nodes poll its digest and, when it changed, load it and enrich every alert
 *    before publishing it (alert/intel.ts: the same enrichment and severity raise as single-node).
 *
 * Polling, not KV/object watches: a watch is an ordered consumer, which stalls for good when its
 * NATS server dies (nats.ts orderedRead); a get is a plain request with a timeout.
 */
import type { Rule } from '../ir/types.js';
import { HashIndex, type IntelEntry } from '../intel/index.js';
import type { Bus, Kv, Objects } from './nats.js';
import { CLUSTER } from './subjects.js';

export interface RuleSwitches {
  v: 1;
  /** Rules switched off: id → who and when. A rule not listed is on. */
  disabled: Record<string, { by: string; atMs: number }>;
}

export interface CatalogRule {
  id: string;
  name: string;
  severity: string;
  kind: string;
  source?: string;
}

const RULES_KEY = 'rules';
const CATALOG = 'catalog';
const INTEL = 'intel';

/** The hash index as text: one JSON line `[hash, entries]` per hash. */
export function serializeIndex(ix: HashIndex): string {
  const out: string[] = [];
  for (const [h, entries] of ix.entries()) out.push(JSON.stringify([h, entries]));
  return out.join('\n');
}

export function parseIndex(text: string): HashIndex {
  const ix = new HashIndex();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [h, entries] = JSON.parse(line) as [string, IntelEntry[]];
    for (const e of entries) ix.add(h, e);
  }
  return ix;
}

export class ControlPlane {
  private constructor(
    private readonly kv: Kv,
    private readonly objects: Objects,
  ) {}

  static async open(bus: Bus, replicas = 1): Promise<ControlPlane> {
    return new ControlPlane(await bus.kv(CLUSTER.controlBucket, undefined, replicas), await bus.objects(CLUSTER.objectBucket, replicas));
  }

  /** The rule switches and the KV revision they were read at (0: never written). */
  async switches(): Promise<{ value: RuleSwitches; revision: number }> {
    const e = await this.kv.get(RULES_KEY);
    if (!e) return { value: { v: 1, disabled: {} }, revision: 0 };
    const v = JSON.parse(e.value) as RuleSwitches;
    return { value: { v: 1, disabled: v.disabled ?? {} }, revision: e.revision };
  }

  /** Switch one rule (compare-and-set; retried when another writer got in between). */
  async setRuleEnabled(id: string, enabled: boolean, by: string): Promise<RuleSwitches> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.switches();
      const next: RuleSwitches = { v: 1, disabled: { ...cur.value.disabled } };
      if (enabled) delete next.disabled[id];
      else next.disabled[id] = { by, atMs: Date.now() };
      try {
        if (cur.revision === 0) await this.kv.create(RULES_KEY, JSON.stringify(next));
        else await this.kv.update(RULES_KEY, JSON.stringify(next), cur.revision);
        return next;
      } catch (e) {
        if (attempt >= 5) throw e;
      }
    }
  }

  /** Write the whole set when the bucket has none yet (an ingest node's persisted switches after a NATS reset). */
  async seedSwitches(disabled: RuleSwitches['disabled']): Promise<boolean> {
    if ((await this.switches()).revision !== 0 || Object.keys(disabled).length === 0) return false;
    try {
      await this.kv.create(RULES_KEY, JSON.stringify({ v: 1, disabled } satisfies RuleSwitches));
      return true;
    } catch {
      return false; // another node seeded it first
    }
  }

  async publishCatalog(rules: Rule[]): Promise<void> {
    const list: CatalogRule[] = rules.map((r) => ({ id: r.id, name: r.name, severity: r.severity, kind: r.query.kind, ...(r.source ? { source: r.source } : {}) }));
    list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const text = JSON.stringify(list);
    const have = await this.objects.get(CATALOG).catch(() => null);
    if (have !== text) await this.objects.put(CATALOG, text);
  }

  async catalog(): Promise<CatalogRule[] | null> {
    const t = await this.objects.get(CATALOG);
    return t === null ? null : (JSON.parse(t) as CatalogRule[]);
  }

  async publishIntel(ix: HashIndex): Promise<string> {
    return this.objects.put(INTEL, serializeIndex(ix));
  }

  intelDigest(): Promise<string | null> {
    return this.objects.digest(INTEL);
  }

  async intel(): Promise<HashIndex | null> {
    const t = await this.objects.get(INTEL);
    return t === null ? null : parseIndex(t);
  }
}

/** A detector node's view of the settings, refreshed by `poll()`. */
export class ControlWatch {
  disabled: ReadonlySet<string> = new Set();
  intel: HashIndex | null = null;
  private revision = -1;
  private digest: string | null = null;

  constructor(private readonly plane: ControlPlane) {}

  /** Re-read what changed; says which parts did. */
  async poll(): Promise<{ rules: boolean; intel: boolean }> {
    const out = { rules: false, intel: false };
    const sw = await this.plane.switches();
    if (sw.revision !== this.revision) {
      this.revision = sw.revision;
      const next = new Set(Object.keys(sw.value.disabled));
      out.rules = next.size !== this.disabled.size || [...next].some((id) => !this.disabled.has(id));
      this.disabled = next;
    }
    const d = await this.plane.intelDigest();
    if (d !== this.digest) {
      this.intel = d === null ? null : await this.plane.intel();
      this.digest = d;
      out.intel = true;
    }
    return out;
  }
}
