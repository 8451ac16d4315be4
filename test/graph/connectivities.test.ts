import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fuzzyConnectivities,
  knnDistanceMatrix,
  smoothKnnDist,
} from '../../src/graph/connectivities.ts';
import { knn } from '../../src/graph/knn.ts';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import { Random } from '../../src/matrix/random.ts';
import { rowBlockTesting } from '../../src/matrix/row-blocks.ts';
import { type CsrJson, csrFromJson, f32, type KnnFixture, loadFixture } from './fixture.ts';

const fx = loadFixture<KnnFixture & { connectivities: CsrJson; distances: CsrJson }>('knn');
// The reference's own kNN (sklearn), so connectivities are compared on identical input.
const refKnn = {
  k: fx.k,
  indices: Int32Array.from(fx.knn_indices),
  distances: f32(fx.knn_distances_f32),
};

/** Asserts the same sparsity pattern and values within `tol`. */
function assertCsrClose(got: CsrMatrix, want: CsrMatrix, tol: number) {
  assert.equal(got.nRows, want.nRows);
  assert.deepEqual(got.indptr, want.indptr);
  assert.deepEqual(got.indices, want.indices);
  let worst = 0;
  for (let p = 0; p < want.data.length; p++) {
    worst = Math.max(worst, Math.abs(got.data[p] - want.data[p]));
  }
  assert.ok(worst <= tol, `largest difference ${worst} > ${tol}`);
}

describe('fuzzyConnectivities', () => {
  it("matches the reference's umap fuzzy_simplicial_set within 1e-5", () => {
    const got = fuzzyConnectivities(refKnn, fx.n);
    assertCsrClose(got, csrFromJson(fx.n, fx.connectivities), 1e-5);
  });

  it('matches the reference when fed our own exact kNN', () => {
    const ours = knn({ nRows: fx.n, nCols: fx.dim, data: f32(fx.points_f32) }, { method: 'exact' });
    assertCsrClose(fuzzyConnectivities(ours, fx.n), csrFromJson(fx.n, fx.connectivities), 1e-5);
  });

  it('is symmetric with weights in (0, 1] and no self-loops', () => {
    const m = fuzzyConnectivities(refKnn, fx.n);
    const at = new Map<string, number>();
    for (let i = 0; i < m.nRows; i++) {
      for (let p = m.indptr[i]; p < m.indptr[i + 1]; p++) at.set(`${i},${m.indices[p]}`, m.data[p]);
    }
    for (const [key, v] of at) {
      const [i, j] = key.split(',').map(Number);
      assert.notEqual(i, j);
      assert.ok(v > 0 && v <= 1);
      assert.equal(at.get(`${j},${i}`), v);
    }
  });
});

describe('knnDistanceMatrix', () => {
  it("matches scanpy's distances matrix (self-edges dropped)", () => {
    const got = knnDistanceMatrix(refKnn, fx.n);
    assertCsrClose(got, csrFromJson(fx.n, fx.distances), 0);
    assert.equal(got.indices.length, fx.n * (fx.k - 1));
  });

  it('rejects a kNN result of the wrong shape', () => {
    assert.throws(() => knnDistanceMatrix(refKnn, fx.n + 1), /'knn'/);
  });
});

describe('smoothKnnDist on many cells', () => {
  it('gives each row the same sigma and rho on worker threads as alone, meeting the target sum', () => {
    // 60,000 rows of k = 15 ascending positive distances (self 0 first): over
    // 50,000 rows the search runs in blocks, the worker's waited for.
    const n = 60_000;
    const k = 15;
    const rng = new Random(9);
    const distances = new Float32Array(n * k);
    for (let i = 0; i < n; i++) {
      let d = 0.5 + rng.next();
      for (let j = 1; j < k; j++) {
        d += 0.3 * rng.next();
        distances[i * k + j] = d;
      }
    }
    rowBlockTesting.waitForWorkers = true;
    let all: ReturnType<typeof smoothKnnDist>;
    try {
      all = smoothKnnDist(distances, n, k);
    } finally {
      rowBlockTesting.waitForWorkers = false;
    }
    // Rows do not depend on each other here (no row is all zeros): the first
    // 10,000 alone take the one-thread path.
    const head = smoothKnnDist(distances.subarray(0, 10_000 * k), 10_000, k);
    assert.deepEqual(all.sigma.subarray(0, 10_000), head.sigma);
    assert.deepEqual(all.rho.subarray(0, 10_000), head.rho);
    for (let i = 0; i < n; i += 101) {
      assert.equal(all.rho[i], distances[i * k + 1]);
      let sum = 0;
      for (let j = 1; j < k; j++) {
        sum += Math.exp(-Math.max(0, distances[i * k + j] - all.rho[i]) / all.sigma[i]);
      }
      assert.ok(Math.abs(sum - Math.log2(k)) < 1e-4, `row ${i}: ${sum}`);
    }
  });
});
