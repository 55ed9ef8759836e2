/**
 * A partition lease in a JetStream KV bucket whose entries expire after the TTL.
 *
 * acquire = `create` (fails while another node's entry lives); renew = `update` with the revision
 * we last wrote (compare-and-set: fails once the entry expired or someone else wrote it); release
 * = delete at our revision. Fencing: a holder treats the lease as valid only until
 * `sentAt + ttl − margin`, where `sentAt` is when the last successful write was *sent* — earlier
 * than the server stored it, so the holder always stops before the server lets the entry expire
 * and a peer's `create` can succeed. A partition is therefore never processed by two nodes at
 * once (given clocks that run at the same rate; no synchronized clocks needed).
 */
import type { Kv } from './nats.js';

export class Lease {
  revision = 0;
  private validUntil = 0;
  lost = false;

  constructor(
    private readonly kv: Kv,
    readonly key: string,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly marginMs: number = Math.max(200, Math.floor(ttlMs / 5)),
  ) {}

  /** True while this node may still act on the partition. */
  valid(now: number = Date.now()): boolean {
    return !this.lost && now < this.validUntil;
  }

  async acquire(): Promise<boolean> {
    const sent = Date.now();
    try {
      this.revision = await this.kv.create(this.key, this.owner);
    } catch {
      return false;
    }
    this.validUntil = sent + this.ttlMs - this.marginMs;
    this.lost = false;
    return true;
  }

  /** Compare-and-set renewal; false (and the lease is lost for good) when it failed. */
  async renew(): Promise<boolean> {
    if (this.lost) return false;
    const sent = Date.now();
    try {
      this.revision = await this.kv.update(this.key, this.owner, this.revision);
      this.validUntil = sent + this.ttlMs - this.marginMs;
      return true;
    } catch (e) {
      // A CAS failure means someone else wrote (or the entry expired): lost for good. A timeout
      // leaves the lease valid until validUntil; the next renewal decides.
      if (/wrong last sequence|expected|10071/i.test((e as Error).message)) this.lost = true;
      else if (Date.now() >= this.validUntil) this.lost = true;
      return !this.lost && Date.now() < this.validUntil;
    }
  }

  async release(): Promise<void> {
    const wasValid = this.valid();
    this.lost = true;
    this.validUntil = 0;
    if (!wasValid) return;
    await this.kv.delete(this.key, this.revision).catch(() => undefined);
  }
}
