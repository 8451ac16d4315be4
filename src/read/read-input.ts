import { joinCellMetadata } from './cell-metadata.ts';
import type { ExpressionData, InputFormat, ReadOptions } from './dataset.ts';
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
  let data: ExpressionData;
  switch (format) {
    case 'h5ad':
      data = await readH5ad(path, options);
      break;
    case '10x-mtx':
      data = await readTenxMtx(path, options);
      break;
    case '10x-h5':
      data = await readTenxH5(path, options);
      break;
    case 'loom':
      data = await readLoom(path, options);
      break;
    case 'visium':
      data = await readVisium(path, options);
      break;
    case 'delimited':
      // The delimited reader joins the metadata itself.
      return readDelimited(path, options);
  }
  return options.cellMetadata ? joinCellMetadata(data, options.cellMetadata) : data;
}
