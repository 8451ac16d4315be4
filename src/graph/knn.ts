/**
 * k-nearest-neighbour search in an embedding (PCA space), the first step of
 * the expression graph. Conventions follow scanpy: each cell is its own
 * neighbour #1, so k = 15 gives 14 other cells; distances are Euclidean.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from 'node:worker_threads';
import hnswlib from 'hnswlib-node';
import { invalidParameter } from '../errors.ts';
import type { DenseMatrix } from '../matrix/csr.ts';
import { Random } from '../matrix/random.ts';
import {
  allocate,
  type BlockKernel,
  equalRowBounds,
  inSharedMemory,
  isShared,
  ROW_BLOCKS,
  runRowBlocks,
} from '../matrix/row-blocks.ts';

export type KnnMethod = 'auto' | 'exact' | 'hnsw';

export interface KnnOptions {
  /** Neighbours per cell, self included (default 15). */
  k?: number;
  /** 'auto' (default): exact below `exactThreshold` cells, HNSW at or above. */
  method?: KnnMethod;
  /** Cell count from which 'auto' switches to HNSW (default 5,000). */
  exactThreshold?: number;
  /** Seed for the HNSW level assignment and the coarse clustering that orders cells (default 0). */
  seed?: number;
  /** HNSW graph degree (default 24). */
  hnswM?: number;
  /** HNSW construction beam width (default 80). */
  efConstruction?: number;
  /**
   * HNSW query beam width (default 48 for parts of up to 100,000 cells, wider
   * for larger parts: `defaultEfSearch`).
   */
  efSearch?: number;
  /**
   * HNSW: cells, in locality order, are dealt into this many parts; each part gets
   * its own index, every cell is searched in every part and the k best of the
   * union are kept (default 2). Parts build in parallel, and two half-size
   * searches find more true neighbours than one full-size search for the same work.
   */
  hnswParts?: number;
  /**
   * Threads building and searching parts at once (default: available cores, at
   * most `hnswParts`). The result does not depend on it.
   */
  threads?: number;
  /** Called now and then with the number of cells done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface KnnResult {
  readonly k: number;
  /** Row-major n × k neighbour indices; column 0 is the cell itself. */
  readonly indices: Int32Array;
  /** Row-major n × k Euclidean distances, ascending per row (column 0 is 0). */
  readonly distances: Float32Array;
  /** The method actually used (never 'auto'). */
  readonly method: 'exact' | 'hnsw';
  /** HNSW parameters when the method was 'hnsw'. */
  readonly params?: {
    readonly m: number;
    readonly efConstruction: number;
    readonly ef: number;
    readonly parts: number;
  };
}

/*
 * Chosen with bench/knn-candidates.ts on the clustered synthetic data's 50-d PCA
 * (../shared/bench, 20 clusters), recall@15 vs exact on 2,000 cells, wall (and CPU)
 * seconds with 2 threads on a shared 2-core machine (M:efC:ef:parts), 2026-12-04:
 *   200k: 24:80:48:2 0.964 in 17.7-20.5 s (33-37 CPU s); 20:80:48:2 0.961 in 17.8 s;
 *         12:100:72:2 0.961 in 21.5 s; 12:100:48:4 (the earlier default) 0.961 in 25.6 s
 *         (46 CPU s); 32:80:48:2 0.976 in 20.4 s; 20:64:48:2 0.951 in 16.0 s;
 *         24:64:40:2 0.941 in 15.6 s. One index, 12:100:ef:1 (one thread): ef 48
 *         0.893 in 24.7 s, ef 96 0.951 in 32 s, ef 160 0.977 in 42 s.
 *   Runs of one setting differ by up to 15 % in seconds on this machine.
 *   1M cells (two parts of 500,000): 24:80:48:2 0.888 in 181 s of a whole build;
 *   12:100:48:4 was 0.872 in 223 s. Recall falls with part size at a fixed beam,
 *   so the default beam widens with it (defaultEfSearch): 0.938 in 249 s at ef 107.
 *   Earlier (2026-12-03): index order instead of locality order, 12:64:64:2, 0.911 in
 *   ~100 CPU s; asking each part for its 8 best instead of 15 with a narrower beam
 *   dropped recall to 0.922 or 0.886; a neighbour-of-neighbour round after the search
 *   (NN-descent's local join, in JS) took ~17 s at 200k for +0.011 recall.
 *   usearch 2.26.2 (one index, input order, 12:100:48, one thread adding): 0.883 in
 *   57 CPU s, no faster than hnswlib for the recall.
 * A wider graph (M 24) buys more recall per second than a wider beam or more parts;
 * two parts build in parallel on two cores. The reference (pynndescent) measured
 * 0.916 in 17.5 s there. Exact search is O(n²·d): 0.4 s at 2,000 cells, 1.9 s at
 * 5,000, 9.4 s at 10,000, so 'auto' keeps exact results up to where they stay cheap.
 */
export const KNN_DEFAULTS = {
  k: 15,
  exactThreshold: 5000,
  hnswM: 24,
  efConstruction: 80,
  efSearch: 48,
  hnswParts: 2,
} as const;

/** Part size up to which the default beam is KNN_DEFAULTS.efSearch. */
const EF_PART_CELLS = 100_000;
/** The widest default beam. */
const EF_MAX = 256;

/**
 * The default HNSW query beam for parts of `partCells` cells: 48 up to
 * 100,000, then growing with the square root of the part size (107 for the
 * 500,000-cell parts of 1M cells), capped at 256. Recall at a fixed beam falls
 * as parts grow: 1M cells in two parts measured 0.888 at ef 48, 0.932 at 96,
 * 0.936 at 107, 0.942 at 128 (kNN 181, 249, 293 and 279 s: noisy), against
 * 0.964 at 200k with ef 48.
 */
export function defaultEfSearch(partCells: number): number {
  const scale = Math.sqrt(Math.max(1, partCells / EF_PART_CELLS));
  return Math.min(EF_MAX, Math.round(KNN_DEFAULTS.efSearch * scale));
}

const require = createRequire(import.meta.url);

/**
 * k nearest neighbours of every row of `points`, self first, each row sorted
 * by (distance, index) so ties resolve to the lower index.
 *
 * Exact search is a blocked brute force in float64. HNSW (hnswlib): cells are
 * ordered by a seeded coarse clustering (for cache locality) and dealt into
 * `hnswParts` parts; each part inserts its cells one at a time in that order with
 * a fixed seed, so every index, and the graph, is the same on every run whatever
 * the thread count. Distances of the merged candidates are recomputed in float64.
 *
 * @example knn(pca, { k: 15 }) // exact below 5,000 cells, HNSW above
 */
export function knn(points: DenseMatrix, options: KnnOptions = {}): KnnResult {
  const k = options.k ?? KNN_DEFAULTS.k;
  const n = points.nRows;
  const dim = points.nCols;
  if (!Number.isInteger(k) || k < 1) {
    throw invalidParameter('k', `must be a positive integer, got ${k}`);
  }
  if (k > n) {
    throw invalidParameter('k', `is ${k} but there are only ${n} cells (k counts the cell itself)`);
  }
  if (points.data.length !== n * dim) {
    throw invalidParameter('points', `data length ${points.data.length} is not ${n} × ${dim}`);
  }
  for (let i = 0; i < points.data.length; i++) {
    if (!Number.isFinite(points.data[i])) {
      const row = Math.floor(i / dim);
      throw invalidParameter('points', `row ${row} has a non-finite value (${points.data[i]})`);
    }
  }
  const method = options.method ?? 'auto';
  if (method !== 'auto' && method !== 'exact' && method !== 'hnsw') {
    throw invalidParameter('method', `must be 'auto', 'exact' or 'hnsw', got '${method}'`);
  }
  const threshold = options.exactThreshold ?? KNN_DEFAULTS.exactThreshold;
  const useExact = method === 'exact' || (method === 'auto' && n < threshold);
  // In shared memory when large, for the HNSW merge's worker threads.
  const x = allocate(Float64Array, points.data.length);
  x.set(points.data);
  if (useExact) return exactKnn(x, n, dim, k, options.onProgress);
  return hnswKnn(x, points.data, n, dim, k, options);
}

/** Query rows per block: their heaps and the candidate block stay in cache together. */
const QUERY_BLOCK = 64;
/** Candidate rows per block (~200 KB of float64 at 50 dims). */
const POINT_BLOCK = 512;

function exactKnn(
  x: Float64Array,
  n: number,
  dim: number,
  k: number,
  onProgress?: (done: number, total: number) => void,
): KnnResult {
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = i * dim; d < (i + 1) * dim; d++) s += x[d] * x[d];
    sq[i] = s;
  }
  const m = k - 1; // others per row; self is placed first afterwards
  const heapD = new Float64Array(QUERY_BLOCK * Math.max(m, 1));
  const heapI = new Int32Array(QUERY_BLOCK * Math.max(m, 1));
  const sizes = new Int32Array(QUERY_BLOCK);
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const scratchD = new Float64Array(Math.max(m, 1));
  const scratchI = new Int32Array(Math.max(m, 1));

  for (let q0 = 0; q0 < n; q0 += QUERY_BLOCK) {
    const q1 = Math.min(n, q0 + QUERY_BLOCK);
    sizes.fill(0);
    for (let p0 = 0; p0 < n; p0 += POINT_BLOCK) {
      const p1 = Math.min(n, p0 + POINT_BLOCK);
      for (let q = q0; q < q1; q++) {
        const h = (q - q0) * m;
        const qo = q * dim;
        const sqq = sq[q];
        for (let p = p0; p < p1; p++) {
          if (p === q) continue;
          const po = p * dim;
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += x[qo + d] * x[po + d];
          const d2 = sqq + sq[p] - 2 * dot;
          const b = q - q0;
          if (sizes[b] < m) {
            heapPush(heapD, heapI, h, sizes[b], d2, p);
            sizes[b]++;
          } else if (m > 0 && before(d2, p, heapD[h], heapI[h])) {
            heapReplaceTop(heapD, heapI, h, m, d2, p);
          }
        }
      }
    }
    for (let q = q0; q < q1; q++) {
      const h = (q - q0) * m;
      writeRow(x, dim, q, k, heapI.subarray(h, h + m), m, indices, distances, scratchD, scratchI);
    }
    onProgress?.(q1, n);
  }
  return { k, indices, distances, method: 'exact' };
}

/** Strict (distance, index) order: smaller distance first, then lower index. */
function before(d1: number, i1: number, d2: number, i2: number): boolean {
  return d1 < d2 || (d1 === d2 && i1 < i2);
}

// Max-heap on (distance, index) in a slice of shared arrays: the root is the
// worst of the current best, so most candidates are rejected by one compare.
function heapPush(
  hd: Float64Array,
  hi: Int32Array,
  base: number,
  size: number,
  d: number,
  i: number,
) {
  let c = size;
  while (c > 0) {
    const parent = (c - 1) >> 1;
    if (!before(hd[base + parent], hi[base + parent], d, i)) break;
    hd[base + c] = hd[base + parent];
    hi[base + c] = hi[base + parent];
    c = parent;
  }
  hd[base + c] = d;
  hi[base + c] = i;
}

function heapReplaceTop(
  hd: Float64Array,
  hi: Int32Array,
  base: number,
  size: number,
  d: number,
  i: number,
) {
  let c = 0;
  for (;;) {
    const l = 2 * c + 1;
    if (l >= size) break;
    const r = l + 1;
    let big = l;
    if (r < size && before(hd[base + l], hi[base + l], hd[base + r], hi[base + r])) big = r;
    if (!before(d, i, hd[base + big], hi[base + big])) break;
    hd[base + c] = hd[base + big];
    hi[base + c] = hi[base + big];
    c = big;
  }
  hd[base + c] = d;
  hi[base + c] = i;
}

/**
 * Writes row q: self first, then the k-1 best of `cand[0..count)` by (true float64
 * distance, index), using `scratchD`/`scratchI` (at least `count` long).
 * Recomputing from differences avoids the cancellation of the norm formula.
 * Candidates must not repeat and must not include q. Sent to the merge's
 * workers with `before` (runRowBlocks helpers), so it uses nothing else.
 */
function writeRow(
  x: Float64Array,
  dim: number,
  q: number,
  k: number,
  cand: ArrayLike<number>,
  count: number,
  indices: Int32Array,
  distances: Float32Array,
  scratchD: Float64Array,
  scratchI: Int32Array,
) {
  const qo = q * dim;
  // Insertion sort: count is at most a few dozen.
  for (let j = 0; j < count; j++) {
    const p = cand[j];
    const po = p * dim;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const diff = x[qo + d] - x[po + d];
      s += diff * diff;
    }
    let c = j;
    while (c > 0 && before(s, p, scratchD[c - 1], scratchI[c - 1])) {
      scratchD[c] = scratchD[c - 1];
      scratchI[c] = scratchI[c - 1];
      c--;
    }
    scratchD[c] = s;
    scratchI[c] = p;
  }
  indices[q * k] = q;
  distances[q * k] = 0;
  for (let j = 0; j < k - 1; j++) {
    indices[q * k + 1 + j] = scratchI[j];
    distances[q * k + 1 + j] = Math.sqrt(scratchD[j]);
  }
}

/**
 * The merge of the parts' candidates for rows order[first..last−1]: each
 * row's candidates (parts are disjoint, so they never repeat) go through
 * writeRow; a row with fewer than k − 1 (tiny or degenerate inputs) is
 * marked in `short` for an exact search instead. Runs in workers as is.
 */
const mergeRows: BlockKernel<{ dim: number; k: number; parts: number }> = (
  a,
  _block,
  first,
  last,
  params,
) => {
  const x = a.x as Float64Array;
  const { order, found, short } = a;
  const { dim, k, parts } = params;
  const width = parts * k;
  const cand = new Int32Array(width);
  const scratchD = new Float64Array(width);
  const scratchI = new Int32Array(width);
  for (let r = first; r < last; r++) {
    const i = order[r];
    let c = 0;
    for (let e = i * width; e < (i + 1) * width; e++) {
      const p = found[e];
      if (p >= 0 && p !== i) cand[c++] = p;
    }
    if (c < k - 1) short[i] = 1;
    else {
      const indices = a.indices as Int32Array;
      const distances = a.distances as Float32Array;
      writeRow(x, dim, i, k, cand, c, indices, distances, scratchD, scratchI);
    }
  }
};

/** Rows from which the merge is cut into blocks that worker threads take. */
const MERGE_BLOCK_MIN_ROWS = 20_000;

function hnswKnn(
  x: Float64Array,
  raw: ArrayLike<number>,
  n: number,
  dim: number,
  k: number,
  options: KnnOptions,
): KnnResult {
  const m = options.hnswM ?? KNN_DEFAULTS.hnswM;
  const efConstruction = options.efConstruction ?? KNN_DEFAULTS.efConstruction;
  const seed = options.seed ?? 0;
  const parts = options.hnswParts ?? KNN_DEFAULTS.hnswParts;
  if (!Number.isInteger(parts) || parts < 1) {
    throw invalidParameter('hnswParts', `must be a positive integer, got ${parts}`);
  }
  const ef = Math.max(options.efSearch ?? defaultEfSearch(Math.ceil(n / parts)), k + 1);
  const threads = Math.min(
    parts,
    Math.max(1, Math.floor(options.threads ?? availableParallelism())),
  );
  const onProgress = options.onProgress;
  const job: PartJob = { n, dim, k, parts, m, efConstruction, ef, seed };
  const order = localityOrder(raw, n, dim, seed);

  // Each part's k best for every row: found[(i * parts + t) * k + j], -1 where a part had fewer.
  const found = new Int32Array(new SharedArrayBuffer(n * parts * k * 4));
  const state = new Int32Array(new SharedArrayBuffer(parts * 4)); // 0 free, 1 taken, 2 done, 3 failed
  const workers: Worker[] = [];
  const errorPorts: MessagePort[] = [];
  try {
    if (threads > 1) {
      // Workers read the points as float32, the precision hnswlib stores anyway.
      const shared = new Float32Array(new SharedArrayBuffer(n * dim * 4));
      shared.set(raw);
      for (let w = 1; w < threads; w++) {
        const channel = new MessageChannel();
        const workerData = {
          hnswlibPath: require.resolve('hnswlib-node'),
          job,
          points: shared.buffer,
          order: order.buffer,
          found: found.buffer,
          state: state.buffer,
          errors: channel.port2,
        };
        const worker = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData,
          transferList: [channel.port2],
          execArgv: [],
        });
        worker.on('error', () => {}); // a part it took and dropped is redone below
        workers.push(worker);
        errorPorts.push(channel.port1);
      }
    }
    // This thread takes parts too; each part is one job, whichever thread runs it.
    // Progress is this thread's share: ceil(parts / threads) parts of ~2n/parts steps each.
    const ownTotal = Math.ceil(parts / threads) * ((2 * n) / parts);
    let ownDone = 0;
    const progress = (rows: number) => {
      ownDone += rows;
      onProgress?.(Math.min(n - 1, Math.floor((ownDone / ownTotal) * n)), n);
    };
    for (let t = 0; t < parts; t++) {
      if (Atomics.compareExchange(state, t, 0, 1) !== 0) continue;
      runPart(hnswlib, raw, order, found, job, t, progress);
      Atomics.store(state, t, 2);
    }
    for (let t = 0; t < parts; t++) {
      while (Atomics.load(state, t) === 1) Atomics.wait(state, t, 1, 1000);
      if (Atomics.load(state, t) === 3) runPart(hnswlib, raw, order, found, job, t, progress);
    }
  } finally {
    for (const worker of workers) void worker.terminate();
    // Messages can be read synchronously here: this thread never yielded to its event loop.
    for (const port of errorPorts) {
      for (let msg = receiveMessageOnPort(port); msg; msg = receiveMessageOnPort(port)) {
        process.emitWarning(`knn: a worker failed, its part was redone here: ${msg.message}`);
      }
      port.close();
    }
  }

  // Merge, in locality order: neighbouring rows share candidates, whose points
  // stay in cache. Rows are independent, so blocks on worker threads give the
  // same result; x lies in shared memory when large (knn puts it there).
  const parallel = n >= MERGE_BLOCK_MIN_ROWS && isShared(x);
  const indices = allocate(Int32Array, n * k, parallel);
  const distances = allocate(Float32Array, n * k, parallel);
  const short = allocate(Uint8Array, n, parallel);
  const blocks = parallel ? ROW_BLOCKS : 1;
  runRowBlocks(
    'knn merge',
    mergeRows,
    { x, order: parallel ? inSharedMemory(order) : order, found, indices, distances, short },
    equalRowBounds(n, blocks),
    { dim, k, parts },
    { helpers: [writeRow, before], threads: parallel ? options.threads : 1 },
  );
  const cand = new Int32Array(k - 1);
  const scratchD = new Float64Array(k - 1);
  const scratchI = new Int32Array(k - 1);
  for (let i = 0; i < n; i++) {
    if (!short[i]) continue;
    exactRow(x, n, dim, i, cand);
    writeRow(x, dim, i, k, cand, k - 1, indices, distances, scratchD, scratchI);
  }
  onProgress?.(n, n);
  return { k, indices, distances, method: 'hnsw', params: { m, efConstruction, ef, parts } };
}

/** Coarse clusters for localityOrder; ~3,000 cells each at 200,000 cells. */
const ORDER_CLUSTERS = 64;
/** Leading (highest-variance) PCA dimensions the coarse clustering looks at. */
const ORDER_DIMS = 16;

/**
 * A cache-friendly visiting order: rows grouped by a coarse seeded k-means (64
 * centres, 5 Lloyd rounds on a sample, leading 16 dimensions), by (cluster,
 * index). Inserting and searching in this order keeps consecutive searches in one
 * region of the index, which stays in the CPU cache: measured 1.7× less CPU and
 * slightly higher recall than index order at 50,000 cells.
 */
function localityOrder(
  points: ArrayLike<number>,
  n: number,
  dim: number,
  seed: number,
): Int32Array {
  const c = Math.min(ORDER_CLUSTERS, n);
  const dd = Math.min(ORDER_DIMS, dim);
  const rng = new Random(seed);
  const sample = rng
    .shuffle(Int32Array.from({ length: n }, (_, i) => i))
    .subarray(0, Math.min(n, 32 * c));
  const centres = new Float64Array(c * dd);
  for (let j = 0; j < c; j++) {
    for (let d = 0; d < dd; d++) centres[j * dd + d] = points[sample[j] * dim + d];
  }
  const nearest = (i: number) => {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let d = 0; d < dd; d++) {
        const diff = points[i * dim + d] - centres[j * dd + d];
        s += diff * diff;
      }
      if (s < bestD) {
        bestD = s;
        best = j;
      }
    }
    return best;
  };
  const sums = new Float64Array(c * dd);
  const counts = new Int32Array(c);
  for (let round = 0; round < 5; round++) {
    sums.fill(0);
    counts.fill(0);
    for (const i of sample) {
      const j = nearest(i);
      counts[j]++;
      for (let d = 0; d < dd; d++) sums[j * dd + d] += points[i * dim + d];
    }
    for (let j = 0; j < c; j++) {
      if (counts[j] === 0) continue; // an empty centre keeps its place
      for (let d = 0; d < dd; d++) centres[j * dd + d] = sums[j * dd + d] / counts[j];
    }
  }
  // Counting sort by cluster keeps index order within a cluster.
  const label = new Int32Array(n);
  const start = new Int32Array(c + 1);
  for (let i = 0; i < n; i++) {
    label[i] = nearest(i);
    start[label[i] + 1]++;
  }
  for (let j = 0; j < c; j++) start[j + 1] += start[j];
  const order = new Int32Array(new SharedArrayBuffer(n * 4));
  for (let i = 0; i < n; i++) order[start[label[i]]++] = i;
  return order;
}

interface PartJob {
  n: number;
  dim: number;
  k: number;
  parts: number;
  m: number;
  efConstruction: number;
  ef: number;
  seed: number;
}

/**
 * Builds the index of part t (rows order[t], order[t + parts], …, inserted in that
 * order with seed + t, so it is the same graph every time) and writes its k best
 * for every row, searched in `order` too, into `found`. Runs unchanged in workers (its source is sent to them), so
 * it must use nothing from outside its parameters.
 */
function runPart(
  lib: typeof hnswlib,
  points: ArrayLike<number>,
  order: Int32Array,
  found: Int32Array,
  job: PartJob,
  t: number,
  progress?: (rows: number) => void,
) {
  const { n, dim, k, parts } = job;
  const size = Math.ceil((n - t) / parts);
  const index = new lib.HierarchicalNSW('l2', dim);
  index.initIndex({
    maxElements: size,
    m: job.m,
    efConstruction: job.efConstruction,
    randomSeed: (job.seed + t) >>> 0,
  });
  // The binding only takes plain arrays; one reused array keeps the loops allocation-free.
  const row = new Array(dim).fill(0);
  const load = (i: number) => {
    for (let d = 0; d < dim; d++) row[d] = points[i * dim + d];
    return row;
  };
  const step = 1024;
  for (let p = t; p < n; p += parts) {
    index.addPoint(load(order[p]), order[p]);
    if (progress && ((p - t) / parts) % step === step - 1) progress(step);
  }
  index.setEf(job.ef);
  const kk = Math.min(k, size);
  for (let p = 0; p < n; p++) {
    const i = order[p];
    const nb = index.searchKnn(load(i), kk).neighbors;
    const o = (i * parts + t) * k;
    for (let j = 0; j < k; j++) found[o + j] = j < nb.length ? nb[j] : -1;
    if (progress && p % step === step - 1) progress(step / parts);
  }
}

/*
 * Worker body (CommonJS, run with eval so it needs no TypeScript loader): takes
 * free parts until none are left. A part it fails on is marked for the caller to
 * redo, and the error is posted back so the caller can warn about it. `__name` is
 * the helper esbuild (tsx) inserts into compiled functions to keep their names.
 */
const WORKER_SOURCE = `
const { workerData: w } = require('node:worker_threads');
const __name = (f) => f;
const runPart = ${runPart.toString()};
const state = new Int32Array(w.state);
let lib;
for (let t = 0; t < state.length; t++) {
  if (Atomics.compareExchange(state, t, 0, 1) !== 0) continue;
  let ok = false;
  try {
    lib ??= require(w.hnswlibPath);
    runPart(lib, new Float32Array(w.points), new Int32Array(w.order), new Int32Array(w.found), w.job, t);
    ok = true;
  } catch (err) {
    w.errors.postMessage(String((err && err.message) || err));
  }
  Atomics.store(state, t, ok ? 2 : 3);
  Atomics.notify(state, t);
}
`;

/** Exact k-1 nearest others of row q (rare fallback). */
function exactRow(x: Float64Array, n: number, dim: number, q: number, out: Int32Array) {
  const d2 = new Float64Array(n);
  const order: number[] = [];
  for (let p = 0; p < n; p++) {
    if (p === q) continue;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const diff = x[q * dim + d] - x[p * dim + d];
      s += diff * diff;
    }
    d2[p] = s;
    order.push(p);
  }
  order.sort((a, b) => d2[a] - d2[b] || a - b);
  for (let j = 0; j < out.length; j++) out[j] = order[j];
}
