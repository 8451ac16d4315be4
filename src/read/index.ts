/**
 * The readers: every supported input format in, one ExpressionData out.
 *
 * @example
 * import { readInput } from './read/index.ts';
 * const data = await readInput('outs/filtered_feature_bc_matrix');
 */
export { joinCellMetadata } from './cell-metadata.ts';
export type * from './dataset.ts';
export { readDelimited } from './delimited.ts';
export { detectFormat } from './detect.ts';
export { readH5ad } from './h5ad.ts';
export { type InputSummary, inspectInput } from './inspect.ts';
export { readLoom } from './loom.ts';
export { metadataNames, type ReadInputOptions, readInput } from './read-input.ts';
export { readTenxH5 } from './tenx-h5.ts';
export { readTenxMtx } from './tenx-mtx.ts';
export { readVisium } from './visium.ts';
