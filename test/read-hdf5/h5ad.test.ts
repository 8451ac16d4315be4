import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import h5wasm from 'h5wasm/node';
import { ScgraphError } from '../../src/errors.ts';
import { readH5ad } from '../../src/read/h5ad.ts';
import {
  ARCHIVES,
  assertColumn,
  assertMatrix,
  CASES,
  close,
  counts,
  FIXTURES,
  reference,
} from './summary.ts';

const LEGACY = `${CASES}/09-h5ad-pre-0.7-legacy-layout`;
const legacy = JSON.parse(readFileSync(`${LEGACY}/expected.json`, 'utf8'));
const legacyFile = `${LEGACY}/old_scanpy_2018.h5ad`;

function total(data: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  return sum;
}

describe('readH5ad on a 2018 (pre-0.7) file', () => {
  it('reads X, names and categorical columns as the case expects', async () => {
    const data = await readH5ad(legacyFile);
    assert.equal(data.X.nRows, legacy.n_obs);
    assert.equal(data.X.nCols, legacy.n_vars);
    assert.equal(data.matrixName, 'X');
    close(total(data.X.data), 9027.935, 'X sum', 1e-6);
    assert.deepEqual(data.cellIds.slice(0, 2), legacy.obs_names_head);
    assert.deepEqual(data.geneIds.slice(0, 2), legacy.var_names_head);
    assert.ok(!data.cellIds.some((id) => id.startsWith("b'")));
    for (const name of ['cell_type', 'group']) {
      const column = data.obs.get(name);
      assert.ok(column?.kind === 'categorical', `${name} is categorical`);
      assert.deepEqual(column.categories, legacy[`obs.${name}`].categories);
      assert.deepEqual(counts(column), legacy[`obs.${name}`].counts);
    }
  });

  it('recognises the uns/neighbors graph as obsp', async () => {
    const data = await readH5ad(legacyFile);
    const distances = data.obsp.get('distances');
    const connectivities = data.obsp.get('connectivities');
    assert.ok(distances && connectivities);
    assert.equal(distances.data.length, legacy.graph.distances_nnz);
    assert.equal(connectivities.data.length, legacy.graph.connectivities_nnz);
    assert.deepEqual([distances.nRows, distances.nCols], legacy.graph.shape);
    assert.deepEqual([connectivities.nRows, connectivities.nCols], legacy.graph.shape);
  });

  it("reads the root 'raw.X'/'raw.var' when asked for raw", async () => {
    const data = await readH5ad(legacyFile, { matrix: 'raw' });
    assert.equal(data.matrixName, 'raw.X');
    assert.equal(data.X.nCols, legacy.raw.n_vars);
    assert.equal(total(data.X.data), legacy.raw.total_counts);
    assert.equal(data.geneIds.length, legacy.raw.n_vars);
  });
});

for (const version of ['0.7.0', '0.7.8']) {
  describe(`readH5ad on anndata ${version}'s archive (LZF-compressed, __categories)`, () => {
    const file = `${ARCHIVES}/v${version}/adata.h5ad`;
    const want = reference[`anndata-${version}`];

    it('matches anndata for X, names and every obs/var column', async () => {
      const data = await readH5ad(file);
      assertMatrix(data.X, want.X, 'X');
      assert.deepEqual(data.cellIds.slice(0, 3), want.obs_names_head);
      assert.deepEqual(data.geneIds.slice(0, 3), want.var_names_head);
      assert.deepEqual([...data.obs.keys()].sort(), Object.keys(want.obs).sort());
      for (const [name, expected] of Object.entries(want.obs))
        assertColumn(data.obs.get(name), expected, `obs.${name}`);
      for (const [name, expected] of Object.entries(want.var))
        assertColumn(data.var.get(name), expected, `var.${name}`);
    });

    it('reads layers and raw, keeps dense obsm, skips the dataframe obsm with a warning', async () => {
      for (const [name, expected] of Object.entries(want.layers)) {
        const data = await readH5ad(file, { matrix: `layers/${name}` });
        assertMatrix(data.X, expected as never, `layers/${name}`);
      }
      const raw = await readH5ad(file, { matrix: 'raw' });
      assertMatrix(raw.X, want.raw.X, 'raw/X');
      assert.deepEqual(raw.geneIds.slice(0, 3), want.raw.var_names_head);
      const data = await readH5ad(file);
      const array = data.obsm.get('array');
      assert.ok(array);
      assert.deepEqual([array.nRows, array.nCols], want.obsm_dense.array.shape);
      close(total(array.data), want.obsm_dense.array.sum, 'obsm array sum', 1e-9);
      assert.ok(!data.obsm.has('df'));
      assert.match(data.warnings.join('\n'), /obsm 'df'/);
      for (const [name, expected] of Object.entries(want.obsp)) {
        const graph = data.obsp.get(name);
        assert.ok(graph, `obsp ${name}`);
        assertMatrix(graph, expected as never, `obsp/${name}`);
      }
    });
  });
}

describe('readH5ad on the bundled HSMM dataset', () => {
  const want = reference.hsmm;

  it('matches anndata: 271 cells × 47192 genes, label columns and pseudotime', async () => {
    const data = await readH5ad('data/hsmm/hsmm.h5ad');
    assertMatrix(data.X, want.X, 'hsmm X');
    assert.deepEqual(data.cellIds.slice(0, 3), want.obs_names_head);
    assert.deepEqual(data.geneIds.slice(0, 3), want.var_names_head);
    for (const name of ['hours', 'media', 'state']) {
      assert.deepEqual(counts(data.obs.get(name)), want.obs_counts[name], `${name} counts`);
    }
    assertColumn(data.obs.get('pseudotime'), want.obs.pseudotime, 'pseudotime');
    assertColumn(data.obs.get('mapped_fragments'), want.obs.mapped_fragments, 'mapped_fragments');
  });
});

describe('readH5ad on files written by anndata 0.8', () => {
  for (const name of ['csr.h5ad', 'csc.h5ad', 'dense.h5ad', 'integer.h5ad']) {
    it(`matches anndata for ${name}`, async () => {
      const want = reference[name];
      const data = await readH5ad(`${FIXTURES}/${name}`);
      assertMatrix(data.X, want.X, `${name} X`);
      assert.deepEqual(data.cellIds.slice(0, 3), want.obs_names_head);
      for (const [column, expected] of Object.entries(want.obs))
        assertColumn(data.obs.get(column), expected, `obs.${column}`);
      for (const [column, expected] of Object.entries(want.var))
        assertColumn(data.var.get(column), expected, `var.${column}`);
      const counts = await readH5ad(`${FIXTURES}/${name}`, { matrix: 'layers/counts' });
      assertMatrix(counts.X, want.layers.counts, `${name} layers/counts`);
      const raw = await readH5ad(`${FIXTURES}/${name}`, { matrix: 'raw' });
      assertMatrix(raw.X, want.raw.X, `${name} raw/X`);
      const graph = data.obsp.get('connectivities');
      assert.ok(graph);
      assertMatrix(graph, want.obsp.connectivities, `${name} obsp`);
      const pca = data.obsm.get('X_pca');
      assert.ok(pca);
      close(total(pca.data), want.obsm_dense.X_pca.sum, 'X_pca sum', 1e-6);
    });
  }

  it('lists the available matrices when asked for one that does not exist', async () => {
    await assert.rejects(
      readH5ad(`${FIXTURES}/csr.h5ad`, { matrix: 'layers/spliced' }),
      (error: unknown) => {
        assert.ok(error instanceof ScgraphError);
        assert.equal(error.kind, 'invalid-parameter');
        assert.match(error.message, /X, raw, layers\/counts/);
        return true;
      },
    );
  });

  it('refuses duplicate cell ids, naming the first repeats', async () => {
    await assert.rejects(readH5ad(`${FIXTURES}/duplicate-cells.h5ad`), (error: unknown) => {
      assert.ok(error instanceof ScgraphError);
      assert.equal(error.kind, 'invalid-input');
      assert.match(
        error.message,
        new RegExp(reference['duplicate-cells.h5ad'].first_duplicates.join(', ')),
      );
      return true;
    });
  });

  it('refuses duplicate gene ids, naming the repeat', async () => {
    await assert.rejects(readH5ad(`${FIXTURES}/duplicate-genes.h5ad`), (error: unknown) => {
      assert.ok(error instanceof ScgraphError);
      assert.equal(error.kind, 'invalid-input');
      assert.match(error.message, /gene ids/);
      assert.match(
        error.message,
        new RegExp(`repeated: ${reference['duplicate-genes.h5ad'].first_duplicates.join(', ')}$`),
      );
      return true;
    });
  });

  it('refuses an obs table whose length differs from X, naming obs', async () => {
    await assert.rejects(readH5ad(`${FIXTURES}/obs-mismatch.h5ad`), (error: unknown) => {
      assert.ok(error instanceof ScgraphError);
      assert.equal(error.kind, 'invalid-input');
      assert.equal(error.field, 'obs');
      assert.match(error.message, /9 entries.*10/);
      return true;
    });
  });
});

describe('readH5ad beforeMatrix', () => {
  it('names the obs columns and obsp graphs, the pre-0.7 ones included', async () => {
    const calls: unknown[] = [];
    await readH5ad(legacyFile, { beforeMatrix: (found) => calls.push(found) });
    assert.equal(calls.length, 1);
    const found = calls[0] as { obs: string[]; obsm: string[]; obsp: string[] };
    for (const name of ['cell_type', 'group']) assert.ok(found.obs.includes(name), name);
    // The case says the graph under uns/neighbors is the cell graph.
    assert.ok(found.obsp.includes('connectivities'));
  });

  it('is called before X is read: its error wins over a broken matrix', async () => {
    // obs and var are fine; X/data holds strings, which reading X rejects.
    const dir = mkdtempSync(join(tmpdir(), 'scgraph-before-'));
    const path = join(dir, 'broken-x.h5ad');
    try {
      await h5wasm.ready;
      const file = new h5wasm.File(path, 'w');
      for (const [name, ids] of [
        ['obs', ['c1', 'c2']],
        ['var', ['g1', 'g2']],
      ] as const) {
        const group = file.create_group(name);
        group.create_attribute('_index', '_index');
        group.create_attribute('encoding-type', 'dataframe');
        group.create_attribute('encoding-version', '0.2.0');
        group.create_dataset({ name: '_index', data: [...ids], dtype: 'S' });
        if (name === 'obs') group.create_dataset({ name: 'kind', data: ['a', 'b'], dtype: 'S' });
      }
      const x = file.create_group('X');
      x.create_attribute('encoding-type', 'csr_matrix');
      x.create_attribute('encoding-version', '0.1.0');
      x.create_attribute('shape', [2, 2]);
      x.create_dataset({ name: 'data', data: ['x', 'y'], dtype: 'S' });
      x.create_dataset({ name: 'indices', data: Int32Array.of(0, 1) });
      x.create_dataset({ name: 'indptr', data: Int32Array.of(0, 1, 2) });
      file.close();
      await assert.rejects(readH5ad(path), /numeric|data/i);
      const seen: string[][] = [];
      await assert.rejects(
        readH5ad(path, {
          beforeMatrix: (found) => {
            seen.push([...found.obs]);
            throw new Error('stop before the matrix');
          },
        }),
        /stop before the matrix/,
      );
      assert.deepEqual(seen, [['kind']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
