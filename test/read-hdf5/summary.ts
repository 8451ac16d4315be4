// Figures of a matrix or column in the shape make_fixtures.py writes them, so
// tests compare our reader against anndata/h5py field by field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import type { Column } from '../../src/read/dataset.ts';

export const FIXTURES = 'test/fixtures/read-hdf5';
export const CASES = 'test/fixtures/cases';
export const ARCHIVES = 'test/fixtures/anndata_archives';

// biome-ignore lint/suspicious/noExplicitAny: reference.json is free-form JSON written by Python.
export const reference: Record<string, any> = JSON.parse(
  readFileSync(`${FIXTURES}/reference.json`, 'utf8'),
);

export interface MatrixSummary {
  shape: [number, number];
  nnz: number;
  sum: number;
  row0_sum: number;
  col0_sum: number;
  last_value: number;
}

export function summarize(m: CsrMatrix): MatrixSummary {
  let sum = 0;
  for (const v of m.data) sum += v;
  let row0 = 0;
  for (let k = m.indptr[0]; k < m.indptr[1]; k++) row0 += m.data[k];
  let col0 = 0;
  let last = 0;
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      if (m.indices[k] === 0) col0 += m.data[k];
      if (r === m.nRows - 1 && m.indices[k] === m.nCols - 1) last = m.data[k];
    }
  }
  return {
    shape: [m.nRows, m.nCols],
    nnz: m.data.length,
    sum,
    row0_sum: row0,
    col0_sum: col0,
    last_value: last,
  };
}

/** Relative tolerance 1e-6: values are float32 in both readers, sums accumulate in float64. */
export function close(actual: number, expected: number, what: string, rel = 1e-6): void {
  const tolerance = rel * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);
}

export function assertMatrix(m: CsrMatrix, expected: MatrixSummary, what: string): void {
  const got = summarize(m);
  assert.deepEqual(got.shape, expected.shape, `${what} shape`);
  assert.equal(got.nnz, expected.nnz, `${what} stored values`);
  for (const key of ['sum', 'row0_sum', 'col0_sum', 'last_value'] as const) {
    close(got[key], expected[key], `${what} ${key}`);
  }
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r] + 1; k < m.indptr[r + 1]; k++) {
      assert.ok(m.indices[k] > m.indices[k - 1], `${what}: row ${r} indices not sorted`);
    }
  }
}

/** Compares a column against make_fixtures.py's column_summary. */
// biome-ignore lint/suspicious/noExplicitAny: free-form reference JSON.
export function assertColumn(column: Column | undefined, expected: any, what: string): void {
  assert.ok(column, `${what} missing`);
  assert.equal(column.kind, expected.kind, `${what} kind`);
  if (column.kind === 'categorical') {
    assert.equal(column.categories.length, expected.n_categories, `${what} category count`);
    assert.deepEqual(column.categories.slice(0, 30), expected.categories, `${what} categories`);
    assert.deepEqual(Array.from(column.codes.slice(0, 5)), expected.codes_head, `${what} codes`);
    assert.equal(column.codes.filter((c) => c < 0).length, expected.missing, `${what} missing`);
  } else if (column.kind === 'boolean') {
    assert.equal(
      column.values.reduce((a, b) => a + b, 0),
      expected.true,
      `${what} true count`,
    );
  } else if (column.kind === 'string') {
    assert.deepEqual(column.values.slice(0, 3), expected.head, `${what} head`);
  } else {
    close(
      column.values.reduce((a, b) => a + b, 0),
      expected.sum,
      `${what} sum`,
      1e-9,
    );
  }
}

/** Label -> count for a categorical or string column. */
export function counts(column: Column | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (column?.kind === 'categorical') {
    for (const code of column.codes) {
      const label = code < 0 ? '<missing>' : column.categories[code];
      out[label] = (out[label] ?? 0) + 1;
    }
  } else if (
    column?.kind === 'string' ||
    column?.kind === 'integer' ||
    column?.kind === 'numeric'
  ) {
    for (const value of column.values) out[String(value)] = (out[String(value)] ?? 0) + 1;
  }
  return out;
}
