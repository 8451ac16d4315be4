import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isScgraphError } from '../../src/errors.ts';
import {
  maskToIndices,
  mitoMaskFromSymbols,
  qcFilter,
  subsetCsr,
  subsetCsrInPlace,
} from '../../src/matrix/qc.ts';
import { csrFromDense, reference } from './reference-fixture.ts';

// Cells × genes; gene 3 is mitochondrial.
const X = csrFromDense([
  [1, 2, 0, 1], // 3 genes, total 4, mito 0.25
  [0, 0, 5, 0], // 1 gene
  [0, 1, 1, 8], // 3 genes, total 10, mito 0.8
  [3, 0, 2, 0], // 2 genes, total 5, mito 0
  [0, 0, 0, 0], // empty
]);
const mito = Uint8Array.from([0, 0, 0, 1]);

test('qcFilter keeps cells with enough genes, then genes seen in enough kept cells', () => {
  const { cellMask, geneMask, nGenesPerCell, totalPerCell, report } = qcFilter(X, {
    minGenes: 2,
    minCells: 2,
  });
  assert.deepEqual(Array.from(nGenesPerCell), [3, 1, 3, 2, 0]);
  assert.deepEqual(Array.from(totalPerCell), [4, 5, 10, 5, 0]);
  assert.deepEqual(Array.from(cellMask), [1, 0, 1, 1, 0]);
  // Over cells 0, 2, 3: gene 0 in 2, gene 1 in 2, gene 2 in 2, gene 3 in 2.
  assert.deepEqual(Array.from(geneMask), [1, 1, 1, 1]);
  assert.equal(report.cellsRemoved, 2);
  assert.equal(report.cellsRemovedMinGenes, 2);
  assert.equal(report.genesRemoved, 0);
});

test('qcFilter counts genes over kept cells only', () => {
  // minGenes 3 keeps cells 0 and 2; gene 0 is then seen once, gene 2 once.
  const { cellMask, geneMask, report } = qcFilter(X, { minGenes: 3, minCells: 2 });
  assert.deepEqual(Array.from(cellMask), [1, 0, 1, 0, 0]);
  assert.deepEqual(Array.from(geneMask), [0, 1, 0, 1]);
  assert.equal(report.genesRemoved, 2);
  assert.equal(report.genesKept, 2);
});

test('qcFilter drops cells above the mitochondrial fraction', () => {
  const { cellMask, mitoFraction, report } = qcFilter(X, {
    minGenes: 1,
    maxMitoFraction: 0.5,
    mitoGenes: mito,
  });
  assert.deepEqual(Array.from(mitoFraction ?? []), [0.25, 0, 0.8, 0, 0]);
  assert.deepEqual(Array.from(cellMask), [1, 1, 0, 1, 0]);
  assert.equal(report.cellsRemovedMito, 1);
  assert.equal(report.cellsRemovedMinGenes, 1);
  assert.equal(report.cellsRemoved, 2);
});

test('qcFilter with default thresholds removes only empty cells and genes', () => {
  const { cellMask, geneMask } = qcFilter(
    csrFromDense([
      [0, 1, 0],
      [0, 0, 0],
      [0, 2, 0],
    ]),
  );
  assert.deepEqual(Array.from(cellMask), [1, 0, 1]);
  assert.deepEqual(Array.from(geneMask), [0, 1, 0]);
});

test('qcFilter fails with an empty-result error when no cell passes', () => {
  assert.throws(
    () => qcFilter(X, { minGenes: 10 }),
    (e) => isScgraphError(e) && e.kind === 'empty-result' && /no cells/.test(e.message),
  );
});

test('qcFilter rejects bad thresholds and a mito limit without mito genes', () => {
  assert.throws(() => qcFilter(X, { minGenes: -1 }), /min_genes/);
  assert.throws(() => qcFilter(X, { maxMitoFraction: 0.2 }), /mitochondrial/);
  assert.throws(() => qcFilter(X, { maxMitoFraction: 2, mitoGenes: mito }), /between 0 and 1/);
  assert.throws(() => qcFilter(X, { mitoGenes: Uint8Array.of(1) }), /1 entries for 4 genes/);
});

test('mitoMaskFromSymbols marks human and mouse MT- genes', () => {
  const mask = mitoMaskFromSymbols(['MT-CO1', 'mt-Nd1', 'GAPDH', 'MTOR', 'Mt-Atp6']);
  assert.deepEqual(Array.from(mask), [1, 1, 0, 0, 1]);
});

test('subsetCsr takes rows and columns in the given order', () => {
  const sub = subsetCsr(X, Int32Array.from([2, 0]), Int32Array.from([3, 1]));
  assert.equal(sub.nRows, 2);
  assert.equal(sub.nCols, 2);
  // Row 2 → [8, 1], row 0 → [1, 2]; columns sorted within each row.
  assert.deepEqual(Array.from(sub.indptr), [0, 2, 4]);
  assert.deepEqual(Array.from(sub.indices), [0, 1, 0, 1]);
  assert.deepEqual(Array.from(sub.data), [8, 1, 1, 2]);
});

test('subsetCsr keeps everything along a null axis and uses mask indices', () => {
  const rows = maskToIndices(Uint8Array.from([1, 0, 0, 1, 0]));
  const sub = subsetCsr(X, rows, null);
  assert.deepEqual(Array.from(sub.indptr), [0, 3, 5]);
  assert.deepEqual(Array.from(sub.indices), [0, 1, 3, 0, 2]);
  assert.deepEqual(Array.from(sub.data), [1, 2, 1, 3, 2]);
  const cols = subsetCsr(X, null, Int32Array.from([2]));
  assert.deepEqual(Array.from(cols.indptr), [0, 0, 1, 2, 3, 3]);
  assert.deepEqual(Array.from(cols.data), [5, 1, 2]);
});

test('subsetCsr with the stored count given makes the same matrix in one pass', () => {
  const cols = Int32Array.from([1, 2]);
  const counted = subsetCsr(X, null, cols);
  const given = subsetCsr(X, null, cols, counted.indptr[counted.nRows]);
  assert.deepEqual(Array.from(given.indptr), Array.from(counted.indptr));
  assert.deepEqual(Array.from(given.indices), Array.from(counted.indices));
  assert.deepEqual(Array.from(given.data), Array.from(counted.data));
  assert.throws(() => subsetCsr(X, null, cols, counted.indptr[counted.nRows] + 1), /nnz/);
  assert.throws(() => subsetCsr(X, null, cols, counted.indptr[counted.nRows] - 1), /nnz/);
});

test('subsetCsr sorts long rows when columns are reordered', () => {
  const wide = csrFromDense([Array.from({ length: 100 }, (_, i) => i + 1)]);
  const order = Int32Array.from({ length: 100 }, (_, i) => 99 - i);
  const sub = subsetCsr(wide, null, order);
  assert.deepEqual(
    Array.from(sub.indices),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.deepEqual(
    Array.from(sub.data),
    Array.from({ length: 100 }, (_, i) => 100 - i),
  );
});

test('subsetCsr rejects out-of-range and repeated indices', () => {
  assert.throws(() => subsetCsr(X, Int32Array.from([5]), null), /row 5 is out of range/);
  assert.throws(() => subsetCsr(X, null, Int32Array.from([1, 1])), /column 1 appears twice/);
});

test('subsetCsrInPlace gives the same matrix as subsetCsr, in the input buffers', () => {
  const copy = () => ({
    ...reference.counts,
    indices: reference.counts.indices.slice(),
    data: reference.counts.data.slice(),
  });
  const rows = Int32Array.from({ length: 150 }, (_, i) => 2 * i + 1);
  const cols = Int32Array.from({ length: 200 }, (_, i) => 2 * i);
  const expected = subsetCsr(reference.counts, rows, cols);
  const input = copy();
  const got = subsetCsrInPlace(input, rows, cols);
  assert.deepEqual(Array.from(got.indptr), Array.from(expected.indptr));
  assert.deepEqual(Array.from(got.indices), Array.from(expected.indices));
  assert.deepEqual(Array.from(got.data), Array.from(expected.data));
  assert.equal(got.data.buffer, input.data.buffer);
  const whole = copy();
  assert.equal(subsetCsrInPlace(whole, null, null), whole);
  assert.throws(() => subsetCsrInPlace(copy(), Int32Array.of(3, 1), null), /rowIdx/);
});

test('subsetCsrInPlace matches subsetCsr wherever the first dropped value falls', () => {
  // Column 1 is never stored and column 4 only in the last row, so dropping them
  // leaves a prefix in place (or all of it), then the rest moves down.
  const dense = [
    [1, 0, 2, 3, 0],
    [0, 0, 4, 0, 0],
    [5, 0, 0, 6, 0],
    [7, 0, 8, 0, 9],
  ];
  const all = Int32Array.from([0, 1, 2, 3]);
  const cases: [Int32Array | null, Int32Array | null][] = [
    [null, Int32Array.of(0, 2, 3, 4)], // an empty gene: nothing moves
    [null, Int32Array.of(0, 2, 3)], // the last row loses its last value
    [null, Int32Array.of(0, 1, 2, 4)], // row 0 loses a middle value
    [null, Int32Array.of(1, 2, 3, 4)], // the very first value goes
    [Int32Array.of(1, 2, 3), null], // the first row goes
    [Int32Array.of(0, 1, 2), Int32Array.of(0, 2, 3)], // the last row goes, and a column
    [Int32Array.of(0, 2, 3), Int32Array.of(0, 2, 3, 4)], // a middle row goes
    [all, Int32Array.of(2)],
  ];
  for (const [rows, cols] of cases) {
    const X = csrFromDense(dense);
    const expected = subsetCsr(X, rows, cols);
    const got = subsetCsrInPlace(csrFromDense(dense), rows, cols);
    const label = `rows ${rows ?? 'all'}, columns ${cols ?? 'all'}`;
    assert.deepEqual(Array.from(got.indptr), Array.from(expected.indptr), label);
    assert.deepEqual(Array.from(got.indices), Array.from(expected.indices), label);
    assert.deepEqual(Array.from(got.data), Array.from(expected.data), label);
    assert.deepEqual([got.nRows, got.nCols], [expected.nRows, expected.nCols], label);
  }
});
