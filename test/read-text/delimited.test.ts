import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { naturalCompare } from '../../src/read/column-from-strings.ts';
import { readDelimited } from '../../src/read/delimited.ts';
import { reference, rejectsWith, rowSums, scratch, total, valueCounts } from './helpers.ts';

/** Values are stored as float32; sums of ~10^5 float32 values agree to this relative error. */
const REL_TOL = 1e-6;

function close(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= REL_TOL * Math.abs(expected),
    `${what}: ${actual} vs ${expected}`,
  );
}

describe('readDelimited', () => {
  const tmp = scratch();
  after(tmp.cleanup);

  it('reads the lung matrix as genes-as-rows and joins lung_cells.csv (figures from pandas)', async () => {
    const ref = reference.lung;
    const data = await readDelimited('data/lung/lung_expression.csv.gz', {
      cellMetadata: 'data/lung/lung_cells.csv',
    });
    assert.deepEqual([data.X.nRows, data.X.nCols], ref.shape_cells_genes);
    assert.equal(data.X.indptr[data.X.nRows], ref.nnz);
    close(total(data.X), ref.total, 'total');
    const sums = rowSums(data.X);
    for (let i = 0; i < 5; i++) close(sums[i], ref.cell_totals_first5[i], `cell ${i} total`);
    assert.deepEqual(
      [data.geneIds[0], data.var.get('gene_symbol')?.kind],
      [ref.first_gene[0], 'categorical'],
    );
    assert.deepEqual(valueCounts(data.obs.get('Time')), ref.Time);
    assert.deepEqual(valueCounts(data.obs.get('age')), ref.age);
    assert.deepEqual(valueCounts(data.obs.get('State')), ref.State);
    const pseudotime = data.obs.get('Pseudotime');
    assert.equal(pseudotime?.kind, 'numeric');
    assert.equal(pseudotime.values[0], ref.pseudotime_first);
    assert.deepEqual(data.warnings, []);
  });

  it('reads guo as cells-as-rows with the stage column in obs (figures from pandas)', async () => {
    const ref = reference.guo;
    const data = await readDelimited('data/guo/guo_qpcr.tsv');
    assert.deepEqual([data.X.nRows, data.X.nCols], ref.shape_cells_genes);
    assert.equal(data.X.indptr[data.X.nRows], ref.nnz);
    close(total(data.X), ref.total, 'total');
    assert.deepEqual(data.geneIds.slice(0, 3), ref.first_genes);
    assert.equal(data.cellIds[0], ref.first_cell);
    const stage = data.obs.get('stage');
    assert.equal(stage?.kind, 'categorical');
    assert.deepEqual(stage.categories, Object.keys(ref.stage).sort(naturalCompare));
    assert.deepEqual(valueCounts(stage), ref.stage);
  });

  it('follows an orientation override', async () => {
    const data = await readDelimited('data/guo/guo_qpcr.tsv', { orientation: 'genes-as-rows' });
    assert.deepEqual([data.X.nRows, data.X.nCols], [48, 428]);
    assert.ok(data.var.has('stage'));
  });

  it('detects orientation from barcodes, gene ids, R-style headers; falls back with a warning', async () => {
    const barcodes = tmp.write(
      'barcodes.csv',
      'gene,AAACCTGAGAAGGCCT-1,AAACCTGAGACAGACC-1\nCD3E,1,0\nMS4A1,0,2\nLYZ,5,0\n',
    );
    const a = await readDelimited(barcodes);
    assert.deepEqual([a.cellIds.length, a.geneIds.length], [2, 3]);

    // Header one field short (R write.table), Ensembl ids as column names: cells as rows.
    const ensembl = tmp.write(
      'r-style.tsv',
      'ENSG00000000003\tENSG00000000005\nc1\t1\t2\nc2\t3\t4\nc3\t0\t0\n',
    );
    const b = await readDelimited(ensembl);
    assert.deepEqual(b.cellIds, ['c1', 'c2', 'c3']);
    assert.deepEqual(b.geneIds, ['ENSG00000000003', 'ENSG00000000005']);

    const bare = tmp.write('bare.csv', 'x,p,q\nr,1,2\ns,3,4\n');
    const c = await readDelimited(bare);
    assert.deepEqual(c.geneIds, ['r', 's']);
    assert.match(c.warnings.join('\n'), /read as genes-as-rows .*pass orientation to override/);
  });

  it('handles quotes, semicolons and gzip', async () => {
    const path = tmp.write(
      'quoted.txt.gz',
      '"cell";"kind";"G1";"G2"\n"a;1";"x ""y""";1.5;2\n"b";"z";3e2;0\n',
      true,
    );
    const data = await readDelimited(path, { orientation: 'cells-as-rows' });
    assert.deepEqual(data.cellIds, ['a;1', 'b']);
    const kind = data.obs.get('kind');
    assert.deepEqual(kind?.kind === 'categorical' && kind.categories, ['x "y"', 'z']);
    assert.deepEqual(Array.from(data.X.data), [1.5, 2, 300]);
  });

  it('reports a missing or infinite value by its line and column in the file', async () => {
    const cases: [string, RegExp][] = [
      ['g1,1,2\ng2,NA,4\n', /line 3, column 2 \('c1'\): 'NA': a missing value/],
      ['g1,1,2\ng2,3,\n', /line 3, column 3 \('c2'\): empty field: a missing value/],
      ['g1,1,nan\ng2,3,4\n', /line 2, column 3 \('c2'\): 'nan': a missing value/],
      ['g1,1,2\ng2,-Inf,4\n', /line 3, column 2 \('c1'\): '-Inf' is not a finite number/],
    ];
    for (const [i, [rows, message]] of cases.entries()) {
      const path = tmp.write(`missing-${i}.csv`, `gene,c1,c2\n${rows}`);
      await rejectsWith(
        readDelimited(path),
        'invalid-input',
        new RegExp(`missing-${i}\\.csv`),
        message,
      );
    }
  });

  it('takes a stray word among numbers for a bad value, not for an annotation column', async () => {
    // Cell c2 holds numbers but one word: it must not turn into a gene annotation.
    const rows = Array.from({ length: 30 }, (_, r) => `g${r},${r},${r === 7 ? 'abc' : r + 1}`);
    const path = tmp.write('stray.csv', `gene,c1,c2\n${rows.join('\n')}\n`);
    await rejectsWith(
      readDelimited(path),
      'invalid-input',
      /stray\.csv/,
      /line 9, column 3 \('c2'\): 'abc' is not a number/,
    );
    // A column of words (with a number or two among them) is still an annotation.
    const symbols = Array.from(
      { length: 30 },
      (_, r) => `g${r},${r === 3 ? '7' : `SYM${r}`},${r},${r + 1}`,
    );
    const annotated = tmp.write('annotated.csv', `gene,symbol,c1,c2\n${symbols.join('\n')}\n`);
    const data = await readDelimited(annotated);
    assert.deepEqual(data.cellIds, ['c1', 'c2']);
    assert.ok(data.var.has('symbol'));
  });

  it('reports bad content naming the file, line and column', async () => {
    const ragged = tmp.write('ragged.csv', 'gene,c1,c2\ng1,1,2\ng2,3\n');
    await rejectsWith(
      readDelimited(ragged),
      'invalid-input',
      /ragged\.csv/,
      /line 3: 2 fields, expected 3/,
    );
    const dupCells = tmp.write('dup-cells.csv', 'gene,c1,c1\ng1,1,2\n');
    await rejectsWith(
      readDelimited(dupCells),
      'invalid-input',
      /dup-cells\.csv/,
      /duplicate cell id 'c1'/,
    );
    const dupGenes = tmp.write('dup-genes.csv', 'gene,c1,c2\ng1,1,2\ng1,3,4\n');
    await rejectsWith(
      readDelimited(dupGenes),
      'invalid-input',
      /dup-genes\.csv/,
      /duplicate gene id 'g1'/,
    );
    const rows = [
      'gene,c1,c2',
      ...Array.from({ length: 300 }, (_, i) => `g${i},1,2`),
      'g300,1,abc',
    ];
    const bad = tmp.write('bad-number.csv', `${rows.join('\n')}\n`);
    await rejectsWith(
      readDelimited(bad),
      'invalid-input',
      /bad-number\.csv/,
      /line 302, column 3 \('c2'\): 'abc' is not a number/,
    );
    const empty = tmp.write('empty.csv', '');
    await rejectsWith(readDelimited(empty), 'invalid-input', /empty\.csv/, /empty/);
  });

  it('types metadata columns and gives cells without a metadata row missing values', async () => {
    const matrix = tmp.write('m.csv', 'gene,c1,c2,c3\ng1,1,2,3\n');
    const meta = tmp.write(
      'meta.csv',
      'cell,flag,score,group\nc2,TRUE,0.5,b\nc1,false,2,a\nzz,TRUE,1,c\n',
    );
    const data = await readDelimited(matrix, { cellMetadata: meta });
    const group = data.obs.get('group');
    assert.deepEqual(group?.kind === 'categorical' && [group.categories, Array.from(group.codes)], [
      ['a', 'b'],
      [0, 1, -1],
    ]);
    const score = data.obs.get('score');
    assert.deepEqual(
      score?.kind === 'integer' || score?.kind === 'numeric' ? Array.from(score.values) : score,
      [2, 0.5, Number.NaN],
    );
    // A boolean column with a missing value cannot stay boolean.
    const flag = data.obs.get('flag');
    assert.deepEqual(flag?.kind === 'categorical' && Array.from(flag.codes), [1, 0, -1]);
    assert.match(data.warnings.join('\n'), /1 of 3 cells have no metadata row/);
    assert.match(data.warnings.join('\n'), /1 metadata rows name no cell/);

    const complete = tmp.write('meta-complete.csv', 'cell,flag\nc1,TRUE\nc2,FALSE\nc3,true\n');
    const typed = await readDelimited(matrix, { cellMetadata: complete });
    const bool = typed.obs.get('flag');
    assert.deepEqual(bool?.kind === 'boolean' && Array.from(bool.values), [1, 0, 1]);

    const unrelated = tmp.write('meta-unrelated.csv', 'cell,x\nq1,1\nq2,2\n');
    await rejectsWith(
      readDelimited(matrix, { cellMetadata: unrelated }),
      'invalid-input',
      /meta-unrelated\.csv/,
      /no row matches a cell/,
    );
  });
});
