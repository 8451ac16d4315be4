import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import h5wasm from 'h5wasm/node';
import { readCompressedSparse, withHdf5 } from '../../src/io/hdf5.ts';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import { isShared, rowBlockTesting } from '../../src/matrix/row-blocks.ts';

const root = mkdtempSync(join(tmpdir(), 'scgraph-sparse-'));
after(() => rmSync(root, { recursive: true, force: true }));

let files = 0;

/** Writes data/indices/indptr as written by a tool that did not sort or check its rows. */
async function sparseFile(indptr: number[], indices: number[], data: number[]): Promise<string> {
  await h5wasm.ready;
  const path = join(root, `m${files++}.h5`);
  const file = new h5wasm.File(path, 'w');
  file.create_dataset({ name: 'indptr', data: Int32Array.from(indptr) });
  file.create_dataset({ name: 'indices', data: Int32Array.from(indices) });
  file.create_dataset({ name: 'data', data: Float32Array.from(data) });
  file.close();
  return path;
}

function read(
  path: string,
  layout: 'csr' | 'csc',
  nRows: number,
  nCols: number,
): Promise<CsrMatrix> {
  return withHdf5(path, (file) => readCompressedSparse(file, '', layout, nRows, nCols));
}

/** Row r as [column, value] pairs. */
function row(m: CsrMatrix, r: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) out.push([m.indices[p], m.data[p]]);
  return out;
}

/** [[1, 2, 3], [4, 5, 0]] as [column, value] pairs per row: what both small files hold. */
const SMALL_ROWS = [
  [
    [0, 1],
    [1, 2],
    [2, 3],
  ],
  [
    [0, 4],
    [1, 5],
  ],
];

describe('readCompressedSparse', () => {
  it('sorts rows stored out of column order and keeps each value with its column', async () => {
    // [[1, 2, 3], [4, 5, 0]] with row 0 stored as columns 2, 0, 1 and row 1 as 1, 0.
    const path = await sparseFile([0, 3, 5], [2, 0, 1, 1, 0], [3, 1, 2, 5, 4]);
    const m = await read(path, 'csr', 2, 3);
    assert.deepEqual([row(m, 0), row(m, 1)], SMALL_ROWS);
  });

  it('refuses a row that stores a column twice, naming the row and the column', async () => {
    const path = await sparseFile([0, 1, 3], [0, 2, 2], [1, 2, 3]);
    await assert.rejects(read(path, 'csr', 2, 3), /row 1 stores column 2 twice/);
  });

  it('refuses a column index outside the matrix, negative ones too', async () => {
    const high = await sparseFile([0, 2], [0, 7], [1, 2]);
    await assert.rejects(read(high, 'csr', 1, 3), /index 7 out of range \[0, 3\)/);
    const negative = await sparseFile([0, 1], [-1], [1]);
    await assert.rejects(read(negative, 'csr', 1, 3), /index -1 out of range \[0, 3\)/);
  });

  it('transposes CSC into sorted CSR rows and refuses a row stored twice in one column', async () => {
    // The same [[1, 2, 3], [4, 5, 0]] by columns: column 0 holds rows 1, 0 (out of order).
    const path = await sparseFile([0, 2, 4, 5], [1, 0, 0, 1, 0], [4, 1, 2, 5, 3]);
    const m = await read(path, 'csc', 2, 3);
    assert.deepEqual([row(m, 0), row(m, 1)], SMALL_ROWS);
    const repeated = await sparseFile([0, 2, 2, 2], [1, 1], [1, 2]);
    await assert.rejects(read(repeated, 'csc', 2, 3), /row 1 stores column 0 twice/);
    const outside = await sparseFile([0, 1, 1, 1], [5], [1]);
    await assert.rejects(read(outside, 'csc', 2, 3), /index 5 out of range \[0, 2\)/);
  });

  it('checks and sorts a matrix large enough for row blocks on worker threads the same way', async () => {
    // 4,200 rows of 1,000 values (4.2M: four row blocks), columns 0, 2, 4, ... ascending.
    const nRows = 4200;
    const perRow = 1000;
    const indptr = Array.from({ length: nRows + 1 }, (_, r) => r * perRow);
    const indices = new Int32Array(nRows * perRow);
    const data = new Float32Array(nRows * perRow);
    for (let p = 0; p < indices.length; p++) {
      indices[p] = 2 * (p % perRow);
      data[p] = p % 7;
    }
    // Row 3500 (a worker's block) stored with its first two columns swapped.
    const at = 3500 * perRow;
    [indices[at], indices[at + 1]] = [indices[at + 1], indices[at]];
    [data[at], data[at + 1]] = [data[at + 1], data[at]];
    const path = await sparseFile(indptr, Array.from(indices), Array.from(data));
    rowBlockTesting.waitForWorkers = true;
    try {
      const m = await read(path, 'csr', nRows, 2 * perRow);
      assert.ok(isShared(m.indices) && isShared(m.data));
      assert.deepEqual(row(m, 3500).slice(0, 3), [
        [0, at % 7],
        [2, (at + 1) % 7],
        [4, (at + 2) % 7],
      ]);
      // Out of range in rows 3900 and 4100 (both past the first blocks): the first is named.
      indices[3900 * perRow + 5] = 99_999;
      indices[4100 * perRow] = 77_777;
      const outside = await sparseFile(indptr, Array.from(indices), Array.from(data));
      await assert.rejects(read(outside, 'csr', nRows, 2 * perRow), /index 99999 out of range/);
    } finally {
      rowBlockTesting.waitForWorkers = false;
    }
  });
});
