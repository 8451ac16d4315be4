import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readTenxMtx } from '../../src/read/tenx-mtx.ts';
import { CASES, reference, rejectsWith, rowSums, scratch, total, valueCounts } from './helpers.ts';

const ADT_CASE = join(CASES, '03-mtx-v3-uncompressed-with-adt');

describe('readTenxMtx', () => {
  const tmp = scratch();
  after(tmp.cleanup);

  it('reads the uncompressed v3 case with antibody rows as expected.json says', async () => {
    const expected = JSON.parse(readFileSync(join(ADT_CASE, 'expected.json'), 'utf8'));
    const data = await readTenxMtx(ADT_CASE);
    assert.equal(data.format, '10x-mtx');
    assert.equal(data.X.nRows, expected.n_obs);
    assert.equal(data.X.nCols, expected.n_gene_expression);
    assert.equal(total(data.X), expected.total_counts_gene_expression);
    for (const id of expected.antibody_features)
      assert.ok(!data.geneIds.includes(id), `${id} kept`);
    assert.match(data.warnings.join('\n'), /dropped 3 'Antibody Capture'/);
    assert.deepEqual(valueCounts(data.var.get('feature_types')), { 'Gene Expression': 100 });

    const all = await readTenxMtx(ADT_CASE, { featureTypes: 'all' });
    assert.equal(all.X.nCols, expected.n_features_total);
    assert.equal(
      total(all.X),
      expected.total_counts_gene_expression + expected.total_counts_antibody,
    );
    const antibody = await readTenxMtx(ADT_CASE, { featureTypes: ['Antibody Capture'] });
    assert.deepEqual(antibody.geneIds, expected.antibody_features);
    assert.equal(total(antibody.X), expected.total_counts_antibody);
  });

  it('reads the Cell Ranger 2 pbmc_small folder with per-cell totals equal to scipy.io.mmread', async () => {
    const ref = reference.pbmc_small_10x_v2;
    const data = await readTenxMtx('data/pbmc_small/10x_v2');
    assert.deepEqual([data.X.nRows, data.X.nCols], ref.shape_cells_genes);
    assert.equal(data.X.indptr[data.X.nRows], ref.nnz);
    assert.deepEqual(rowSums(data.X), ref.cell_totals);
    assert.deepEqual(data.cellIds.slice(0, 3), ref.first_barcodes);
    // genes.tsv holds the placeholder id ENSGXXXXXX on every row: symbols made unique stand in.
    assert.equal(new Set(data.geneIds).size, data.geneIds.length);
    assert.equal(data.geneIds[0], 'MS4A1');
    assert.match(data.warnings.join('\n'), /placeholder 'ENSGXXXXXX'/);
    const symbols = data.var.get('gene_symbols');
    assert.equal(symbols?.kind === 'string' && symbols.values[0], 'MS4A1');
  });

  it('reads the gzipped v3 tiny folder, also through the path of matrix.mtx.gz', async () => {
    const ref = reference.tenx_v3_tiny;
    for (const path of ['data/tenx_v3_tiny', 'data/tenx_v3_tiny/matrix.mtx.gz']) {
      const data = await readTenxMtx(path);
      assert.deepEqual([data.X.nRows, data.X.nCols], ref.shape_cells_genes);
      assert.equal(data.X.indptr[data.X.nRows], ref.nnz);
      assert.deepEqual(rowSums(data.X), ref.cell_totals);
    }
  });

  it('accepts a mix of gzipped and plain files, a name prefix, unsorted entries and real values', async () => {
    const dir = join(tmp.dir, 'mixed');
    tmp.write(
      'mixed/GSM1_features.tsv.gz',
      'g1\tA\tGene Expression\ng2\tB\tGene Expression\ng3\tA\tGene Expression\n',
      true,
    );
    tmp.write('mixed/GSM1_barcodes.tsv', 'c1\nc2\n');
    tmp.write(
      'mixed/GSM1_matrix.mtx',
      '%%MatrixMarket matrix coordinate real general\n% a comment\n3 2 4\n3 2 0.5\n1 2 2.25\n2 1 1\n1 2 1\n',
    );
    const data = await readTenxMtx(dir);
    assert.deepEqual(data.cellIds, ['c1', 'c2']);
    assert.deepEqual(data.geneIds, ['g1', 'g2', 'g3']);
    assert.deepEqual(Array.from(data.X.indptr), [0, 1, 3]);
    assert.deepEqual(Array.from(data.X.indices), [1, 0, 2]);
    // The repeated (1, 2) entry is summed, as scipy does.
    assert.deepEqual(Array.from(data.X.data), [1, 3.25, 0.5]);
  });

  it('reports a shape mismatch naming both files and both numbers', async () => {
    tmp.write('shape/features.tsv', 'g1\tA\tGene Expression\ng2\tB\tGene Expression\n');
    tmp.write('shape/barcodes.tsv', 'c1\nc2\n');
    tmp.write(
      'shape/matrix.mtx',
      '%%MatrixMarket matrix coordinate integer general\n3 2 1\n1 1 5\n',
    );
    await rejectsWith(
      readTenxMtx(join(tmp.dir, 'shape')),
      'invalid-input',
      /shape mismatch/,
      /3 rows in matrix\.mtx but 2 features in features\.tsv/,
    );
  });

  it('rejects out-of-range entries, truncated files, bad values, duplicate barcodes and ids', async () => {
    const folder = (name: string, features: string, barcodes: string, matrix: string) => {
      tmp.write(`${name}/features.tsv`, features);
      tmp.write(`${name}/barcodes.tsv`, barcodes);
      tmp.write(
        `${name}/matrix.mtx`,
        `%%MatrixMarket matrix coordinate integer general\n${matrix}`,
      );
      return join(tmp.dir, name);
    };
    const genes = 'g1\tA\ng2\tB\n';
    await rejectsWith(
      readTenxMtx(folder('range', genes, 'c1\n', '2 1 1\n3 1 4\n')),
      'invalid-input',
      /line 3/,
      /row index 3 is outside 1\.\.2/,
    );
    await rejectsWith(
      readTenxMtx(folder('trunc', genes, 'c1\nc2\n', '2 2 3\n1 1 4\n')),
      'invalid-input',
      /truncated/,
      /3 entries, found 1/,
    );
    await rejectsWith(
      readTenxMtx(folder('value', genes, 'c1\n', '2 1 1\n1 1 abc\n')),
      'invalid-input',
      /line 3/,
      /'abc' is not a number/,
    );
    await rejectsWith(
      readTenxMtx(folder('dupbc', genes, 'c1\nc1\n', '2 2 0\n')),
      'invalid-input',
      /barcodes\.tsv/,
      /duplicate barcode 'c1'/,
    );
    await rejectsWith(
      readTenxMtx(folder('dupid', 'g1\tA\ng1\tB\ng2\tC\n', 'c1\n', '3 1 0\n')),
      'invalid-input',
      /features\.tsv/,
      /duplicate feature id 'g1'/,
    );
    // Duplicate symbols with unique ids are fine.
    const symbols = await readTenxMtx(folder('dupsym', 'g1\tA\ng2\tA\n', 'c1\n', '2 1 0\n'));
    assert.deepEqual(symbols.geneIds, ['g1', 'g2']);
  });

  it('names the missing file when a folder is incomplete', async () => {
    tmp.write(
      'nofeatures/matrix.mtx.gz',
      '%%MatrixMarket matrix coordinate integer general\n1 1 0\n',
      true,
    );
    tmp.write('nofeatures/barcodes.tsv.gz', 'c1\n', true);
    await rejectsWith(
      readTenxMtx(join(tmp.dir, 'nofeatures')),
      'invalid-input',
      /features file is missing/,
      /features\.tsv\.gz, features\.tsv, genes\.tsv\.gz, genes\.tsv/,
    );
    await rejectsWith(
      readTenxMtx(join(tmp.dir, 'absent')),
      'invalid-input',
      /absent/,
      /no such file or folder/,
    );
  });

  it('rejects a featureTypes choice that matches nothing, listing the types present', async () => {
    await rejectsWith(
      readTenxMtx(ADT_CASE, { featureTypes: ['Peaks'] }),
      'invalid-parameter',
      /'Gene Expression' \(100\), 'Antibody Capture' \(3\)/,
    );
  });
});
