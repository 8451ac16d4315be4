import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildPackage } from '../../src/build.ts';
import { dataPath, pythonSkipReason, runPythonJson } from './helpers.ts';

// Builds with non-default options, checked through what anndata and numpy read
// back. Expected values come from the inputs' own documented figures
// (test/fixtures/cases/*/expected.json) or from properties the option promises.
const FACTS = fileURLToPath(new URL('../fixtures/e2e/options_facts.py', import.meta.url));
const python = pythonSkipReason();
const LEGACY = dataPath('cases/09-h5ad-pre-0.7-legacy-layout/old_scanpy_2018.h5ad');
const HSMM = dataPath('hsmm/hsmm.h5ad');
const VISIUM = dataPath('visium');

interface Facts {
  n_obs: number;
  obsm: string[];
  obsp: Record<string, number>;
  x_shape: number[];
  x: number[][] | null;
  edges: number;
  min_degree: number;
  max_degree: number;
  cross_blob_edges?: number;
  split_counts?: Record<string, number>;
  groups_in_more_than_one_part?: number;
  order_ranges?: Record<string, [number, number]>;
}
const facts = (dir: string, ...cols: string[]) =>
  runPythonJson(FACTS, ['package', dir, ...cols]) as Facts;

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'scgraph-e2e-options-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('build options', { skip: python }, () => {
  it('keeps the graph stored in the file with --use-graph', {
    skip: !LEGACY && 'case 09 missing',
  }, async () => {
    const out = join(root, 'legacy');
    await buildPackage(LEGACY!, out, {
      useGraph: 'connectivities',
      transform: 'none',
      minCells: 0,
      minGenes: 0,
    });
    const f = facts(out);
    // expected.json of case 09: connectivities_nnz 568, distances_nnz 400, 80 cells.
    assert.equal(f.n_obs, 80);
    assert.equal(f.obsp.connectivities, 568);
    assert.equal(f.obsp.distances, 400);
  });

  it('builds the kNN graph on the embedding named by --use-rep', async () => {
    const file = join(root, 'rep.h5ad');
    runPythonJson(FACTS, ['make-rep', file]);
    const out = join(root, 'rep');
    await buildPackage(file, out, { useRep: 'X_emb', k: 10, label: 'blob' });
    const f = facts(out);
    assert.deepEqual(f.x_shape, [120, 2]);
    assert.ok(!f.obsm.includes('X_pca'), 'no PCA is computed when an embedding is given');
    // Three blobs 50 units apart with unit spread: 10 nearest neighbours never cross.
    assert.equal(f.cross_blob_edges, 0);
  });

  it('keeps every group in one part with --split group', {
    skip: !HSMM && 'hsmm missing',
  }, async () => {
    const out = join(root, 'group');
    await buildPackage(HSMM!, out, {
      label: 'hours',
      transform: 'log1p',
      split: 'group',
      splitColumn: 'well',
    });
    const f = facts(out, 'well');
    assert.equal(f.groups_in_more_than_one_part, 0);
    const total = Object.values(f.split_counts!).reduce((a, b) => a + b, 0);
    assert.equal(total, 271);
    // 96 wells of about 3 cells: the parts land within 10 points of 60/20/20.
    assert.ok(Math.abs(f.split_counts!.train / total - 0.6) < 0.1, JSON.stringify(f.split_counts));
    assert.ok(Math.abs(f.split_counts!.test / total - 0.2) < 0.1, JSON.stringify(f.split_counts));
  });

  it('puts earlier times before later ones with --split ordered', {
    skip: !HSMM && 'hsmm missing',
  }, async () => {
    const out = join(root, 'ordered');
    await buildPackage(HSMM!, out, {
      label: 'media',
      transform: 'log1p',
      split: 'ordered',
      splitColumn: 'hours',
    });
    const { order_ranges: r } = facts(out, '', 'hours');
    assert.ok(r?.train && r.val && r.test, JSON.stringify(r));
    assert.ok(r.train[1] < r.val[0], JSON.stringify(r));
    assert.ok(r.val[1] < r.test[0], JSON.stringify(r));
  });

  it('builds spatial kNN and Delaunay graphs on Visium spots', {
    skip: !VISIUM && 'visium missing',
  }, async () => {
    const knnOut = join(root, 'visium-knn');
    await buildPackage(VISIUM!, knnOut, { spatialGraph: 'knn', spatialK: 6 });
    const knn = facts(knnOut);
    // A symmetrized 6-NN graph gives every spot at least 6 neighbours.
    assert.ok(knn.min_degree >= 6, `min degree ${knn.min_degree}`);

    const delOut = join(root, 'visium-delaunay');
    await buildPackage(VISIUM!, delOut, { spatialGraph: 'delaunay' });
    const del = facts(delOut);
    // A planar triangulation of n points has at most 3n - 6 edges (both directions stored).
    assert.ok(del.edges / 2 <= 3 * del.n_obs - 6, `${del.edges / 2} edges for ${del.n_obs} spots`);
    assert.ok(del.min_degree >= 1);
  });
});
