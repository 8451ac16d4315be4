import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BUILD_STEPS, buildPackage } from '../../src/build.ts';
import { type CliResult, dataPath, pythonSkipReason, runCli, runPythonJson } from './helpers.ts';

// Two real builds, each made twice: once by the CLI in a child process (which also
// shows what the CLI prints) and once in this process, to compare bytes across
// processes. Python's anndata and numpy then read the CLI's package.
const INSPECT = fileURLToPath(new URL('../fixtures/e2e/inspect_build.py', import.meta.url));
const EXPECTED = JSON.parse(
  readFileSync(new URL('../fixtures/e2e/expected.json', import.meta.url), 'utf8'),
);
const FILES = ['graph.npz', 'dataset.h5ad', 'manifest.json'];
const python = pythonSkipReason();
const LOOM = dataPath('pbmc_small/pbmc_small.loom');
const VISIUM = dataPath('visium');

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'scgraph-e2e-interop-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

interface Built {
  cli: CliResult;
  cliDir: string;
  libDir: string;
}

async function buildTwice(
  name: string,
  input: string,
  args: string[],
  label?: string,
): Promise<Built> {
  const cliDir = join(root, `${name}-cli`);
  const libDir = join(root, `${name}-lib`);
  const [cli] = await Promise.all([
    runCli(['build', input, '-o', cliDir, ...args]),
    buildPackage(input, libDir, label ? { label } : {}),
  ]);
  assert.equal(cli.status, 0, `CLI build failed: ${cli.stderr}`);
  return { cli, cliDir, libDir };
}

function assertSameBytes(b: Built): void {
  for (const f of FILES) {
    const a = readFileSync(join(b.cliDir, f));
    const c = readFileSync(join(b.libDir, f));
    assert.ok(a.equals(c), `${f} differs between the CLI build and the in-process build`);
  }
}

describe('pbmc_small.loom with --label cluster', {
  skip: !LOOM && 'pbmc_small.loom not found',
}, () => {
  let b: Built;
  // biome-ignore lint/suspicious/noExplicitAny: JSON printed by Python; the assertions check its shape
  let seen: any;
  before(async () => {
    b = await buildTwice('pbmc', LOOM!, ['--label', 'cluster'], 'cluster');
    if (!python) seen = runPythonJson(INSPECT, [b.cliDir, 'cluster', 'connectivities']);
  });

  it('logs one line per step on a non-terminal stderr and a summary on stdout', () => {
    const lines = b.cli.stderr.trimEnd().split('\n');
    const steps = lines
      .map((l) => /^scgraph: ([a-z]+) done in [\d.]+ s/.exec(l)?.[1])
      .filter((s) => s !== undefined);
    // No spatial coordinates in a loom, so no spatial step.
    assert.deepEqual(
      steps,
      BUILD_STEPS.filter((s) => s !== 'spatial'),
    );
    for (const l of lines)
      assert.match(l, /^(scgraph: [a-z]+ done in|warning: )/, `unexpected line: ${l}`);
    const ESC = String.fromCharCode(27);
    assert.ok(
      !b.cli.stderr.includes('\r') && !b.cli.stderr.includes(ESC),
      'no bar or terminal codes in a pipe',
    );
    assert.match(b.cli.stdout, /^built .+ \(80 cells, \d+ edges\)\n$/);
  });

  it('gives byte-identical files in a second build in another process', () => assertSameBytes(b));

  describe('read by anndata and numpy', { skip: python }, () => {
    it('has the label, a categorical split and X_pca in the h5ad', () => {
      // 240 genes pass QC, fewer than the 2,000 highly variable genes asked: all are kept.
      assert.deepEqual(seen.shape, [EXPECTED.pbmc_loom.cells, EXPECTED.pbmc_loom.genesKept]);
      assert.ok(seen.obs.includes('cluster') && seen.obs.includes('split'));
      assert.deepEqual(seen.label_counts, EXPECTED.pbmc_loom.classCounts);
      assert.deepEqual(seen.split, { categorical: true, categories: ['train', 'val', 'test'] });
      assert.equal(seen.obsm.X_pca[0], 80);
      assert.deepEqual(seen.npz.x.shape, seen.obsm.X_pca);
    });

    it('has symmetric CSR connectivities matching graph.npz and neighbors keys in uns', () => {
      const c = seen.obsp.connectivities;
      assert.equal(c.csr, true);
      assert.deepEqual(c.shape, [80, 80]);
      assert.equal(c.symmetric, true);
      assert.equal(c.diagonal, 0);
      // scanpy's kNN distances: k - 1 = 14 other cells per row, the cell itself dropped.
      const d = seen.obsp.distances;
      assert.equal(d.csr, true);
      assert.deepEqual(d.shape, [80, 80]);
      assert.deepEqual(d.row_nnz, [14, 14]);
      assert.equal(d.diagonal, 0);
      assert.equal(c.nnz, seen.edges.count);
      assert.equal(seen.uns_neighbors.connectivities_key, 'connectivities');
      assert.equal(seen.uns_neighbors.distances_key, 'distances');
      assert.ok(seen.uns_keys.includes('scgraph'));
    });

    it('loads graph.npz without pickle, in PyG dtypes and shapes', () => {
      assertGraphNpz(seen, 80);
      assert.deepEqual(seen.label_names, ['0', '1', '2']);
      assert.deepEqual(seen.y_range, [0, 2]);
      assert.equal(seen.y_matches_obs, true);
      assert.equal(seen.masks_match_split, true);
      assert.equal(seen.masks.max_per_cell, 1);
      assert.equal(
        seen.masks.sizes.reduce((a: number, b: number) => a + b, 0),
        80,
      );
    });
  });

  describe('scgraph validate', () => {
    let ok: CliResult;
    let bad: CliResult;
    before(async () => {
      const broken = join(root, 'pbmc-broken');
      cpSync(b.cliDir, broken, { recursive: true });
      const npz = join(broken, 'graph.npz');
      const bytes = readFileSync(npz);
      bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(npz, bytes);
      [ok, bad] = await Promise.all([runCli(['validate', b.cliDir]), runCli(['validate', broken])]);
    });

    it('passes on the package as built', () => {
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /: ok\n$/);
    });

    it('fails after one byte of graph.npz is flipped, naming the file', () => {
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /graph\.npz/);
      assert.doesNotMatch(bad.stderr, /^\s+at /m);
    });
  });
});

describe('visium folder (spatial graph), --json', { skip: !VISIUM && 'visium not found' }, () => {
  let b: Built;
  // biome-ignore lint/suspicious/noExplicitAny: JSON printed by Python; the assertions check its shape
  let seen: any;
  before(async () => {
    b = await buildTwice('visium', VISIUM!, ['--json']);
    if (!python) seen = runPythonJson(INSPECT, [b.cliDir, '', 'spatial_connectivities']);
  });

  it('prints only JSON on stdout and nothing on stderr', () => {
    assert.equal(b.cli.stderr, '');
    const out = JSON.parse(b.cli.stdout);
    assert.equal(out.ok, true);
    assert.equal(out.manifest.counts.cells, EXPECTED.visium.cells);
    assert.ok(Array.isArray(out.warnings));
  });

  it('gives byte-identical files in a second build in another process', () => assertSameBytes(b));

  describe('read by anndata and numpy', { skip: python }, () => {
    it('has spatial coordinates and squidpy-named spatial graphs', () => {
      const n = EXPECTED.visium.cells;
      assert.equal(seen.shape[0], n);
      assert.deepEqual(seen.obsm.spatial, [n, 2]);
      assert.equal(seen.obsm.X_pca[0], n);
      const s = seen.obsp.spatial_connectivities;
      assert.equal(s.csr, true);
      assert.deepEqual(s.shape, [n, n]);
      assert.equal(s.symmetric, true);
      assert.equal(s.diagonal, 0);
      const d = seen.obsp.spatial_distances;
      assert.equal(d.csr, true);
      assert.deepEqual(d.shape, [n, n]);
      // Distances exist exactly where the grid joins two spots.
      assert.equal(d.nnz, s.nnz);
      assert.deepEqual(d.row_nnz, s.row_nnz);
      // graph.npz carries the primary (spatial) graph.
      assert.equal(s.nnz, seen.edges.count);
      assert.equal(seen.obsp.connectivities.symmetric, true);
      assert.equal(seen.uns_neighbors.connectivities_key, 'connectivities');
    });

    it('loads graph.npz without pickle, unlabeled and with no split', () => {
      assertGraphNpz(seen, EXPECTED.visium.cells);
      assert.deepEqual(seen.label_names, []);
      assert.deepEqual(seen.y_range, [-1, -1]);
      assert.deepEqual(seen.masks.sizes, [0, 0, 0]);
    });
  });
});

// biome-ignore lint/suspicious/noExplicitAny: JSON printed by Python
function assertGraphNpz(seen: any, n: number): void {
  const npz = seen.npz;
  assert.equal(npz.x.dtype, 'float32');
  assert.equal(npz.x.shape[0], n);
  assert.equal(npz.edge_index.dtype, 'int64');
  assert.equal(npz.edge_index.shape[0], 2);
  assert.equal(npz.edge_weight.dtype, 'float32');
  assert.deepEqual(npz.edge_weight.shape, [npz.edge_index.shape[1]]);
  assert.deepEqual(npz.y, { dtype: 'int64', shape: [n] });
  for (const m of ['train_mask', 'val_mask', 'test_mask'])
    assert.deepEqual(npz[m], { dtype: 'bool', shape: [n] });
  assert.equal(seen.edges.self_loops, 0);
  assert.equal(seen.edges.missing_reverse, 0);
  assert.equal(seen.edges.distinct, seen.edges.count);
  assert.equal(seen.edges.in_range, true);
  assert.ok(seen.masks.max_per_cell <= 1);
  assert.equal(seen.cell_ids_match, true);
}
