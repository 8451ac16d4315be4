import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { InputFormat } from '../../src/read/dataset.ts';
import { detectFormat } from '../../src/read/detect.ts';
import { CASES, rejectsWith, scratch } from './helpers.ts';

/** Every bundled input with the format its provenance notes give it. */
const INPUTS: [string, InputFormat][] = [
  ['data/guo/guo_qpcr.tsv', 'delimited'],
  ['data/hsmm/hsmm.h5ad', 'h5ad'],
  ['data/lung/lung_expression.csv.gz', 'delimited'],
  ['data/lung/lung_cells.csv', 'delimited'],
  ['data/pbmc_small/10x_v2', '10x-mtx'],
  ['data/pbmc_small/pbmc_small.loom', 'loom'],
  ['data/pbmc_small/cells.csv', 'delimited'],
  ['data/tenx_v3_tiny', '10x-mtx'],
  ['data/tenx_v3_tiny/matrix.mtx.gz', '10x-mtx'],
  ['data/visium', 'visium'],
  ['data/visium/filtered_feature_bc_matrix.h5', '10x-h5'],
  ['test/fixtures/anndata_archives/v0.7.0/adata.h5ad', 'h5ad'],
  ['test/fixtures/anndata_archives/v0.7.8/adata.h5ad', 'h5ad'],
  [join(CASES, '03-mtx-v3-uncompressed-with-adt'), '10x-mtx'],
  [join(CASES, '03-mtx-v3-uncompressed-with-adt/matrix.mtx'), '10x-mtx'],
  [join(CASES, '05-10x-h5-legacy-two-genomes/filtered_gene_bc_matrices_h5.h5'), '10x-h5'],
  [join(CASES, '06-visium-sr2-positions-with-header'), 'visium'],
  [join(CASES, '06-visium-sr2-positions-with-header/filtered_feature_bc_matrix.h5'), '10x-h5'],
  [join(CASES, '09-h5ad-pre-0.7-legacy-layout/old_scanpy_2018.h5ad'), 'h5ad'],
  [join(CASES, '14-loom-scope-style-attributes/pbmc_scope.loom'), 'loom'],
];

/** Folders that only hold input files: detection points at the files. */
const CONTAINERS: [string, RegExp][] = [
  ['data/guo', /guo_qpcr\.tsv/],
  ['data/hsmm', /hsmm\.h5ad/],
  ['data/lung', /lung_cells\.csv, lung_expression\.csv\.gz/],
  ['data/pbmc_small', /cells\.csv, pbmc_small\.loom/],
  [join(CASES, '05-10x-h5-legacy-two-genomes'), /filtered_gene_bc_matrices_h5\.h5/],
  [join(CASES, '09-h5ad-pre-0.7-legacy-layout'), /old_scanpy_2018\.h5ad/],
  [join(CASES, '14-loom-scope-style-attributes'), /pbmc_scope\.loom/],
];

describe('detectFormat', () => {
  const tmp = scratch();
  after(tmp.cleanup);

  for (const [path, format] of INPUTS) {
    it(`detects ${path} as ${format}`, async () => {
      assert.equal(await detectFormat(path), format);
    });
  }

  it('points at the files inside folders that are not an input layout', async () => {
    for (const [dir, files] of CONTAINERS) {
      await rejectsWith(
        detectFormat(dir),
        'invalid-input',
        /not a 10x MTX folder/,
        files,
        /pass one of those files/,
      );
    }
    await rejectsWith(
      detectFormat('data/visium/spatial'),
      'invalid-input',
      /pass the folder above it/,
    );
  });

  it('reports a missing path', async () => {
    await rejectsWith(
      detectFormat('data/no-such-input.h5ad'),
      'invalid-input',
      /no-such-input\.h5ad/,
      /no such file or folder/,
    );
  });

  it('lists what it looked for when a file is unrecognised', async () => {
    await rejectsWith(
      detectFormat(join(CASES, '03-mtx-v3-uncompressed-with-adt/expected.json')),
      'invalid-input',
      /expected\.json: unrecognised input/,
      /HDF5 file .* 10x MTX folder .* Space Ranger folder .* \.csv\/\.tsv/,
    );
  });

  it('rejects HDF5-named files without the signature, and HDF5 files of another kind', async () => {
    const fake = tmp.write('fake.h5ad', 'cell,gene\n');
    await rejectsWith(detectFormat(fake), 'invalid-input', /fake\.h5ad/, /not an HDF5 file/);
    const empty = tmp.write('empty.loom', '');
    await rejectsWith(detectFormat(empty), 'invalid-input', /empty\.loom/, /file is empty/);
    const binary = tmp.write('binary.csv', '\u0000\u0001\u0002');
    await rejectsWith(detectFormat(binary), 'invalid-input', /binary\.csv/, /binary data/);
  });
});
