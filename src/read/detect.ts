/**
 * Tells which reader an input needs, by content and layout rather than by
 * name alone: an HDF5 file is told apart by the groups it holds, a folder by
 * the files in it.
 *
 * @example
 * await detectFormat('data/visium'); // 'visium'
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidInput } from '../errors.ts';
import { entityAt, type H5File, isDataset, isGroup, withHdf5 } from '../io/hdf5.ts';
import { readHead } from '../io/text.ts';
import type { InputFormat } from './dataset.ts';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const HDF5_NAMES = /\.(h5ad|h5|hdf5|loom)$/i;
const TABLE_NAMES = /\.(csv|tsv|tab|txt)(\.gz)?$/i;
const MTX_NAMES = /\.mtx(\.gz)?$/i;

const LOOKED_FOR =
  'an HDF5 file (.h5ad, 10x .h5, .loom), a 10x MTX folder or matrix.mtx[.gz], ' +
  'a Space Ranger folder with spatial/, or a .csv/.tsv[.gz] table';

/**
 * Detects the format of a file or folder:
 * - HDF5 signature: 'loom' (a `matrix` dataset beside `row_attrs`/`col_attrs`),
 *   'h5ad' (`X` and `obs`), '10x-h5' (a `matrix` group, or Cell Ranger 2
 *   genome groups holding `barcodes` and `indptr`);
 * - folder: 'visium' when it has `spatial/`, '10x-mtx' when it has
 *   `matrix.mtx[.gz]` (or one `*matrix.mtx[.gz]`);
 * - `.mtx[.gz]` file: '10x-mtx'; `.csv/.tsv/.tab/.txt[.gz]`: 'delimited'.
 * Anything else is an invalid-input error listing what was looked for.
 */
export async function detectFormat(path: string): Promise<InputFormat> {
  const info = await stat(path).catch((error) => {
    throw invalidInput(path, 'no such file or folder', {}, error);
  });
  if (info.isDirectory()) return detectFolder(path);

  const head = await readHead(path, 4096);
  if (HDF5_SIGNATURE.every((byte, i) => head[i] === byte)) {
    return withHdf5(path, (file) => detectHdf5(path, file));
  }
  if (HDF5_NAMES.test(path)) {
    const what =
      head.length === 0 ? 'the file is empty' : 'it does not start with the HDF5 signature';
    throw invalidInput(path, `not an HDF5 file: ${what} (truncated, or another format renamed)`);
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  if (MTX_NAMES.test(path)) return '10x-mtx';
  if (TABLE_NAMES.test(path)) {
    if (!gzip && head.includes(0))
      throw invalidInput(path, 'named like a text table but holds binary data');
    return 'delimited';
  }
  throw invalidInput(path, `unrecognised input: expected ${LOOKED_FOR}`);
}

async function detectFolder(dir: string): Promise<InputFormat> {
  const names = (await readdir(dir)).sort();
  if (names.includes('spatial')) {
    const spatial = await stat(join(dir, 'spatial'));
    if (spatial.isDirectory()) return 'visium';
  }
  if (names.some((n) => /matrix\.mtx(\.gz)?$/.test(n))) return '10x-mtx';
  if (names.some((n) => n.startsWith('tissue_positions'))) {
    throw invalidInput(
      dir,
      'this is the spatial/ folder of a Space Ranger output: pass the folder above it',
    );
  }
  const inputs = names.filter(
    (n) => HDF5_NAMES.test(n) || TABLE_NAMES.test(n) || MTX_NAMES.test(n),
  );
  const hint =
    inputs.length > 0 ? `; it holds ${inputs.join(', ')}: pass one of those files instead` : '';
  throw invalidInput(
    dir,
    `not a 10x MTX folder (no matrix.mtx or matrix.mtx.gz) nor a Space Ranger folder (no spatial/)${hint}`,
  );
}

function detectHdf5(path: string, file: H5File): InputFormat {
  const keys = file.keys();
  if (
    isDataset(entityAt(file, 'matrix')) &&
    (keys.includes('row_attrs') || keys.includes('col_attrs'))
  ) {
    return 'loom';
  }
  if (keys.includes('X') && keys.includes('obs')) return 'h5ad';
  if (isGroup(entityAt(file, 'matrix'))) return '10x-h5';
  // Cell Ranger 2: one group per genome, each a CSC matrix.
  const genomeGroup = keys.some((k) => {
    const group = entityAt(file, k);
    if (!isGroup(group)) return false;
    const inner = group.keys();
    return inner.includes('barcodes') && inner.includes('indptr');
  });
  if (genomeGroup) return '10x-h5';
  throw invalidInput(
    path,
    'HDF5 file is none of h5ad (X and obs), 10x HDF5 (matrix/ or genome groups with barcodes) ' +
      `or loom (matrix with row_attrs/col_attrs); top-level entries: ${keys.join(', ') || 'none'}`,
  );
}
