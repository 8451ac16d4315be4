/**
 * The passes over the whole expression matrix (value checks, QC, normalize
 * with HVG moments, the HVG column subset) on a matrix large enough to be cut
 * into row blocks: in shared memory, where worker threads take blocks, they
 * must give exactly what the same matrix gives on this thread alone, and
 * agree with plain loops written here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkValues } from '../../src/matrix/check-values.ts';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import { emptyGeneMoments } from '../../src/matrix/hvg.ts';
import { normalizeTotalLog1p } from '../../src/matrix/normalize.ts';
import { qcFilter, subsetCsr, subsetCsrInPlace } from '../../src/matrix/qc.ts';
import {
  inSharedMemory,
  isShared,
  ROW_BLOCK_MIN_STORED,
  rowBlockCount,
  rowBlockTesting,
} from '../../src/matrix/row-blocks.ts';

const N_ROWS = 5000;
const N_COLS = 3000;

/** Seeded counts: each cell stores ~880 genes, whole counts, some cells fractional or large. */
function makeCounts(): CsrMatrix {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const indptr = new Float64Array(N_ROWS + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = 0; r < N_ROWS; r++) {
    for (let c = 0; c < N_COLS; c++) {
      if (random() < 0.293) {
        indices.push(c);
        let v = 1 + Math.floor(-Math.log(random()) * 2);
        if (r % 97 === 5) v += 0.5; // a fractional cell: the memo path
        if (r % 89 === 3 && c % 50 === 0) v += 400; // a count above the table
        data.push(v);
      }
    }
    indptr[r + 1] = indices.length;
  }
  return {
    nRows: N_ROWS,
    nCols: N_COLS,
    indptr,
    indices: Int32Array.from(indices),
    data: Float32Array.from(data),
  };
}

const local = makeCounts();
const shared: CsrMatrix = {
  ...local,
  indices: inSharedMemory(local.indices),
  data: inSharedMemory(local.data),
};
/** A copy of X (with `data` for its values), in shared memory where X is. */
function copyOf(X: CsrMatrix, data = X.data): CsrMatrix {
  const place = <T extends Int32Array | Float32Array>(a: T): T =>
    isShared(X.data) ? inSharedMemory(a) : a;
  return { ...X, indices: place(X.indices.slice()), data: place(data.slice()) };
}

before(() => {
  rowBlockTesting.waitForWorkers = true;
});
after(() => {
  rowBlockTesting.waitForWorkers = false;
});

test('the test matrix is cut into blocks, and its shared copies lie in shared memory', () => {
  assert.ok(local.indptr[N_ROWS] >= ROW_BLOCK_MIN_STORED, `${local.indptr[N_ROWS]} stored`);
  assert.equal(rowBlockCount(local.indptr[N_ROWS]), 4);
  const copy = copyOf(shared);
  assert.ok(isShared(copy.indices) && isShared(copy.data));
  assert.ok(!isShared(copyOf(local).data));
});

test('normalizeTotalLog1p with moments: shared (workers) equals this thread, and plain loops', () => {
  const results = [local, shared].map((X) => {
    const moments = emptyGeneMoments(N_COLS);
    const out = normalizeTotalLog1p(copyOf(X), { inPlace: true, momentsInto: moments, threads: 2 });
    return { data: out.data, moments };
  });
  assert.ok(isShared(results[1].data));
  assert.deepEqual(Array.from(results[1].data), Array.from(results[0].data));
  assert.deepEqual(results[1].moments, results[0].moments);

  // Plain loops: scale to 1e4, log1p, and per-gene sums of expm1 in row order.
  const sum = new Float64Array(N_COLS);
  const stored = new Float64Array(N_COLS);
  let worst = 0;
  for (let r = 0; r < N_ROWS; r++) {
    let total = 0;
    for (let p = local.indptr[r]; p < local.indptr[r + 1]; p++) total += local.data[p];
    for (let p = local.indptr[r]; p < local.indptr[r + 1]; p++) {
      const y = Math.fround(Math.log1p((local.data[p] * 1e4) / total));
      worst = Math.max(worst, Math.abs(results[1].data[p] - y) / y);
      sum[local.indices[p]] += Math.expm1(y);
      stored[local.indices[p]]++;
    }
  }
  assert.ok(worst <= 1e-6, `worst relative difference ${worst}`);
  for (let c = 0; c < N_COLS; c++) {
    assert.equal(results[1].moments.stored[c], stored[c]);
    assert.ok(Math.abs(results[1].moments.sum[c] - sum[c]) <= 1e-6 * sum[c], `gene ${c}`);
  }
});

test('qcFilter: shared (workers) equals this thread, and counts match plain loops', () => {
  const mitoGenes = new Uint8Array(N_COLS);
  for (let c = 0; c < 13; c++) mitoGenes[c] = 1;
  const options = { minGenes: 870, minCells: 1480, maxMitoFraction: 0.0045, mitoGenes };
  const a = qcFilter(local, options);
  const b = qcFilter(shared, options);
  assert.deepEqual(b, a);
  let removed = 0;
  for (let r = 0; r < N_ROWS; r++) {
    const genes = local.indptr[r + 1] - local.indptr[r];
    assert.equal(b.nGenesPerCell[r], genes);
    if (genes < 870) removed++;
  }
  assert.equal(b.report.cellsRemovedMinGenes, removed);
  // The thresholds were picked so that every filter removes something here.
  assert.ok(removed > 0 && b.report.cellsRemovedMito > 0 && b.report.genesRemoved > 0);
});

test('subsetCsr of columns: shared (workers) equals this thread', () => {
  const columns = Int32Array.from({ length: 700 }, (_, k) => k * 4 + (k % 3));
  const a = subsetCsr(local, null, columns);
  const b = subsetCsr(shared, null, columns);
  assert.ok(isShared(b.data) && isShared(b.indices));
  assert.deepEqual(Array.from(b.indptr), Array.from(a.indptr));
  assert.deepEqual(Array.from(b.indices), Array.from(a.indices));
  assert.deepEqual(Array.from(b.data), Array.from(a.data));
  assert.throws(() => subsetCsr(shared, null, columns, a.indptr[N_ROWS] + 1), /nnz=/);
});

test('checkValues names the first bad value in row order whichever thread finds it', () => {
  // A NaN late (a worker's block) and one early (this thread's); a negative in between.
  const data = local.data.slice();
  const late = local.indptr[4000] + 2;
  const early = local.indptr[100];
  data[late] = Number.NaN;
  data[early] = Number.POSITIVE_INFINITY;
  data[local.indptr[2500]] = -1;
  for (const X of [copyOf(local, data), copyOf(shared, data)]) {
    assert.throws(
      () => checkValues(X, { file: 'big.h5ad' }),
      (error: Error) => {
        assert.match(error.message, /big\.h5ad/);
        assert.match(error.message, /2 non-finite value\(s\)/);
        assert.match(error.message, /first value Infinity at cell #101 of 5000,/);
        return true;
      },
    );
  }
  const negativeOnly = local.data.slice();
  negativeOnly[local.indptr[4500]] = -3;
  assert.throws(
    () => checkValues(copyOf(shared, negativeOnly), { file: 'big.h5ad' }),
    /1 negative value\(s\) where counts are expected; first value -3 at cell #4501 of 5000,/,
  );
});

test('subsetCsrInPlace: shared (workers) moves the same values as this thread, or declines', () => {
  // Drop a few cells in every block and a few genes: the kept values shift down
  // across block boundaries.
  const cells = Int32Array.from({ length: N_ROWS }, (_, r) => r).filter((r) => r % 401 !== 17);
  const genes = Int32Array.from({ length: N_COLS }, (_, c) => c).filter((c) => c % 97 !== 3);
  const expected = subsetCsrInPlace(copyOf(local), cells, genes);
  const got = subsetCsrInPlace(copyOf(shared), cells, genes);
  assert.equal(got.nRows, cells.length);
  assert.deepEqual(Array.from(got.indptr), Array.from(expected.indptr));
  assert.deepEqual(Array.from(got.indices), Array.from(expected.indices));
  assert.deepEqual(Array.from(got.data), Array.from(expected.data));
  // And against subsetCsr, which copies instead of moving.
  const copied = subsetCsr(local, cells, genes);
  assert.deepEqual(Array.from(got.data), Array.from(copied.data));
  assert.deepEqual(Array.from(got.indices), Array.from(copied.indices));
  // Dropping half the cells sets too much aside: the one-thread pass runs, same result.
  const half = Int32Array.from({ length: N_ROWS / 2 }, (_, r) => 2 * r);
  const halfExpected = subsetCsr(local, half, null);
  const halfGot = subsetCsrInPlace(copyOf(shared), half, null);
  assert.deepEqual(Array.from(halfGot.indptr), Array.from(halfExpected.indptr));
  assert.deepEqual(Array.from(halfGot.data), Array.from(halfExpected.data));
  // Genes only (every cell kept).
  const genesOnly = subsetCsrInPlace(copyOf(shared), null, genes);
  assert.deepEqual(Array.from(genesOnly.data), Array.from(subsetCsr(local, null, genes).data));
});
