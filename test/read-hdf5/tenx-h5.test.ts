import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ScgraphError } from '../../src/errors.ts';
import { readTenxH5 } from '../../src/read/tenx-h5.ts';
import { assertMatrix, CASES, reference } from './summary.ts';

const LEGACY = `${CASES}/05-10x-h5-legacy-two-genomes`;
const legacyExpected = JSON.parse(readFileSync(`${LEGACY}/expected.json`, 'utf8'));
const legacyFile = `${LEGACY}/${legacyExpected.input}`;

const total = (data: Float32Array) => data.reduce((a, b) => a + b, 0);

describe('readTenxH5 on a Cell Ranger 2 file with two genomes', () => {
  it('refuses to guess a genome and lists both', async () => {
    await assert.rejects(readTenxH5(legacyFile), (error: unknown) => {
      assert.ok(error instanceof ScgraphError);
      assert.equal(error.kind, 'invalid-parameter');
      for (const genome of legacyExpected.genomes) assert.match(error.message, new RegExp(genome));
      return true;
    });
  });

  for (const genome of legacyExpected.genomes as string[]) {
    it(`reads genome ${genome} with the expected figures`, async () => {
      const want = legacyExpected[`genome=${genome}`];
      const data = await readTenxH5(legacyFile, { genome });
      assert.equal(data.format, '10x-h5');
      assert.equal(data.X.nRows, want.n_obs);
      assert.equal(data.X.nCols, want.n_vars);
      assert.equal(total(data.X.data), want.total_counts);
      assert.deepEqual(data.cellIds.slice(0, 2), legacyExpected.barcodes_head);
      const symbols = data.var.get('gene_symbols');
      assert.equal(symbols?.kind === 'string' && symbols.values[0], want.first_var);
      assert.equal(data.geneIds.length, want.n_vars);
    });
  }

  it('returns different matrices for the two genomes', async () => {
    const human = await readTenxH5(legacyFile, { genome: 'hg19' });
    const mouse = await readTenxH5(legacyFile, { genome: 'mm10' });
    assert.notDeepEqual(human.X.data, mouse.X.data);
    const genome = mouse.var.get('genome');
    assert.ok(genome?.kind === 'categorical');
    assert.deepEqual(genome.categories, ['mm10']);
  });

  it('has human-like cells first (40) and mouse-like cells last (20), as expected.json says', async () => {
    const human = await readTenxH5(legacyFile, { genome: 'hg19' });
    const mouse = await readTenxH5(legacyFile, { genome: 'mm10' });
    assert.deepEqual(human.cellIds, mouse.cellIds);
    const rowSums = (X: typeof human.X) =>
      Array.from({ length: X.nRows }, (_, r) => {
        let s = 0;
        for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) s += X.data[p];
        return s;
      });
    const h = rowSums(human.X);
    const m = rowSums(mouse.X);
    // Ambient counts blur single cells (one of the first 40 has more mouse counts), so
    // the groups are judged as a whole: each carries over 90 % of its own genome's counts.
    const share = (own: number[], other: number[], from: number, to: number) => {
      let a = 0;
      let b = 0;
      for (let i = from; i < to; i++) {
        a += own[i];
        b += other[i];
      }
      return a / (a + b);
    };
    assert.equal(h.length, 60);
    assert.ok(share(h, m, 0, 40) > 0.9, `first 40: hg19 share ${share(h, m, 0, 40)}`);
    assert.ok(share(m, h, 40, 60) > 0.9, `last 20: mm10 share ${share(m, h, 40, 60)}`);
    // Had the reader mixed up or reordered the genomes' barcodes, the split would not hold.
    assert.ok(share(h, m, 40, 60) < 0.1 && share(m, h, 0, 40) < 0.1);
  });

  it('rejects a genome the file does not have', async () => {
    await assert.rejects(readTenxH5(legacyFile, { genome: 'GRCh38' }), /genome.*hg19, mm10/);
  });
});

describe('readTenxH5 on a Cell Ranger 3 Visium matrix', () => {
  const file = 'data/visium/filtered_feature_bc_matrix.h5';
  const want = reference.visium;

  it('matches h5py: cells × genes with the stored counts', async () => {
    const data = await readTenxH5(file);
    assertMatrix(data.X, want.X, 'visium X');
    assert.deepEqual(data.cellIds.slice(0, 2), want.barcodes_head);
    assert.deepEqual(data.geneIds.slice(0, 2), want.ids_head);
    const symbols = data.var.get('gene_symbols');
    assert.ok(symbols?.kind === 'string');
    assert.deepEqual(symbols.values.slice(0, 2), want.names_head);
    const genome = data.var.get('genome');
    assert.ok(genome?.kind === 'categorical');
    assert.deepEqual(genome.categories, want.genome);
    assert.deepEqual(data.warnings, []);
  });

  it('refuses a feature-type filter that leaves nothing', async () => {
    await assert.rejects(
      readTenxH5(file, { featureTypes: ['Antibody Capture'] }),
      /featureTypes.*Gene Expression/,
    );
  });
});

describe('readTenxH5 on a Cell Ranger 3 file with antibody rows', () => {
  const file = 'test/fixtures/read-hdf5/tenx-v3-mixed.h5';
  const want = reference['tenx-v3-mixed.h5'];

  it('keeps only Gene Expression features by default and says what it dropped', async () => {
    const data = await readTenxH5(file);
    assertMatrix(data.X, want.gene_expression, 'gene expression X');
    assert.deepEqual(data.geneIds, ['ENSG0', 'ENSG1', 'ENSG2', 'ENSG3']);
    assert.match(data.warnings.join('\n'), /2 Antibody Capture/);
  });

  it("keeps every feature with featureTypes 'all'", async () => {
    const data = await readTenxH5(file, { featureTypes: 'all' });
    assertMatrix(data.X, want.all, 'all features X');
    const types = data.var.get('feature_types');
    assert.ok(types?.kind === 'categorical');
    assert.deepEqual(types.categories, ['Antibody Capture', 'Gene Expression']);
  });
});

describe('readTenxH5 beforeMatrix', () => {
  it('is called once, with no columns of its own', async () => {
    const calls: unknown[] = [];
    await readTenxH5(legacyFile, {
      genome: legacyExpected.genomes[0],
      beforeMatrix: (found) => calls.push(found),
    });
    assert.deepEqual(calls, [{ obs: [], obsm: [], obsp: [] }]);
  });
});
