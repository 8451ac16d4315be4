import { stat } from 'node:fs/promises';
import { invalidInput, invalidParameter, isScgraphError } from '../errors.ts';
import { joinCellMetadata, joinedName, readTextTable, type TextTable } from './cell-metadata.ts';
import type { ExpressionData, InputFormat, MetadataNames, ReadOptions } from './dataset.ts';
import { readDelimited } from './delimited.ts';
import { detectFormat } from './detect.ts';
import { readH5ad } from './h5ad.ts';
import { readLoom } from './loom.ts';
import { readTenxH5 } from './tenx-h5.ts';
import { readTenxMtx } from './tenx-mtx.ts';
import { readVisium } from './visium.ts';

/** Options of `readInput`: every reader's options plus a forced format. */
export interface ReadInputOptions extends ReadOptions {
  /** Skip detection and read as this format. */
  format?: InputFormat;
}

/**
 * Reads any supported input: detects the format (see `detectFormat`) unless
 * `options.format` names it, then calls that format's reader.
 * `options.cellMetadata` is joined by cell id whatever the format.
 *
 * @example
 * const data = await readInput('data/pbmc_small/10x_v2', { cellMetadata: 'data/pbmc_small/cells.csv' });
 */
export async function readInput(
  path: string,
  options: ReadInputOptions = {},
): Promise<ExpressionData> {
  const format = options.format ?? (await detectFormat(path));
  if (options.format) await checkForcedKind(path, options.format);
  if (options.matrix !== undefined && format !== 'h5ad' && format !== 'loom') {
    throw invalidParameter(
      'matrix',
      `picks a matrix of an h5ad or Loom file, but ${path} is ${format} (it has one matrix)`,
      { found: options.matrix },
    );
  }
  // The delimited reader joins the metadata itself.
  const joinHere = options.cellMetadata !== undefined && format !== 'delimited';
  // Small next to the matrix: read first, so its columns are known before the matrix is.
  const table = joinHere ? await readTextTable(options.cellMetadata!) : undefined;
  const { beforeMatrix } = options;
  let told = false;
  const readerOptions: ReadInputOptions = {
    ...options,
    beforeMatrix:
      beforeMatrix &&
      ((found) => {
        told = true;
        beforeMatrix(table ? withTableColumns(found, table) : found);
      }),
  };
  let data: ExpressionData;
  try {
    data = await readAs(format, path, readerOptions);
  } catch (error) {
    throw options.format ? await blameForcedFormat(error, path, options.format) : error;
  }
  if (table) data = await joinCellMetadata(data, options.cellMetadata!, table);
  if (beforeMatrix && !told) beforeMatrix(metadataNames(data));
  return data;
}

/**
 * A read that failed under a forced --format, re-worded when the file looks
 * like another format: that, not the detail the reader tripped on, is the
 * user's mistake.
 */
async function blameForcedFormat(
  error: unknown,
  path: string,
  forced: InputFormat,
): Promise<unknown> {
  const detected = await detectFormat(path).catch(() => undefined);
  if (!isScgraphError(error) || detected === undefined || detected === forced) return error;
  return invalidParameter(
    'format',
    `${path} looks like ${detected}, not ${forced}: leave --format out, or give --format ${detected} (read as ${forced}: ${error.reason})`,
    { expected: detected, found: forced },
  );
}

/** The reader of `format`. */
function readAs(
  format: InputFormat,
  path: string,
  readerOptions: ReadInputOptions,
): Promise<ExpressionData> {
  switch (format) {
    case 'h5ad':
      return readH5ad(path, readerOptions);
    case '10x-mtx':
      return readTenxMtx(path, readerOptions);
    case '10x-h5':
      return readTenxH5(path, readerOptions);
    case 'loom':
      return readLoom(path, readerOptions);
    case 'visium':
      return readVisium(path, readerOptions);
    case 'delimited':
      return readDelimited(path, readerOptions);
  }
}

/** The names `ReadOptions.beforeMatrix` gets, for data already read. */
export function metadataNames(data: ExpressionData): MetadataNames {
  return { obs: [...data.obs.keys()], obsm: [...data.obsm.keys()], obsp: [...data.obsp.keys()] };
}

/** `found` plus every column a join of `table` could add (the id column's too: a superset). */
function withTableColumns(found: MetadataNames, table: TextTable): MetadataNames {
  const added = table.names
    .map((_, c) => joinedName(table, c))
    .filter((n) => !found.obs.includes(n));
  return { ...found, obs: [...found.obs, ...added] };
}

/** Formats read from one file, and from a folder. 10x MTX is either: a folder or its matrix.mtx. */
const FILE_FORMATS: ReadonlySet<InputFormat> = new Set(['h5ad', '10x-h5', 'loom', 'delimited']);

/** A forced --format meets a path of the kind it reads (a file or a folder). */
async function checkForcedKind(path: string, format: InputFormat): Promise<void> {
  const info = await stat(path).catch((error) => {
    throw invalidInput(path, 'no such file or folder', {}, error);
  });
  const folder = info.isDirectory();
  if (folder && FILE_FORMATS.has(format)) {
    throw invalidParameter('format', `${path} is a folder, but ${format} is read from a file`, {
      found: format,
    });
  }
  if (!folder && format === 'visium') {
    throw invalidParameter('format', `${path} is a file, but visium reads a Space Ranger folder`, {
      found: format,
    });
  }
}
