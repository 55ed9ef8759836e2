/**
 * Aho–Corasick automaton: every needle of one field found in one pass over the field's text.
 *
 * Hand-written for the hot path (a Sigma rule set puts thousands of `contains`/`startswith`/
 * `endswith` needles on CommandLine, Image, TargetFilename…): scanning is one pass whatever the
 * number of needles. Characters are first mapped to a compressed alphabet (ASCII through a
 * 128-entry table, other code units through a Map: rare in needles); a character that occurs in
 * no needle leads straight back to the root. Nodes are numbered breadth first; the shallowest
 * (up to DENSE_ENTRIES table entries) have a dense DFA row over the ASCII classes (one table load
 * per character); deeper nodes and non-ASCII characters follow the sparse children (flat CSR
 * arrays) and fail links, whose targets are shallower, down to a dense row. A dense DFA over every
 * class would not fit: Sigma's CommandLine needles (windash and homoglyph variants) use ~1,300
 * distinct characters over ~35k nodes; and dense ASCII rows for every node cost ~36 MB per hunt
 * thread for SigmaHQ's rules (most nodes lie past depth 8, on one needle's path, where a text
 * rarely goes: the sparse step there is one child compared).
 */

/** Dense rows are kept for the first (shallowest) nodes, up to this many table entries (×4 bytes), at least MIN_DENSE_NODES. */
const DENSE_ENTRIES = 1 << 17;
const MIN_DENSE_NODES = 64;

/** One needle's outputs: reported as (payload, end index) when found. */
export interface Needle {
  text: string;
  payload: number;
}

export class AhoCorasick {
  private readonly ascii = new Uint16Array(128);
  /** As `ascii`, with A–Z sharing the class of a–z (needles are lower-case). */
  private readonly asciiFolded = new Uint16Array(128);
  private readonly wide = new Map<number, number>();
  private readonly classes: number;
  /** Classes 0..asciiClasses-1 are ASCII (0: in no needle); the rest are other code units. */
  private readonly asciiClasses: number;
  /**
   * Full transitions on ASCII classes of the nodes below denseNodes: dense[node * asciiClasses +
   * cls] is the target node, complemented when it reports needles.
   */
  private readonly dense: Int32Array;
  private readonly denseNodes: number;
  /** The root's full row: rootNext[cls] = child, or 0. */
  private readonly rootNext: Int32Array;
  /** Children of node n: childCls/childNode[childStart[n] .. childStart[n+1]) (CSR, sparse). */
  private readonly childStart: Int32Array;
  private readonly childCls: Int32Array;
  private readonly childNode: Int32Array;
  private readonly fail: Int32Array;
  /** Payloads of the needles ending at each node: [outStart[n], outStart[n+1]). */
  private readonly outStart: Int32Array;
  private readonly outPayload: Int32Array;
  private readonly outLength: Int32Array;
  /** The nearest node on n's fail chain with needles of its own, or -1. */
  private readonly dict: Int32Array;
  readonly nodeCount: number;

  /** `denseEntries`: the dense table's budget (tests take it small to exercise the sparse steps). */
  constructor(needles: readonly Needle[], denseEntries = DENSE_ENTRIES) {
    // ASCII classes first (1..asciiClasses-1), so the dense table covers exactly them.
    let cls = 1;
    for (const n of needles) {
      for (let i = 0; i < n.text.length; i++) {
        const c = n.text.charCodeAt(i);
        if (c < 128 && this.ascii[c] === 0) this.ascii[c] = cls++;
      }
    }
    this.asciiClasses = cls;
    for (const n of needles) {
      for (let i = 0; i < n.text.length; i++) {
        const c = n.text.charCodeAt(i);
        if (c >= 128 && !this.wide.has(c)) this.wide.set(c, cls++);
      }
    }
    this.classes = cls;
    for (let c = 0; c < 128; c++) this.asciiFolded[c] = this.ascii[c >= 65 && c <= 90 ? c + 32 : c]!;
    // Trie, built from the needles in sorted order: a needle shares the nodes of its longest
    // common prefix with the previous one (no per-node maps).
    const sorted = needles.map((n, i) => i).sort((x, y) => (needles[x]!.text < needles[y]!.text ? -1 : needles[x]!.text > needles[y]!.text ? 1 : 0));
    const parentOf: number[] = [0];
    const clsOf: number[] = [0];
    const ownNode: number[] = new Array<number>(needles.length);
    const path: number[] = [0];
    let prev = '';
    for (const ni of sorted) {
      const text = needles[ni]!.text;
      let lcp = 0;
      const max = Math.min(prev.length, text.length);
      while (lcp < max && prev.charCodeAt(lcp) === text.charCodeAt(lcp)) lcp++;
      for (let i = lcp; i < text.length; i++) {
        const node = parentOf.length;
        parentOf.push(path[i]!);
        clsOf.push(this.classOf(text.charCodeAt(i)));
        path[i + 1] = node;
      }
      ownNode[ni] = path[text.length]!;
      prev = text;
    }
    const count = parentOf.length;
    this.nodeCount = count;
    // Breadth-first numbering (a parent is created before its children, so depths are final in
    // one pass): the shallow nodes, which get dense rows, come first.
    {
      const depth = new Int32Array(count);
      let maxDepth = 0;
      for (let v = 1; v < count; v++) {
        depth[v] = depth[parentOf[v]!]! + 1;
        if (depth[v]! > maxDepth) maxDepth = depth[v]!;
      }
      const at = new Int32Array(maxDepth + 2);
      for (let v = 0; v < count; v++) at[depth[v]! + 1]!++;
      for (let d = 0; d <= maxDepth; d++) at[d + 1]! += at[d]!;
      const id = new Int32Array(count);
      for (let v = 0; v < count; v++) id[v] = at[depth[v]!]!++;
      const p2 = new Array<number>(count);
      const c2 = new Array<number>(count);
      for (let v = 0; v < count; v++) {
        p2[id[v]!] = v === 0 ? 0 : id[parentOf[v]!]!;
        c2[id[v]!] = clsOf[v]!;
      }
      for (let v = 0; v < count; v++) {
        parentOf[v] = p2[v]!;
        clsOf[v] = c2[v]!;
      }
      for (let i = 0; i < ownNode.length; i++) ownNode[i] = id[ownNode[i]!]!;
    }
    // CSR children, grouped by parent (counting sort).
    const childStart = new Int32Array(count + 1);
    for (let v = 1; v < count; v++) childStart[parentOf[v]! + 1]!++;
    for (let i = 0; i < count; i++) childStart[i + 1]! += childStart[i]!;
    const fill = childStart.slice(0, count);
    const childCls = new Int32Array(Math.max(0, count - 1));
    const childNode = new Int32Array(Math.max(0, count - 1));
    for (let v = 1; v < count; v++) {
      const at = fill[parentOf[v]!]!++;
      childCls[at] = clsOf[v]!;
      childNode[at] = v;
    }
    this.childStart = childStart;
    this.childCls = childCls;
    this.childNode = childNode;
    const rootNext = new Int32Array(cls);
    for (let j = childStart[0]!; j < childStart[1]!; j++) rootNext[childCls[j]!] = childNode[j]!;
    this.rootNext = rootNext;
    // Fail links, breadth first (a node's fail target is shallower, so already final).
    const fail = new Int32Array(count);
    const order: number[] = [];
    for (let j = childStart[0]!; j < childStart[1]!; j++) order.push(childNode[j]!);
    for (let q = 0; q < order.length; q++) {
      const node = order[q]!;
      for (let j = childStart[node]!; j < childStart[node + 1]!; j++) {
        const child = childNode[j]!;
        const k = childCls[j]!;
        let f = fail[node]!;
        let target = 0;
        for (;;) {
          const t = f === 0 ? rootNext[k]! : this.child(f, k);
          if (t > 0 && t !== child) {
            target = t;
            break;
          }
          if (f === 0) break;
          f = fail[f]!;
        }
        fail[child] = target;
        order.push(child);
      }
    }
    this.fail = fail;
    // Outputs: each node's own needles (CSR), and a dictionary link to the nearest node on its
    // fail chain that has needles of its own (so hits along the chain are found without copies).
    const outStart = new Int32Array(count + 1);
    for (let i = 0; i < needles.length; i++) outStart[ownNode[i]! + 1]!++;
    for (let i = 0; i < count; i++) outStart[i + 1]! += outStart[i]!;
    const outFill = outStart.slice(0, count);
    const outPayload = new Int32Array(needles.length);
    const outLength = new Int32Array(needles.length);
    for (let i = 0; i < needles.length; i++) {
      const at = outFill[ownNode[i]!]!++;
      outPayload[at] = needles[i]!.payload;
      outLength[at] = needles[i]!.text.length;
    }
    const dict = new Int32Array(count).fill(-1);
    for (const node of order) {
      const f = fail[node]!;
      dict[node] = f !== 0 && outStart[f] !== outStart[f + 1] ? f : dict[f]!;
    }
    this.outStart = outStart;
    this.outPayload = outPayload;
    this.outLength = outLength;
    this.dict = dict;
    // Dense ASCII rows of the first D nodes (BFS order: a node's fail target is shallower, so
    // its row is complete before the node's own; and a node below D has its fail target below D).
    const A = this.asciiClasses;
    const D = Math.min(count, Math.max(denseEntries === DENSE_ENTRIES ? MIN_DENSE_NODES : 1, Math.floor(denseEntries / A)));
    this.denseNodes = D;
    const dense = new Int32Array(D * A);
    for (let k = 1; k < A; k++) dense[k] = rootNext[k]!;
    for (const node of order) {
      if (node >= D) continue;
      const row = node * A;
      const frow = fail[node]! * A;
      dense.copyWithin(row + 1, frow + 1, frow + A);
      for (let j = childStart[node]!; j < childStart[node + 1]!; j++) if (childCls[j]! < A) dense[row + childCls[j]!] = childNode[j]!;
    }
    // Encode: complemented when the target reports needles.
    for (let i = 0; i < dense.length; i++) if (this.reports(dense[i]!)) dense[i] = ~dense[i]!;
    this.dense = dense;
  }

  private classOf(c: number): number {
    return c < 128 ? this.ascii[c]! : (this.wide.get(c) ?? 0);
  }

  /** The child of `node` on class `k`, or 0. */
  private child(node: number, k: number): number {
    const end = this.childStart[node + 1]!;
    for (let j = this.childStart[node]!; j < end; j++) if (this.childCls[j] === k) return this.childNode[j]!;
    return 0;
  }

  /** Calls `hit(payload, start, end)` for every occurrence of every needle in `text`. */
  scan(text: string, hit: (payload: number, start: number, end: number) => void): void {
    this.run(text, hit, false);
  }

  /**
   * As `scan` on `text.toLowerCase()`, without building it when `text` is ASCII (A–Z fold to
   * a–z in the class table). On the first non-ASCII code unit it gives up and returns false: the
   * caller scans the lower-cased text instead (`toLowerCase` of non-ASCII text is not per code
   * unit). Occurrences reported before giving up are occurrences in the lower-cased text too.
   */
  scanFoldingAscii(text: string, hit: (payload: number, start: number, end: number) => void): boolean {
    return this.run(text, hit, true);
  }

  private run(text: string, hit: (payload: number, start: number, end: number) => void, fold: boolean): boolean {
    const ascii = fold ? this.asciiFolded : this.ascii;
    const dense = this.dense;
    const A = this.asciiClasses;
    const D = this.denseNodes;
    let node = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 128) {
        // t: the target node, complemented (negative) when it reports needles.
        const t = node < D ? dense[node * A + ascii[c]!]! : this.deepStep(node, ascii[c]!);
        if (t >= 0) node = t;
        else {
          node = ~t;
          this.report(node, i + 1, hit);
        }
        continue;
      }
      if (fold) return false;
      node = this.wideStep(node, c);
      if (this.reports(node)) this.report(node, i + 1, hit);
    }
    return true;
  }

  /** The transition of a node without a dense row on ASCII class `k`, encoded as a dense entry. */
  private deepStep(node: number, k: number): number {
    if (k === 0) return 0;
    for (;;) {
      const next = this.child(node, k);
      if (next !== 0) return this.reports(next) ? ~next : next;
      node = this.fail[node]!;
      if (node < this.denseNodes) return this.dense[node * this.asciiClasses + k]!;
    }
  }

  private reports(node: number): boolean {
    return this.outStart[node] !== this.outStart[node + 1] || this.dict[node] !== -1;
  }

  private report(node: number, end: number, hit: (payload: number, start: number, end: number) => void): void {
    for (let n = node; n !== -1; n = this.dict[n]!) {
      const b = this.outStart[n + 1]!;
      for (let j = this.outStart[n]!; j < b; j++) hit(this.outPayload[j]!, end - this.outLength[j]!, end);
    }
  }

  /** The transition on a non-ASCII code unit: sparse children and fail links. */
  private wideStep(node: number, c: number): number {
    const k = this.wide.get(c) ?? 0;
    if (k === 0) return 0;
    for (;;) {
      if (node === 0) return this.rootNext[k]!;
      const next = this.child(node, k);
      if (next !== 0) return next;
      node = this.fail[node]!;
    }
  }
}
