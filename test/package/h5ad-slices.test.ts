import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import { writeH5ad } from '../../src/package/h5ad-writer.ts';
import { pythonSkipReason, runPythonJson } from './python.ts';
import { N, smallDataset } from './small-dataset.ts';

const skip = pythonSkipReason();

/** 50 cells × 12,000 genes, every value stored: 600,000 values, over two 1 MiB chunks of float32. */
const GENES = 12_000;
function wideX(): CsrMatrix {
  const nnz = N * GENES;
  const indptr = Float64Array.from({ length: N + 1 }, (_, i) => i * GENES);
  const indices = Int32Array.from({ length: nnz }, (_, p) => p % GENES);
  const data = Float32Array.from({ length: nnz }, (_, p) => (p % 997) / 8);
  return { nRows: N, nCols: GENES, indptr, indices, data };
}

// h5py reads the file (not our reader): X's values, and how its data array is chunked.
const READ_X = `
import json, sys, h5py, numpy as np, anndata
a = anndata.read_h5ad(sys.argv[1])
X = a.X
with h5py.File(sys.argv[1], "r") as f:
    chunks = list(f["X/data"].chunks)
print(json.dumps({"shape": list(X.shape), "nnz": int(X.nnz),
  "data_sum": float(np.asarray(X.data, dtype=np.float64).sum()),
  "index_sum": int(X.indices.astype(np.int64).sum()),
  "last_row": [float(v) for v in X[${N - 1}, ${GENES - 3}:].toarray().ravel()],
  "chunks": chunks}))
`;

describe('h5ad writer: arrays larger than the wasm slice are written slice by slice', {
  skip,
}, () => {
  const root = mkdtempSync(join(tmpdir(), 'scgraph-slices-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('writes the same values whole or in one-chunk slices, readable by anndata', async () => {
    const X = wideX();
    const dataset = smallDataset({
      X,
      geneIds: Array.from({ length: GENES }, (_, j) => `g${j}`),
      var: new Map(),
    });
    const whole = join(root, 'whole.h5ad');
    const sliced = join(root, 'sliced.h5ad');
    await writeH5ad(whole, dataset);
    // One byte rounds up to one chunk per slice: three slices for 600,000 values.
    await writeH5ad(sliced, dataset, { sliceBytes: 1 });

    let dataSum = 0;
    let indexSum = 0;
    for (let p = 0; p < X.data.length; p++) {
      dataSum += X.data[p];
      indexSum += X.indices[p];
    }
    const lastRow = [GENES - 3, GENES - 2, GENES - 1].map((j) => (((N - 1) * GENES + j) % 997) / 8);
    for (const path of [whole, sliced]) {
      // biome-ignore lint/suspicious/noExplicitAny: JSON printed by Python
      const seen = runPythonJson(['-c', READ_X, path]) as any;
      assert.deepEqual(seen.shape, [N, GENES]);
      assert.equal(seen.nnz, N * GENES);
      assert.ok(Math.abs(seen.data_sum - dataSum) < 1e-6 * dataSum, `${path}: ${seen.data_sum}`);
      assert.equal(seen.index_sum, indexSum);
      assert.deepEqual(seen.last_row, lastRow);
      assert.deepEqual(seen.chunks, [262_144]);
    }
    // Same bytes on a second sliced write.
    const again = join(root, 'again.h5ad');
    await writeH5ad(again, dataset, { sliceBytes: 1 });
    assert.ok(readFileSync(again).equals(readFileSync(sliced)));
  });
});
