import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from 'h5wasm/node';
import h5wasm from 'h5wasm/node';
import type { BuildOptions, BuildResult } from '../../src/build.ts';
import { buildPackage } from '../../src/build.ts';
import { dataPath, type NpyArray, readNpz } from './helpers.ts';

// Counts worked out from the input files by test/fixtures/e2e/make_expected.py
// (anndata/h5py/scipy/pandas), never from scgraph's own output.
interface Expected {
  cellsIn: number;
  genesIn: number;
  cells: number;
  genesKept: number;
  classCounts?: Record<string, number>;
  /** Per class: [train, val, test] by the documented largest-remainder rule. */
  splitSizes?: Record<string, [number, number, number]>;
  inTissue?: number;
  /** Visium hexagonal grid among the kept spots: undirected edges, spots per degree 0-6. */
  gridEdges?: number;
  gridDegrees?: number[];
}
const EXPECTED: Record<string, Expected> = JSON.parse(
  readFileSync(new URL('../fixtures/e2e/expected.json', import.meta.url), 'utf8'),
);

interface Case {
  key: string;
  input: string;
  options: BuildOptions;
}

const CASES: Case[] = [
  { key: 'hsmm', input: 'hsmm/hsmm.h5ad', options: { label: 'hours', transform: 'log1p' } },
  {
    key: 'hsmm_max_mito_0.1',
    input: 'hsmm/hsmm.h5ad',
    options: { label: 'hours', transform: 'log1p', maxMitoFraction: 0.1 },
  },
  {
    key: 'lung',
    input: 'lung/lung_expression.csv.gz',
    options: { cellMetadata: 'lung/lung_cells.csv', label: 'Time', transform: 'log1p' },
  },
  {
    key: 'guo',
    input: 'guo/guo_qpcr.tsv',
    options: { label: 'stage', transform: 'none', minGenes: 0, minCells: 0 },
  },
  {
    key: 'pbmc_10x',
    input: 'pbmc_small/10x_v2',
    options: { cellMetadata: 'pbmc_small/cells.csv', label: 'cluster' },
  },
  { key: 'pbmc_loom', input: 'pbmc_small/pbmc_small.loom', options: { label: 'cluster' } },
  { key: 'visium', input: 'visium', options: {} },
  { key: 'tenx_v3_tiny', input: 'tenx_v3_tiny', options: {} },
  { key: 'anndata_v0.7.0', input: 'anndata_archives/v0.7.0/adata.h5ad', options: {} },
  { key: 'anndata_v0.7.8', input: 'anndata_archives/v0.7.8/adata.h5ad', options: {} },
];

const NTOP = 2000;

let root: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'scgraph-e2e-build-'));
  await h5wasm.ready;
});
after(() => rmSync(root, { recursive: true, force: true }));

for (const c of CASES) {
  const input = dataPath(c.input);
  const metadata = c.options.cellMetadata && dataPath(c.options.cellMetadata);
  const skip =
    !input || (c.options.cellMetadata && !metadata)
      ? `${c.input} is not in data/ or test/fixtures/`
      : false;
  const expected = EXPECTED[c.key];

  describe(`build ${c.key} (${c.input})`, { skip }, () => {
    let result: BuildResult;
    // biome-ignore lint/suspicious/noExplicitAny: manifest JSON; the assertions check its shape
    let manifest: any;
    let npz: Map<string, NpyArray>;
    let uns: { cellsIn: number; genesIn: number; cellsKept: number; genesKept: number };

    before(async () => {
      const options = { ...c.options, ...(metadata && { cellMetadata: metadata }) };
      result = await buildPackage(input!, join(root, c.key), options);
      manifest = JSON.parse(readFileSync(join(result.dir, 'manifest.json'), 'utf8'));
      npz = readNpz(join(result.dir, 'graph.npz'));
      const file = new h5wasm.File(join(result.dir, 'dataset.h5ad'), 'r');
      try {
        const read = (k: string) =>
          Number((file.get(`uns/scgraph/qc/${k}`) as Dataset).value as bigint);
        uns = {
          cellsIn: read('cellsIn'),
          genesIn: read('genesIn'),
          cellsKept: read('cellsKept'),
          genesKept: read('genesKept'),
        };
      } finally {
        file.close();
      }
    });

    it('records the warnings of the build in the manifest', () => {
      assert.deepEqual(manifest.warnings, result.warnings);
    });

    it('keeps the cells and genes that the QC rule keeps', () => {
      assert.equal(uns.cellsIn, expected.cellsIn);
      assert.equal(uns.genesIn, expected.genesIn);
      assert.equal(uns.cellsKept, expected.cells);
      assert.equal(uns.genesKept, expected.genesKept);
      assert.equal(manifest.counts.cells, expected.cells);
      // The package holds the highly variable genes: all of them when there are at most
      // NTOP, otherwise at least NTOP (ties at the cut are kept) and never more than QC kept.
      if (expected.genesKept <= NTOP) assert.equal(manifest.counts.genes, expected.genesKept);
      else {
        assert.ok(manifest.counts.genes >= NTOP, `${manifest.counts.genes} genes`);
        assert.ok(manifest.counts.genes <= expected.genesKept);
      }
    });

    it('writes x, y and masks with one row per kept cell', () => {
      const n = expected.cells;
      assert.deepEqual(npz.get('x')?.shape, [n, manifest.counts.features]);
      assert.deepEqual(npz.get('y')?.shape, [n]);
      for (const m of ['train_mask', 'val_mask', 'test_mask'])
        assert.deepEqual(npz.get(m)?.shape, [n]);
      const edgeIndex = npz.get('edge_index')!;
      assert.equal(edgeIndex.shape[0], 2);
      // graph.npz stores each undirected edge in both directions.
      assert.equal(edgeIndex.shape[1], 2 * manifest.counts.edges);
    });

    if (expected.classCounts) {
      it('counts each label class as pandas does', () => {
        assert.deepEqual(manifest.labels.classCounts, expected.classCounts);
        const names: string[] = [...manifest.labels.names].sort();
        assert.deepEqual(names, Object.keys(expected.classCounts!).sort());
        assert.equal(manifest.labels.unlabeled, 0);
      });

      it('splits every class 60/20/20 by largest remainder, with disjoint masks', () => {
        const names = npz.get('label_names')!.data as string[];
        const y = Array.from(npz.get('y')!.data as BigInt64Array, Number);
        const masks = {
          train: npz.get('train_mask')!.data as boolean[],
          val: npz.get('val_mask')!.data as boolean[],
          test: npz.get('test_mask')!.data as boolean[],
        };
        for (let i = 0; i < y.length; i++) {
          const inParts = Number(masks.train[i]) + Number(masks.val[i]) + Number(masks.test[i]);
          assert.ok(inParts <= 1, `cell ${i} is in ${inParts} masks`);
        }
        const totals = [0, 0, 0];
        for (const [name, sizes] of Object.entries(expected.splitSizes!)) {
          const code = names.indexOf(name);
          assert.ok(code >= 0, `label_names lacks ${name}`);
          const counts = (['train', 'val', 'test'] as const).map((part) => {
            let count = 0;
            for (let i = 0; i < y.length; i++) if (y[i] === code && masks[part][i]) count++;
            return count;
          });
          assert.deepEqual(counts, sizes, `${name}: [train, val, test]`);
          for (let p = 0; p < 3; p++) totals[p] += sizes[p];
        }
        assert.deepEqual(manifest.split.counts, {
          train: totals[0],
          val: totals[1],
          test: totals[2],
          unassigned: 0,
        });
      });
    } else {
      it('has no labels and no split', () => {
        assert.equal(manifest.labels, null);
        assert.equal(manifest.split, null);
        assert.ok(
          (Array.from(npz.get('y')!.data as BigInt64Array) as bigint[]).every((v) => v === -1n),
        );
      });
    }

    if (expected.inTissue !== undefined) {
      it('keeps only in-tissue spots and builds the spatial graph', () => {
        assert.equal(uns.cellsIn, expected.inTissue);
        assert.equal(manifest.graphStats.primary, 'spatial');
        assert.equal(manifest.graphStats.spatial.nodes, expected.cells);
        assert.deepEqual(npz.get('pos')?.shape, [expected.cells, 2]);
        // The hexagonal grid as pandas works it out from array_row/array_col.
        assert.equal(manifest.counts.edges, expected.gridEdges);
        const src = npz.get('edge_index')!.data as BigInt64Array;
        const e = npz.get('edge_index')!.shape[1];
        const degree = new Int32Array(expected.cells);
        for (let i = 0; i < e; i++) degree[Number(src[i])]++;
        const spotsPerDegree = new Array<number>(7).fill(0);
        for (const d of degree) spotsPerDegree[d]++;
        assert.deepEqual(spotsPerDegree, expected.gridDegrees);
      });
    }
  });
}

describe('--max-mito on a file without mitochondrial genes', {
  skip: !dataPath('guo/guo_qpcr.tsv') && 'guo_qpcr.tsv is not in data/',
}, () => {
  it('removes no cell and says why', async () => {
    const result = await buildPackage(dataPath('guo/guo_qpcr.tsv')!, join(root, 'guo-mito'), {
      label: 'stage',
      transform: 'none',
      minGenes: 0,
      minCells: 0,
      maxMitoFraction: 0.05,
    });
    assert.equal(
      (result.manifest as { counts: { cells: number } }).counts.cells,
      EXPECTED.guo.cells,
    );
    assert.ok(
      result.warnings.some((w) => /^--max-mito: no gene in .* starts with MT-/.test(w)),
      result.warnings.join('\n'),
    );
  });
});

describe('the default transform on values that are not counts', {
  skip: !dataPath('hsmm/hsmm.h5ad') && 'hsmm.h5ad is not in data/',
}, () => {
  const notCounts = /values are not whole numbers .*--transform log1p/;

  it('warns on FPKM (hsmm) and names the transforms that fit', async () => {
    const result = await buildPackage(dataPath('hsmm/hsmm.h5ad')!, join(root, 'hsmm-counts'), {
      label: 'hours',
    });
    assert.ok(
      result.warnings.some((w) => notCounts.test(w)),
      result.warnings.join('\n'),
    );
  });

  it('stays quiet on UMI counts (pbmc_small.loom)', async () => {
    const loom = dataPath('pbmc_small/pbmc_small.loom');
    if (!loom) return;
    const result = await buildPackage(loom, join(root, 'pbmc-counts'), { label: 'cluster' });
    assert.ok(!result.warnings.some((w) => notCounts.test(w)), result.warnings.join('\n'));
  });
});
