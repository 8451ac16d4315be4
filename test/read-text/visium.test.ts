import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readVisium } from '../../src/read/visium.ts';
import { CASES, reference, rejectsWith, scratch, total, valueCounts } from './helpers.ts';

const SR2_CASE = join(CASES, '06-visium-sr2-positions-with-header');

/** A Space Ranger folder with an MTX matrix of `barcodes` (one gene) and the given position lines. */
function writeOuts(
  tmp: ReturnType<typeof scratch>,
  name: string,
  barcodes: string[],
  positions: string,
): string {
  tmp.write(
    `${name}/filtered_feature_bc_matrix/features.tsv.gz`,
    'g1\tG1\tGene Expression\n',
    true,
  );
  tmp.write(`${name}/filtered_feature_bc_matrix/barcodes.tsv.gz`, `${barcodes.join('\n')}\n`, true);
  const entries = barcodes.map((_, i) => `1 ${i + 1} ${i + 1}`).join('\n');
  tmp.write(
    `${name}/filtered_feature_bc_matrix/matrix.mtx.gz`,
    `%%MatrixMarket matrix coordinate integer general\n1 ${barcodes.length} ${barcodes.length}\n${entries}\n`,
    true,
  );
  tmp.write(`${name}/spatial/tissue_positions_list.csv`, positions);
  return join(tmp.dir, name);
}

describe('readVisium', () => {
  const tmp = scratch();
  after(tmp.cleanup);

  it('reads the Space Ranger 2 case (header row, no images) as expected.json says', async () => {
    const expected = JSON.parse(readFileSync(join(SR2_CASE, 'expected.json'), 'utf8'));
    const data = await readVisium(SR2_CASE);
    assert.equal(data.format, 'visium');
    assert.deepEqual([data.X.nRows, data.X.nCols], [expected.n_obs, expected.n_vars]);
    assert.equal(data.X.nRows, expected.in_tissue_spots);
    assert.equal(total(data.X), expected.total_counts);
    const first = data.cellIds.indexOf(expected.first_listed_barcode);
    assert.ok(first >= 0, 'first listed barcode was dropped');
    const c = expected.first_listed_barcode_coords;
    assert.ok(data.spatial);
    assert.deepEqual(
      [data.spatial.coords.data[2 * first], data.spatial.coords.data[2 * first + 1]],
      [c.pxl_col_in_fullres, c.pxl_row_in_fullres],
    );
    assert.deepEqual(
      [data.spatial.arrayRow?.[first], data.spatial.arrayCol?.[first]],
      [c.array_row, c.array_col],
    );
    assert.equal(data.obsm.get('spatial'), data.spatial.coords);
    assert.deepEqual(valueCounts(data.obs.get('in_tissue')), { '1': expected.n_obs });
    const coords = data.spatial.coords.data;
    assert.ok(
      coords.every((v) => Number.isFinite(v)),
      'a spot has missing coordinates',
    );
  });

  it('reads the bundled section (positions without header) with figures from h5py/pandas', async () => {
    const ref = reference.visium;
    const data = await readVisium('data/visium');
    assert.deepEqual([data.X.nRows, data.X.nCols], [ref.n_obs, ref.n_vars]);
    assert.equal(total(data.X), ref.total);
    assert.equal(data.cellIds[0], ref.first_barcode);
    const { coords, arrayRow, arrayCol } = data.spatial ?? assert.fail('no spatial');
    assert.deepEqual(
      [coords.data[0], coords.data[1], arrayRow?.[0], arrayCol?.[0]],
      [
        ref.first_coords.pxl_col,
        ref.first_coords.pxl_row,
        ref.first_coords.array_row,
        ref.first_coords.array_col,
      ],
    );
    const arrayRowColumn = data.obs.get('array_row');
    assert.equal(arrayRowColumn?.kind, 'integer');
    assert.equal(arrayRowColumn.values[0], ref.first_coords.array_row);
  });

  it('keeps only in-tissue spots of an MTX matrix, in matrix order', async () => {
    const dir = writeOuts(
      tmp,
      'mixed',
      ['B-1', 'A-1', 'C-1'],
      'A-1,1,0,1,100,200\nB-1,1,1,0,110,190\nC-1,0,1,2,120,180\nD-1,1,2,2,5,5\n',
    );
    const data = await readVisium(dir);
    assert.deepEqual(data.cellIds, ['B-1', 'A-1']);
    assert.deepEqual(Array.from(data.X.data), [1, 2]);
    assert.deepEqual(Array.from(data.spatial?.coords.data ?? []), [190, 110, 200, 100]);
    assert.match(data.warnings.join('\n'), /dropped 1 spots outside the tissue/);
  });

  it('names the count of matrix barcodes without a position', async () => {
    const dir = writeOuts(tmp, 'missing', ['A-1', 'X-1', 'Y-1'], 'A-1,1,0,1,100,200\n');
    await rejectsWith(
      readVisium(dir),
      'invalid-input',
      /tissue_positions_list\.csv/,
      /2 of 3 barcodes .* have no position \(e\.g\. X-1, Y-1\)/,
    );
  });

  it('lists what it looked for when the folder is not Space Ranger output', async () => {
    tmp.write('nothing/readme.txt', 'hi');
    await rejectsWith(
      readVisium(join(tmp.dir, 'nothing')),
      'invalid-input',
      /no matrix found/,
      /filtered_feature_bc_matrix\.h5/,
    );
    tmp.write('nopos/filtered_feature_bc_matrix.h5', '');
    await rejectsWith(
      readVisium(join(tmp.dir, 'nopos')),
      'invalid-input',
      /no spot positions found/,
      /tissue_positions\.csv/,
    );
  });
});
