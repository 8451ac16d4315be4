/**
 * Summary statistics of a cell graph, written into the manifest so users can
 * judge a dataset before downloading it.
 */
import { invalidParameter } from '../errors.ts';
import type { CsrMatrix } from '../matrix/csr.ts';

export interface GraphStats {
  readonly nodes: number;
  /** Undirected edges: a pair counts once whichever directions are stored; self-loops excluded. */
  readonly edges: number;
  readonly meanDegree: number;
  readonly medianDegree: number;
  /** Connected components, isolated cells included (each is its own component). */
  readonly components: number;
  /** Cells with no edge to another cell. */
  readonly isolated: number;
  /** Share of edges joining two cells of the same label, over edges with both ends labelled. */
  readonly homophily: number | null;
  /** Per class: the same share over labelled edges with at least one end in that class. */
  readonly homophilyPerClass: Readonly<Record<string, number | null>>;
}

/**
 * Statistics of the undirected graph behind `adj` (an entry in either
 * direction is an edge). With `labels` (codes, -1 unlabelled; optional names
 * for the per-class keys) it also reports edge homophily.
 */
export function graphStats(
  adj: CsrMatrix,
  labels?: { readonly codes: Int32Array; readonly names?: readonly string[] },
): GraphStats {
  const n = adj.nRows;
  if (adj.nCols !== n) {
    throw invalidParameter('adjacency', `must be square, got ${n} × ${adj.nCols}`);
  }
  if (labels && labels.codes.length !== n) {
    throw invalidParameter('labels', `has ${labels.codes.length} codes for ${n} cells`);
  }
  const [ea, eb] = undirectedEdges(adj);
  const degree = new Int32Array(n);
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  let components = n;
  for (let e = 0; e < ea.length; e++) {
    degree[ea[e]]++;
    degree[eb[e]]++;
    const ra = find(ea[e]);
    const rb = find(eb[e]);
    if (ra !== rb) {
      parent[Math.max(ra, rb)] = Math.min(ra, rb);
      components--;
    }
  }
  const sorted = Int32Array.from(degree).sort();
  const median =
    n === 0 ? 0 : n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {
    nodes: n,
    edges: ea.length,
    meanDegree: n === 0 ? 0 : (2 * ea.length) / n,
    medianDegree: median,
    components,
    isolated: degree.filter((d) => d === 0).length,
    ...homophily(ea, eb, labels),
  };
}

/** Each unordered pair {i, j}, i ≠ j, once: from i < j entries and from i > j ones lacking a mirror. */
function undirectedEdges(adj: CsrMatrix): [Int32Array, Int32Array] {
  // At most one edge per stored entry.
  const a = new Int32Array(adj.indptr[adj.nRows]);
  const b = new Int32Array(adj.indptr[adj.nRows]);
  let e = 0;
  for (let i = 0; i < adj.nRows; i++) {
    for (let p = adj.indptr[i]; p < adj.indptr[i + 1]; p++) {
      const j = adj.indices[p];
      if (j === i || (j < i && hasEntry(adj, j, i))) continue;
      a[e] = Math.min(i, j);
      b[e++] = Math.max(i, j);
    }
  }
  return [a.subarray(0, e), b.subarray(0, e)];
}

function hasEntry(adj: CsrMatrix, row: number, col: number): boolean {
  let lo = adj.indptr[row];
  let hi = adj.indptr[row + 1];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (adj.indices[mid] < col) lo = mid + 1;
    else hi = mid;
  }
  return lo < adj.indptr[row + 1] && adj.indices[lo] === col;
}

function homophily(
  a: Int32Array,
  b: Int32Array,
  labels?: { readonly codes: Int32Array; readonly names?: readonly string[] },
): Pick<GraphStats, 'homophily' | 'homophilyPerClass'> {
  if (!labels) return { homophily: null, homophilyPerClass: {} };
  const { codes, names } = labels;
  let nClasses = names?.length ?? 0;
  for (const c of codes) nClasses = Math.max(nClasses, c + 1);
  const touching = new Float64Array(nClasses);
  const same = new Float64Array(nClasses);
  let labelled = 0;
  let sameAll = 0;
  for (let e = 0; e < a.length; e++) {
    const ca = codes[a[e]];
    const cb = codes[b[e]];
    if (ca < 0 || cb < 0) continue;
    labelled++;
    touching[ca]++;
    if (ca === cb) {
      sameAll++;
      same[ca]++;
    } else {
      touching[cb]++;
    }
  }
  const perClass: Record<string, number | null> = {};
  for (let c = 0; c < nClasses; c++) {
    perClass[names?.[c] ?? String(c)] = touching[c] ? same[c] / touching[c] : null;
  }
  return { homophily: labelled ? sameAll / labelled : null, homophilyPerClass: perClass };
}
