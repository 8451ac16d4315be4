import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultEfSearch, KNN_DEFAULTS, knn } from '../../src/graph/knn.ts';
import type { DenseMatrix } from '../../src/matrix/csr.ts';
import { Random } from '../../src/matrix/random.ts';
import { rowBlockTesting } from '../../src/matrix/row-blocks.ts';
import { f32, type KnnFixture, loadFixture } from './fixture.ts';

const fx = loadFixture<KnnFixture>('knn');
const points: DenseMatrix = { nRows: fx.n, nCols: fx.dim, data: f32(fx.points_f32) };

/**
 * Gaussian blobs whose spread shrinks along later dimensions, like a PCA embedding.
 * Centres are close enough that ~8% of exact neighbours lie in another blob.
 */
function clusteredBlobs(n: number, dim: number, clusters: number, seed: number): DenseMatrix {
  const rng = new Random(seed);
  const centres = Float64Array.from({ length: clusters * dim }, (_, e) => {
    const d = e % dim;
    return rng.normal() * (1.5 / Math.sqrt(1 + d / 3));
  });
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(clusters);
    for (let d = 0; d < dim; d++) {
      data[i * dim + d] = centres[c * dim + d] + rng.normal() * (1.5 / Math.sqrt(1 + d / 5));
    }
  }
  return { nRows: n, nCols: dim, data };
}

describe('knn', () => {
  it('finds the same neighbours as sklearn brute force, self first', () => {
    const res = knn(points, { k: fx.k, method: 'exact' });
    assert.equal(res.method, 'exact');
    const ref = f32(fx.knn_distances_f32);
    for (let i = 0; i < fx.n; i++) {
      const row = Array.from(res.indices.subarray(i * fx.k, (i + 1) * fx.k));
      assert.equal(row[0], i);
      const want = fx.knn_indices.slice(i * fx.k, (i + 1) * fx.k);
      assert.deepEqual(
        [...row].sort((a, b) => a - b),
        [...want].sort((a, b) => a - b),
        `row ${i}`,
      );
      // Distances: sklearn float64 vs ours float64, both stored as float32; tolerance 1e-5.
      for (let j = 0; j < fx.k; j++) {
        assert.ok(Math.abs(res.distances[i * fx.k + j] - ref[i * fx.k + j]) < 1e-5, `row ${i}`);
      }
    }
  });

  it('sorts rows by distance and breaks ties by lower index', () => {
    // Points on a line: 1 and 3 are both at distance 1 from 2.
    const line: DenseMatrix = { nRows: 5, nCols: 1, data: Float64Array.from([0, 1, 2, 3, 4]) };
    const res = knn(line, { k: 3, method: 'exact' });
    assert.deepEqual(Array.from(res.indices.subarray(6, 9)), [2, 1, 3]);
    assert.deepEqual(Array.from(res.distances.subarray(6, 9)), [0, 1, 1]);
    assert.deepEqual(Array.from(res.indices.subarray(0, 3)), [0, 1, 2]);
  });

  it('keeps self first even when another cell sits on the same point', () => {
    const dup: DenseMatrix = { nRows: 3, nCols: 2, data: Float32Array.from([1, 1, 1, 1, 5, 5]) };
    const res = knn(dup, { k: 2, method: 'exact' });
    assert.deepEqual(Array.from(res.indices), [0, 1, 1, 0, 2, 0]);
  });

  it('reaches recall@15 of at least 0.95 with HNSW on clustered data', () => {
    const x = clusteredBlobs(5000, 50, 20, 42);
    const exact = knn(x, { k: 15, method: 'exact' });
    const approx = knn(x, { k: 15, method: 'hnsw', seed: 0 });
    assert.equal(approx.method, 'hnsw');
    let hits = 0;
    for (let i = 0; i < x.nRows; i++) {
      const truth = new Set(exact.indices.subarray(i * 15, (i + 1) * 15));
      for (const j of approx.indices.subarray(i * 15, (i + 1) * 15)) if (truth.has(j)) hits++;
    }
    const recall = hits / (x.nRows * 15);
    assert.ok(recall >= 0.95, `recall@15 ${recall}`);
    for (let i = 0; i < x.nRows; i++) assert.equal(approx.indices[i * 15], i);
  });

  it('builds the same HNSW graph twice with the same seed', () => {
    const x = clusteredBlobs(1500, 20, 10, 3);
    const a = knn(x, { method: 'hnsw', seed: 5 });
    const b = knn(x, { method: 'hnsw', seed: 5 });
    assert.deepEqual(a.indices, b.indices);
    assert.deepEqual(a.distances, b.distances);
  });

  it('gives the same HNSW result whether parts run on one thread or in workers', async () => {
    const x = clusteredBlobs(3000, 20, 10, 4);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const one = knn(x, { method: 'hnsw', seed: 1, hnswParts: 3, threads: 1 });
    const three = knn(x, { method: 'hnsw', seed: 1, hnswParts: 3, threads: 3 });
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    process.off('warning', onWarning);
    assert.deepEqual(warnings, []);
    assert.deepEqual(three.indices, one.indices);
    assert.deepEqual(three.distances, one.distances);
    assert.equal(one.params?.parts, 3);
  });

  it('merges the parts of a large input on worker threads as on one, true distances ascending', () => {
    // 20,000 cells: the merge runs in row blocks, and the test waits for the worker's.
    const x = clusteredBlobs(20_000, 8, 12, 6);
    const options = {
      method: 'hnsw',
      seed: 2,
      hnswM: 8,
      efConstruction: 32,
      efSearch: 24,
    } as const;
    const one = knn(x, { ...options, threads: 1 });
    rowBlockTesting.waitForWorkers = true;
    let two: ReturnType<typeof knn>;
    try {
      two = knn(x, { ...options, threads: 2 });
    } finally {
      rowBlockTesting.waitForWorkers = false;
    }
    assert.deepEqual(two.indices, one.indices);
    assert.deepEqual(two.distances, one.distances);
    // Each row: self first at 0, then distances that are the float64 distances
    // of the listed cells, rounded to float32, ascending.
    for (let i = 0; i < x.nRows; i += 7) {
      assert.equal(two.indices[i * 15], i);
      let previous = 0;
      for (let j = 1; j < 15; j++) {
        const p = two.indices[i * 15 + j];
        let s = 0;
        for (let d = 0; d < 8; d++) s += (x.data[i * 8 + d] - x.data[p * 8 + d]) ** 2;
        assert.equal(two.distances[i * 15 + j], Math.fround(Math.sqrt(s)));
        assert.ok(two.distances[i * 15 + j] >= previous);
        previous = two.distances[i * 15 + j];
      }
    }
  });

  it('widens the default beam for parts over 100,000 cells only, never narrowing it', () => {
    const small = knn(points, { method: 'hnsw' });
    assert.equal(small.params?.ef, KNN_DEFAULTS.efSearch);
    assert.equal(knn(points, { method: 'hnsw', efSearch: 20 }).params?.ef, 20);
    assert.equal(defaultEfSearch(100_000), KNN_DEFAULTS.efSearch);
    let previous = 0;
    for (let cells = 1000; cells <= 1e8; cells *= 1.5) {
      const ef = defaultEfSearch(cells);
      assert.ok(ef >= previous && ef <= 256, `${cells} cells: ef ${ef} after ${previous}`);
      previous = ef;
    }
    assert.ok(defaultEfSearch(500_000) > 2 * KNN_DEFAULTS.efSearch);
  });

  it("uses exact search below the threshold under 'auto'", () => {
    assert.equal(knn(points, { exactThreshold: 601 }).method, 'exact');
    assert.equal(knn(points, { exactThreshold: 600 }).method, 'hnsw');
  });

  it('rejects k larger than the number of cells and non-finite values', () => {
    const tiny: DenseMatrix = { nRows: 3, nCols: 1, data: Float32Array.from([0, 1, 2]) };
    assert.throws(() => knn(tiny, { k: 4 }), /'k'.*only 3 cells/);
    const bad: DenseMatrix = { nRows: 2, nCols: 1, data: Float32Array.from([0, Number.NaN]) };
    assert.throws(() => knn(bad, { k: 1 }), /row 1 has a non-finite value/);
    assert.throws(() => knn(tiny, { k: 2, method: 'hnsw', hnswParts: 0 }), /'hnswParts'.*positive/);
  });

  it('reports progress up to the total', () => {
    const seen: number[] = [];
    knn(points, { method: 'exact', onProgress: (done, total) => seen.push(done / total) });
    assert.equal(seen.at(-1), 1);
  });
});
