import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import h5wasm from 'h5wasm/node';
import { isScgraphError } from '../../src/errors.ts';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import { readLoom } from '../../src/read/loom.ts';
import { readInput } from '../../src/read/read-input.ts';
import { assertMatrix, CASES, counts, reference } from './summary.ts';

const SCOPE = `${CASES}/14-loom-scope-style-attributes`;
const scope = JSON.parse(readFileSync(`${SCOPE}/expected.json`, 'utf8'));

describe('readLoom on a SCope-style file', () => {
  it('transposes genes × cells and keeps vlen string names', async () => {
    const data = await readLoom(`${SCOPE}/pbmc_scope.loom`);
    assert.equal(data.format, 'loom');
    assert.equal(data.X.nRows, scope.n_obs);
    assert.equal(data.X.nCols, scope.n_vars);
    assert.equal(
      data.X.data.reduce((a, b) => a + b, 0),
      scope.total_counts,
    );
    assert.deepEqual(data.cellIds.slice(0, 2), scope.obs_names_head);
    assert.deepEqual(data.geneIds.slice(0, 3), scope.var_names_head);
    assert.deepEqual(counts(data.obs.get('ClusterID')), scope['obs.ClusterID']);
  });

  it('turns compound embeddings into obsm arrays', async () => {
    const data = await readLoom(`${SCOPE}/pbmc_scope.loom`);
    const embedding = data.obsm.get('Embedding');
    assert.ok(embedding);
    assert.deepEqual([embedding.nRows, embedding.nCols], [80, 2]);
    for (const name of ['Embeddings_X', 'Embeddings_Y']) {
      const part = data.obsm.get(name);
      assert.ok(part, name);
      assert.equal(part.nRows, 80);
    }
    // Embeddings_X's only field is the first coordinate of the default embedding.
    assert.equal(data.obsm.get('Embeddings_X')?.data[0], embedding.data[0]);
    assert.ok(!data.obs.has('Embedding'));
  });
});

describe('readLoom on the bundled pbmc_small.loom', () => {
  const want = reference['pbmc_small.loom'];

  it('matches h5py: counts, names and label columns', async () => {
    const data = await readLoom('data/pbmc_small/pbmc_small.loom');
    assertMatrix(data.X, want.X, 'pbmc_small X');
    assert.deepEqual(data.cellIds.slice(0, 2), want.cell_ids_head);
    assert.deepEqual(data.geneIds.slice(0, 2), want.gene_ids_head);
    for (const [name, expected] of Object.entries(want.col_counts)) {
      assert.deepEqual(counts(data.obs.get(name)), expected, `${name} counts`);
    }
  });

  it('makes repeated gene ids unique and says so', async () => {
    const data = await readLoom('data/pbmc_small/pbmc_small.loom');
    assert.equal(new Set(data.geneIds).size, data.geneIds.length);
    assert.match(
      data.warnings.join('\n'),
      new RegExp(`${want.gene_ids_repeated} repeated gene ids`),
    );
  });
});

describe('readLoom beforeMatrix', () => {
  it('names the column attributes and embeddings that become obs and obsm', async () => {
    const calls: { obs: readonly string[]; obsm: readonly string[] }[] = [];
    const data = await readLoom(`${SCOPE}/pbmc_scope.loom`, {
      beforeMatrix: (found) => calls.push(found),
    });
    assert.equal(calls.length, 1);
    assert.ok(calls[0].obs.includes('ClusterID'));
    assert.ok(calls[0].obsm.includes('Embedding'));
    // Nothing named that the result lacks: the cell id attribute is not a column.
    assert.deepEqual([...calls[0].obs], [...data.obs.keys()]);
  });
});

/** Dense rows of a CSR matrix, for comparing with hand-written expectations. */
function denseRows(m: CsrMatrix): number[][] {
  return Array.from({ length: m.nRows }, (_, r) => {
    const row = new Array<number>(m.nCols).fill(0);
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) row[m.indices[p]] = m.data[p];
    return row;
  });
}

describe('readLoom layers and col_graphs', () => {
  // 3 genes × 4 cells, written here, so every expected value is known by hand.
  const matrix = [
    [1, 0, 2, 0],
    [0, 3, 0, 0],
    [4, 0, 0, 5],
  ];
  const spliced = matrix.map((row) => row.map((v) => v * 10));
  let dir: string;
  let path: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scgraph-loom-'));
    path = join(dir, 'layers.loom');
    await h5wasm.ready;
    const file = new h5wasm.File(path, 'w');
    file.create_dataset({ name: 'matrix', data: Float32Array.from(matrix.flat()), shape: [3, 4] });
    file.create_group('layers');
    file.create_dataset({
      name: 'layers/spliced',
      data: Float32Array.from(spliced.flat()),
      shape: [3, 4],
    });
    file.create_group('row_attrs');
    file.create_dataset({ name: 'row_attrs/Gene', data: ['g1', 'g2', 'g3'], dtype: 'S' });
    file.create_group('col_attrs');
    file.create_dataset({ name: 'col_attrs/CellID', data: ['c1', 'c2', 'c3', 'c4'], dtype: 'S' });
    file.create_group('col_graphs');
    file.create_group('col_graphs/knn');
    file.create_dataset({ name: 'col_graphs/knn/a', data: Int32Array.of(0, 1, 3) });
    file.create_dataset({ name: 'col_graphs/knn/b', data: Int32Array.of(1, 0, 2) });
    file.create_dataset({ name: 'col_graphs/knn/w', data: Float32Array.of(0.5, 0.5, 2) });
    file.create_group('col_graphs/broken');
    file.create_dataset({ name: 'col_graphs/broken/a', data: Int32Array.of(0) });
    file.create_dataset({ name: 'col_graphs/broken/b', data: Int32Array.of(9) });
    file.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const transposed = (m: number[][]) => m[0].map((_, c) => m.map((row) => row[c]));

  it('reads /matrix by default and a layer when asked, cells as rows', async () => {
    const main = await readLoom(path);
    assert.equal(main.matrixName, 'matrix');
    assert.deepEqual(denseRows(main.X), transposed(matrix));
    const layer = await readLoom(path, { matrix: 'layers/spliced' });
    assert.equal(layer.matrixName, 'layers/spliced');
    assert.deepEqual(denseRows(layer.X), transposed(spliced));
    await assert.rejects(readLoom(path, { matrix: 'layers/unspliced' }), (error: unknown) => {
      assert.ok(isScgraphError(error));
      assert.equal(error.kind, 'invalid-parameter');
      assert.match(
        error.message,
        /'layers\/unspliced' is not in .*available: matrix, layers\/spliced/,
      );
      return true;
    });
  });

  it('turns col_graphs into cells × cells obsp, skipping one that does not fit', async () => {
    const data = await readLoom(path);
    assert.deepEqual([...data.obsp.keys()], ['knn']);
    assert.deepEqual(denseRows(data.obsp.get('knn')!), [
      [0, 0.5, 0, 0],
      [0.5, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 2, 0],
    ]);
    assert.ok(
      data.warnings.some((w) => /col_graphs\/broken.*cell 9/.test(w)),
      data.warnings.join('; '),
    );
  });

  it('refuses --matrix for a format with one matrix', async () => {
    await assert.rejects(
      readInput('data/pbmc_small/10x_v2', { matrix: 'raw' }),
      (error: unknown) => {
        assert.ok(isScgraphError(error));
        assert.equal(error.field, 'matrix');
        assert.match(error.message, /10x-mtx/);
        return true;
      },
    );
  });
});
