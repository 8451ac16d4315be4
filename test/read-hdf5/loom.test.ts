import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readLoom } from '../../src/read/loom.ts';
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
