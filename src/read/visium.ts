/**
 * Reader for a 10x Space Ranger `outs` folder: the feature-barcode matrix
 * (HDF5 or MTX folder) joined with the spot positions under `spatial/`.
 * Tissue images and scale factors are not needed and not read.
 *
 * @example
 * const data = await readVisium('outs');
 * data.spatial?.coords; // n × 2, [pxl_col_in_fullres, pxl_row_in_fullres]
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { invalidInput, ScgraphError } from '../errors.ts';
import { readAllLines } from '../io/text.ts';
import type { DenseMatrix } from '../matrix/csr.ts';
import { takeDenseRows } from '../matrix/dense-ops.ts';
import { subsetCsr } from '../matrix/qc.ts';
import type { ExpressionData, ReadOptions, Table } from './dataset.ts';
import { splitFields } from './split-fields.ts';
import { numericColumn, takeRows } from './table.ts';
import { readTenxH5 } from './tenx-h5.ts';
import { readTenxMtx } from './tenx-mtx.ts';

/** Matrix locations tried in order; raw matrices are narrowed to in-tissue spots. */
const MATRIX_CANDIDATES = [
  'filtered_feature_bc_matrix.h5',
  'filtered_feature_bc_matrix',
  'raw_feature_bc_matrix.h5',
  'raw_feature_bc_matrix',
];
/** Space Ranger 2+ writes a header row; 1.x writes none. */
const POSITION_FILES = ['spatial/tissue_positions.csv', 'spatial/tissue_positions_list.csv'];
const POSITION_COLUMNS = [
  'barcode',
  'in_tissue',
  'array_row',
  'array_col',
  'pxl_row_in_fullres',
  'pxl_col_in_fullres',
] as const;

/**
 * Reads a Space Ranger output folder. Keeps the matrix's spots that are in
 * tissue (in_tissue = 1), in matrix order; a matrix barcode without a
 * position is an error. `spatial.coords` and `obsm['spatial']` hold
 * [pxl_col_in_fullres, pxl_row_in_fullres] (x, y) per spot; obs gains
 * in_tissue, array_row and array_col.
 */
export async function readVisium(dir: string, options: ReadOptions = {}): Promise<ExpressionData> {
  const info = await stat(dir).catch((error) => {
    throw invalidInput(dir, 'no such folder', {}, error);
  });
  if (!info.isDirectory())
    throw invalidInput(dir, 'expected a Space Ranger outs folder, found a file');

  const matrixPath = await findFirst(dir, MATRIX_CANDIDATES, 'matrix');
  const positionsPath = await findFirst(dir, POSITION_FILES, 'spot positions');
  // The positions add obs columns after the matrix is read: the hook waits for readInput.
  const { beforeMatrix: _, ...matrixOptions } = options;
  const matrix = matrixPath.endsWith('.h5')
    ? await readTenxH5(matrixPath, matrixOptions)
    : await readTenxMtx(matrixPath, matrixOptions);
  const positions = await readPositions(positionsPath);

  const keep: number[] = [];
  const missing: string[] = [];
  let outside = 0;
  for (let i = 0; i < matrix.cellIds.length; i++) {
    const row = positions.rowOf.get(matrix.cellIds[i]);
    if (row === undefined) missing.push(matrix.cellIds[i]);
    else if (positions.inTissue[row] === 1) keep.push(i);
    else outside++;
  }
  if (missing.length > 0) {
    throw invalidInput(
      positionsPath,
      `${missing.length} of ${matrix.cellIds.length} barcodes of ${basename(matrixPath)} have no position (e.g. ${missing.slice(0, 3).join(', ')})`,
      { found: String(missing.length) },
    );
  }
  if (keep.length === 0) {
    throw new ScgraphError(
      'empty-result',
      `no spot of ${basename(matrixPath)} is marked in tissue`,
      { file: positionsPath },
    );
  }
  const warnings = [...matrix.warnings];
  if (outside > 0)
    warnings.push(
      `${basename(positionsPath)}: dropped ${outside} spots outside the tissue (in_tissue = 0)`,
    );

  const rows = keep.map((i) => positions.rowOf.get(matrix.cellIds[i]) as number);
  const coords: DenseMatrix = {
    nRows: rows.length,
    nCols: 2,
    data: Float64Array.from({ length: rows.length * 2 }, (_, k) =>
      k % 2 === 0 ? positions.pxlCol[rows[k >> 1]] : positions.pxlRow[rows[k >> 1]],
    ),
  };
  const arrayRow = Int32Array.from(rows, (r) => positions.arrayRow[r]);
  const arrayCol = Int32Array.from(rows, (r) => positions.arrayCol[r]);

  const obs = takeRows(matrix.obs, keep);
  obs.set(
    'in_tissue',
    numericColumn(
      rows.map((r) => positions.inTissue[r]),
      true,
    ),
  );
  obs.set('array_row', numericColumn(arrayRow, true));
  obs.set('array_col', numericColumn(arrayCol, true));

  return {
    ...matrix,
    format: 'visium',
    source: dir,
    X:
      keep.length === matrix.cellIds.length
        ? matrix.X
        : subsetCsr(matrix.X, Int32Array.from(keep), null),
    cellIds: keep.map((i) => matrix.cellIds[i]),
    obs: obs as Table,
    obsm: new Map([
      ...[...matrix.obsm].map(([name, m]) => [name, takeDenseRows(m, keep)] as const),
      ['spatial', coords],
    ]),
    obsp: new Map(),
    spatial: { coords, arrayRow, arrayCol },
    warnings,
  };
}

async function findFirst(
  dir: string,
  candidates: readonly string[],
  what: string,
): Promise<string> {
  for (const name of candidates) {
    const path = join(dir, name);
    const found = await stat(path).then(
      () => true,
      () => false,
    );
    if (found) return path;
  }
  let present = '';
  const entries = await readdir(join(dir, 'spatial')).catch(() => undefined);
  if (what === 'spot positions' && entries?.some((n) => n.endsWith('.parquet'))) {
    present = '; tissue_positions.parquet is not supported, convert it to CSV';
  }
  throw invalidInput(
    dir,
    `not a Space Ranger outs folder: no ${what} found (looked for ${candidates.join(', ')})${present}`,
  );
}

interface Positions {
  readonly rowOf: Map<string, number>;
  readonly inTissue: Int32Array;
  readonly arrayRow: Int32Array;
  readonly arrayCol: Int32Array;
  readonly pxlRow: Float64Array;
  readonly pxlCol: Float64Array;
}

/**
 * Parses tissue_positions[_list].csv. Whether the first line is a header is
 * told by its content (a non-numeric in_tissue field), not by the file name,
 * since renamed files are common.
 */
async function readPositions(path: string): Promise<Positions> {
  const lines = (await readAllLines(path)).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw invalidInput(path, 'file is empty');
  let order: number[] = POSITION_COLUMNS.map((_, i) => i);
  let start = 0;
  const first = splitFields(lines[0], ',');
  if (first.length < 2 || !/^-?\d+(\.\d*)?$/.test(first[1])) {
    const names = first.map((n) => n.toLowerCase());
    order = POSITION_COLUMNS.map((name) => names.indexOf(name));
    const absent = POSITION_COLUMNS.filter((_, i) => order[i] < 0);
    if (absent.length > 0) throw invalidInput(path, `header lacks column(s) ${absent.join(', ')}`);
    start = 1;
  }
  const n = lines.length - start;
  const out: Positions = {
    rowOf: new Map(),
    inTissue: new Int32Array(n),
    arrayRow: new Int32Array(n),
    arrayCol: new Int32Array(n),
    pxlRow: new Float64Array(n),
    pxlCol: new Float64Array(n),
  };
  const width = Math.max(...order) + 1;
  for (let r = 0; r < n; r++) {
    const fields = splitFields(lines[start + r], ',');
    const lineNo = start + r + 1;
    if (fields.length < width)
      throw invalidInput(path, `line ${lineNo}: ${fields.length} fields, expected ${width}`);
    const value = (c: number) => {
      const text = fields[order[c]];
      const v = Number(text);
      if (text === '' || !Number.isFinite(v)) {
        throw invalidInput(
          path,
          `line ${lineNo}: ${POSITION_COLUMNS[c]} '${text}' is not a number`,
        );
      }
      return v;
    };
    const barcode = fields[order[0]];
    if (out.rowOf.has(barcode))
      throw invalidInput(path, `line ${lineNo}: barcode '${barcode}' listed twice`);
    out.rowOf.set(barcode, r);
    out.inTissue[r] = value(1);
    out.arrayRow[r] = value(2);
    out.arrayCol[r] = value(3);
    out.pxlRow[r] = value(4);
    out.pxlCol[r] = value(5);
  }
  return out;
}
