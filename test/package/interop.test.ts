import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writePackage } from '../../src/package/write-package.ts';
import { inspectPackage, pythonSkipReason } from './python.ts';
import { G, N, smallDataset, UNLABELED, xValue } from './small-dataset.ts';

const skip = pythonSkipReason();

// Expected values follow from the construction rules in small-dataset.ts, worked out here
// by hand or by small loops over those rules; float sums are compared to 1e-4.
describe('package interop with anndata and numpy', { skip }, () => {
  let root: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON printed by Python; the assertions check its shape
  let seen: any;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'scgraph-interop-'));
    const source = join(root, 'input.txt');
    writeFileSync(source, 'hello\n');
    const { dir } = await writePackage(join(root, 'pkg'), smallDataset(), {
      source: { path: source },
      parameters: { k: 4 },
      graphStats: null,
    });
    seen = inspectPackage(join(dir, 'dataset.h5ad'), join(dir, 'graph.npz'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads X as a float32 CSR matrix with the built values', () => {
    let sum = 0;
    let nnz = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < G; j++) {
        sum += xValue(i, j);
        nnz += xValue(i, j) === 0 ? 0 : 1;
      }
    }
    const { h5ad } = seen;
    assert.deepEqual(h5ad.shape, [50, 6]);
    assert.equal(h5ad.X.format, 'csr');
    assert.equal(h5ad.X.dtype, 'float32');
    // One index type, as scipy makes them: tocoo() and nonzero() fail on int32 indices with int64 indptr.
    assert.deepEqual(h5ad.X_index_dtypes, ['int32', 'int32']);
    assert.equal(h5ad.X.coo_nnz, nnz);
    assert.equal(h5ad.X.nonzero_count, nnz);
    assert.equal(h5ad.X.nnz, nnz);
    assert.ok(Math.abs(h5ad.X.sum - sum) < 1e-4, `X sum ${h5ad.X.sum} vs ${sum}`);
    assert.deepEqual(h5ad.obs_names, ['cell-0', 'cell-1', 'cell-2']);
    assert.deepEqual(h5ad.var_names, ['G0', 'G1', 'G2', 'G3', 'G4', 'G5']);
  });

  it('reads obs columns of every kind, with labels and split as categoricals', () => {
    const { obs, obs_columns } = seen.h5ad;
    assert.deepEqual(obs_columns, [
      'n_counts',
      'n_genes',
      'is_doublet',
      'note',
      'batch',
      'cell_type',
      'split',
    ]);
    assert.deepEqual(obs.n_counts, { dtype: 'float64', sum: 1.5 * ((49 * 50) / 2) });
    assert.equal(obs.n_genes.dtype, 'int64');
    assert.deepEqual(obs.is_doublet, { dtype: 'bool', true: 5 });
    assert.deepEqual(obs.note, { dtype: 'object', first: 'note 0 é' });
    assert.deepEqual(obs.batch.counts, { b1: 25, b2: 25 });
    // Cell 7 (i % 3 == 1) is the unlabeled one, so B loses a cell.
    assert.deepEqual(obs.cell_type, {
      dtype: 'category',
      categories: ['A', 'B', 'C'],
      ordered: false,
      counts: { A: 17, B: 16, C: 16 },
      missing: 1,
    });
    // i % 5 in {0,1,2}: 30 cells, less cell 7; 10 each for val and test.
    assert.deepEqual(obs.split, {
      dtype: 'category',
      categories: ['train', 'val', 'test'],
      ordered: false,
      counts: { train: 29, val: 10, test: 10 },
      missing: 1,
    });
    assert.deepEqual(seen.h5ad.var, {
      highly_variable: 'bool',
      means: 'float64',
      dispersions_norm: 'float64',
    });
  });

  it('reads obsm and obsp with the graphs symmetric', () => {
    const { obsm, obsp } = seen.h5ad;
    assert.deepEqual(obsm.X_pca, { shape: [50, 4], dtype: 'float32', sum: 2750 });
    assert.deepEqual(obsm.spatial, { shape: [50, 2], dtype: 'float64', sum: 325 });
    // Ring: 4 neighbours per cell (200 entries) plus the self loop on cell 0.
    assert.equal(obsp.connectivities.nnz, 201);
    for (const [name, m] of Object.entries(obsp) as [string, Record<string, unknown>][]) {
      assert.deepEqual(m.index_dtypes, ['int32', 'int32'], name);
      assert.equal(m.coo_nnz, m.nnz, name);
    }
    assert.equal(obsp.connectivities.symmetric, true);
    assert.ok(Math.abs(obsp.connectivities.sum - (50 * 2 * 1.5 + 1)) < 1e-4);
    assert.equal(obsp.distances.nnz, 201);
    assert.equal(obsp.spatial_connectivities.nnz, 170);
    assert.equal(obsp.spatial_connectivities.symmetric, true);
    assert.equal(obsp.spatial_distances.nnz, 170);
  });

  it('reads uns neighbors as scanpy writes them, and the build parameters', () => {
    const { uns } = seen.h5ad;
    assert.deepEqual(Object.keys(uns.neighbors).sort(), [
      'connectivities_key',
      'distances_key',
      'params',
    ]);
    assert.deepEqual(uns.neighbors.params, {
      method: 'umap',
      metric: 'euclidean',
      n_neighbors: { int: 4 },
      n_pcs: { int: 4 },
      random_state: { int: 0 },
    });
    assert.equal(uns.spatial_neighbors.connectivities_key, 'spatial_connectivities');
    assert.equal(uns.spatial_neighbors.distances_key, 'spatial_distances');
    assert.deepEqual(uns.scgraph.normalize, { log1p: { bool: true }, target_sum: { int: 10000 } });
    assert.deepEqual(uns.scgraph.hvg.fractions, [0.5, 0.25]);
    assert.equal(uns.scgraph.tool, 'scgraph');
    // null has no AnnData form and is left out.
    assert.deepEqual(Object.keys(uns.scgraph.qc).sort(), ['min_cells', 'min_genes']);
  });

  it('loads graph.npz without pickle, with PyG dtypes and shapes', () => {
    const { members } = seen.npz;
    assert.deepEqual(members, {
      x: { dtype: '<f4', shape: [50, 4] },
      edge_index: { dtype: '<i8', shape: [2, 200] },
      edge_weight: { dtype: '<f4', shape: [200] },
      y: { dtype: '<i8', shape: [50] },
      train_mask: { dtype: '|b1', shape: [50] },
      val_mask: { dtype: '|b1', shape: [50] },
      test_mask: { dtype: '|b1', shape: [50] },
      label_names: { dtype: '<U1', shape: [3] },
      cell_ids: { dtype: '<U7', shape: [50] },
      pos: { dtype: '<f4', shape: [50, 2] },
    });
  });

  it('stores each undirected edge both ways, sorted, without self loops', () => {
    const { edges, masks, y_counts, label_names, cell_ids, x_sum, pos_sum } = seen.npz;
    assert.deepEqual(edges, {
      self_loops: 0,
      sorted: true,
      symmetric: true,
      unique: true,
      weight_sum: 50 * 2 * 1.5,
    });
    assert.deepEqual(masks, { train_mask: 29, val_mask: 10, test_mask: 10 });
    assert.deepEqual(y_counts, { '-1': 1, '0': 17, '1': 16, '2': 16 });
    assert.equal(UNLABELED % 3, 1);
    assert.deepEqual(label_names, ['A', 'B', 'C']);
    assert.deepEqual(cell_ids, ['cell-0', 'cell-1', 'cell-2']);
    assert.equal(x_sum, 2750);
    assert.equal(pos_sum, 325);
  });
});

describe('package interop for a spatial dataset without labels', { skip }, () => {
  it('writes empty label names, no masks set and only the spatial graph', async () => {
    const root = mkdtempSync(join(tmpdir(), 'scgraph-interop-'));
    try {
      const source = join(root, 'input.txt');
      writeFileSync(source, 'x');
      const dataset = smallDataset({
        graph: undefined,
        primaryGraph: 'spatial',
        labels: undefined,
        split: undefined,
        pca: undefined,
        obs: new Map(),
        var: new Map(),
        uns: {},
      });
      const { dir, manifest } = await writePackage(join(root, 'pkg'), dataset, {
        source: { path: source },
        parameters: {},
        graphStats: null,
      });
      // The 10 × 5 grid: 9 × 5 horizontal plus 10 × 4 vertical edges.
      assert.equal(manifest.counts.edges, 85);
      const seen = inspectPackage(join(dir, 'dataset.h5ad'), join(dir, 'graph.npz')) as {
        h5ad: { obs: object; obsm: object; obsp: object; uns: Record<string, unknown> };
        npz: { members: Record<string, unknown>; masks: object; y_counts: object; edges: object };
      };
      assert.deepEqual(seen.h5ad.obs, {});
      assert.deepEqual(Object.keys(seen.h5ad.obsm), ['spatial']);
      assert.deepEqual(Object.keys(seen.h5ad.obsp).sort(), [
        'spatial_connectivities',
        'spatial_distances',
      ]);
      assert.deepEqual(Object.keys(seen.h5ad.uns).sort(), ['scgraph', 'spatial_neighbors']);
      assert.deepEqual(seen.npz.members.label_names, { dtype: '<U1', shape: [0] });
      assert.deepEqual(seen.npz.masks, { train_mask: 0, val_mask: 0, test_mask: 0 });
      assert.deepEqual(seen.npz.y_counts, { '-1': 50 });
      assert.deepEqual(seen.npz.edges, {
        self_loops: 0,
        sorted: true,
        symmetric: true,
        unique: true,
        weight_sum: 170,
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
