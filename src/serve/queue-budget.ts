/**
 * The byte side of ingest back-pressure (docs/serve.md "Back-pressure and memory"): what ingest
 * holds in memory is the bodies of requests admitted and not yet answered (being read, scanned,
 * waiting for their group commit) and the committed documents waiting for the detection thread
 * (DetectLoop.queuedBytes). A request is admitted only while that sum plus its body's estimate
 * stays within the limit; the estimate is counted from admission (so requests arriving together
 * cannot all pass before any of them is read) and replaced by the body's real size once read.
 * A lone request larger than the limit is still admitted when nothing else is held, so no
 * request is refused forever.
 */
export interface Admission {
  /** The body's real size, once read (decompressed). */
  resize(bytes: number): void;
  /** The request is answered: its body is no longer held. */
  release(): void;
}

export class QueueBudget {
  private admitted = 0;
  /** Requests admitted and not yet released. */
  requests = 0;
  /** When a request was last refused (ms since the epoch; 0: never). */
  refusedMs = 0;

  constructor(
    readonly limit: number,
    /** Bytes held downstream of the requests (committed documents waiting for detection). */
    private readonly downstream: () => number,
  ) {}

  /** Whether a request was refused within the last `ms`. */
  refusing(ms = 1000): boolean {
    return Date.now() - this.refusedMs < ms;
  }

  /** Bytes held now: admitted bodies plus what waits downstream. */
  get bytes(): number {
    return this.admitted + this.downstream();
  }

  /** Admit a body estimated at `bytes`, or null when the budget is spent. */
  admit(bytes: number): Admission | null {
    const now = this.bytes;
    if (now > 0 && now + bytes > this.limit) {
      this.refusedMs = Date.now();
      return null;
    }
    this.admitted += bytes;
    this.requests++;
    let held = bytes;
    let open = true;
    return {
      resize: (n) => {
        if (!open) return;
        this.admitted += n - held;
        held = n;
      },
      release: () => {
        if (!open) return;
        open = false;
        this.admitted -= held;
        this.requests--;
      },
    };
  }
}
