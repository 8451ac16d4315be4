import { invalidParameter, ScgraphError } from '../errors.ts';
import type { CsrMatrix } from './csr.ts';
import { sortRowByColumn } from './csr-ops.ts';
import {
  allocate,
  type BlockKernel,
  inSharedMemory,
  planRowBlocks,
  type RowBlockPlan,
  runRowBlocks,
} from './row-blocks.ts';

export interface QcOptions {
  /** Keep cells with at least this many genes detected (value > 0). Default 1. */
  minGenes?: number;
  /** Keep genes detected (value > 0) in at least this many of the kept cells. Default 1. */
  minCells?: number;
  /** Drop cells whose mitochondrial share of counts exceeds this (0..1). Default: no filter. */
  maxMitoFraction?: number;
  /** 1 for mitochondrial genes, one entry per column; needed for `maxMitoFraction`. */
  mitoGenes?: Uint8Array;
}

export interface QcReport {
  cellsBefore: number;
  genesBefore: number;
  cellsKept: number;
  genesKept: number;
  cellsRemoved: number;
  genesRemoved: number;
  /** Cells below `minGenes` (counted before the mitochondrial filter). */
  cellsRemovedMinGenes: number;
  /** Cells that passed `minGenes` but exceeded `maxMitoFraction`. */
  cellsRemovedMito: number;
}

export interface QcResult {
  /** 1 for kept cells, one entry per row. */
  cellMask: Uint8Array;
  /** 1 for kept genes, one entry per column. */
  geneMask: Uint8Array;
  /** Genes detected per cell, over all genes. */
  nGenesPerCell: Int32Array;
  /** Sum of values per cell, over all genes. */
  totalPerCell: Float64Array;
  /** Mitochondrial share of each cell's total (0 for empty cells), when mito genes were given. */
  mitoFraction?: Float64Array;
  report: QcReport;
}

/**
 * Quality-control masks the way scanpy's filter_cells / filter_genes chain
 * computes them: cells are judged first (genes detected, then mitochondrial
 * fraction, both over all genes), and genes are then counted over the kept
 * cells only. Throws an empty-result error when no cell or no gene is left.
 */
export function qcFilter(X: CsrMatrix, options: QcOptions = {}): QcResult {
  const { minGenes = 1, minCells = 1, maxMitoFraction, mitoGenes } = options;
  checkCount('min_genes', minGenes);
  checkCount('min_cells', minCells);
  if (maxMitoFraction !== undefined) {
    if (!(maxMitoFraction >= 0 && maxMitoFraction <= 1)) {
      throw invalidParameter(
        'max_mito_fraction',
        `must be between 0 and 1, got ${maxMitoFraction}`,
      );
    }
    if (mitoGenes === undefined) {
      throw invalidParameter('max_mito_fraction', 'needs the mitochondrial genes to be identified');
    }
  }
  if (mitoGenes !== undefined && mitoGenes.length !== X.nCols) {
    throw invalidParameter('mito_genes', `has ${mitoGenes.length} entries for ${X.nCols} genes`);
  }

  const { nRows, nCols, indptr, indices, data } = X;
  // Per-cell sums in row blocks that worker threads can take when the matrix
  // lies in shared memory; each block counts cells per gene on its own, and the
  // counts (integers) add up to the same whatever the blocks.
  const plan = planRowBlocks(X);
  const { blocks, shared } = plan;
  const nGenesPerCell = allocate(Int32Array, nRows, shared);
  const totalPerCell = allocate(Float64Array, nRows, shared);
  const mitoFraction = mitoGenes ? allocate(Float64Array, nRows, shared) : undefined;
  const blockCellsPerGene = allocate(Int32Array, blocks * nCols, shared);
  const mito = mitoGenes ?? new Uint8Array(0);
  runRowBlocks(
    'qcFilter',
    qcRows,
    {
      indptr: plan.indptr,
      indices,
      data,
      mito: shared ? inSharedMemory(mito) : mito,
      nGenes: nGenesPerCell,
      totals: totalPerCell,
      mitoFraction: mitoFraction ?? new Float64Array(0),
      cellsPerGene: blockCellsPerGene,
    },
    plan.bounds,
    { nCols, mito: mitoGenes !== undefined },
  );
  // Counted over every cell, then the removed cells taken back out: one scan of
  // the matrix instead of two (removed cells are usually few).
  const cellsPerGene = blockCellsPerGene.slice(0, nCols);
  for (let b = 1; b < blocks; b++) {
    for (let g = 0; g < nCols; g++) cellsPerGene[g] += blockCellsPerGene[b * nCols + g];
  }
  const cellMask = new Uint8Array(nRows);
  let removedMinGenes = 0;
  let removedMito = 0;
  for (let r = 0; r < nRows; r++) {
    if (nGenesPerCell[r] < minGenes) removedMinGenes++;
    else if (maxMitoFraction !== undefined && mitoFraction && mitoFraction[r] > maxMitoFraction)
      removedMito++;
    else cellMask[r] = 1;
  }
  for (let r = 0; r < nRows; r++) {
    if (cellMask[r]) continue;
    for (let p = indptr[r]; p < indptr[r + 1]; p++) if (data[p] > 0) cellsPerGene[indices[p]]--;
  }
  const geneMask = new Uint8Array(nCols);
  let genesKept = 0;
  for (let g = 0; g < nCols; g++) {
    if (cellsPerGene[g] >= minCells) {
      geneMask[g] = 1;
      genesKept++;
    }
  }

  const cellsKept = nRows - removedMinGenes - removedMito;
  const report: QcReport = {
    cellsBefore: nRows,
    genesBefore: nCols,
    cellsKept,
    genesKept,
    cellsRemoved: nRows - cellsKept,
    genesRemoved: nCols - genesKept,
    cellsRemovedMinGenes: removedMinGenes,
    cellsRemovedMito: removedMito,
  };
  if (cellsKept === 0 || genesKept === 0) {
    const what = cellsKept === 0 ? 'no cells' : 'no genes';
    throw new ScgraphError(
      'empty-result',
      `quality control left ${what} (min_genes=${minGenes}, min_cells=${minCells}` +
        `${maxMitoFraction === undefined ? '' : `, max_mito_fraction=${maxMitoFraction}`}; ` +
        `${removedMinGenes} cells below min_genes, ${removedMito} above the mito limit)`,
      { details: { ...report } },
    );
  }
  return { cellMask, geneMask, nGenesPerCell, totalPerCell, mitoFraction, report };
}

/**
 * Genes detected, total and mitochondrial share of rows first..last−1, and
 * their cells per gene into block `block`'s part of `cellsPerGene` (runs in
 * workers as is: runRowBlocks).
 */
const qcRows: BlockKernel<{ nCols: number; mito: boolean }> = (a, block, first, last, params) => {
  const { indptr, indices, data, mito, nGenes, totals, mitoFraction } = a;
  const cellsPerGene = a.cellsPerGene.subarray(block * params.nCols, (block + 1) * params.nCols);
  for (let r = first; r < last; r++) {
    let detected = 0;
    let total = 0;
    let inMito = 0;
    const end = indptr[r + 1];
    if (params.mito) {
      for (let p = indptr[r]; p < end; p++) {
        const v = data[p];
        const c = indices[p];
        if (v > 0) {
          detected++;
          cellsPerGene[c]++;
        }
        total += v;
        if (mito[c]) inMito += v;
      }
      mitoFraction[r] = total > 0 ? inMito / total : 0;
    } else {
      for (let p = indptr[r]; p < end; p++) {
        const v = data[p];
        if (v > 0) {
          detected++;
          cellsPerGene[indices[p]]++;
        }
        total += v;
      }
    }
    nGenes[r] = detected;
    totals[r] = total;
  }
};

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw invalidParameter(name, `must be a non-negative integer, got ${value}`);
  }
}

/**
 * Marks mitochondrial genes by symbol, the usual 'MT-' (human) / 'mt-'
 * (mouse) prefix, case-insensitively.
 */
export function mitoMaskFromSymbols(symbols: readonly string[]): Uint8Array {
  const mask = new Uint8Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    if (/^mt-/i.test(symbols[i])) mask[i] = 1;
  }
  return mask;
}

/** Positions of the set entries of a 0/1 mask, ascending. */
export function maskToIndices(mask: Uint8Array): Int32Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  const out = new Int32Array(n);
  for (let i = 0, k = 0; i < mask.length; i++) if (mask[i]) out[k++] = i;
  return out;
}

/**
 * The rows `rowIdx` and columns `colIdx` of X, in the order given (null keeps
 * all). Column indices must be unique; when they ascend, each output row stays
 * sorted, otherwise rows are re-sorted so the CSR invariant holds. `nnz`,
 * when the caller knows the result's stored count (e.g. from per-column
 * counts), saves the counting pass over the matrix.
 */
export function subsetCsr(
  X: CsrMatrix,
  rowIdx: Int32Array | null,
  colIdx: Int32Array | null,
  nnz?: number,
): CsrMatrix {
  const nRows = rowIdx ? rowIdx.length : X.nRows;
  const nCols = colIdx ? colIdx.length : X.nCols;
  let newCol: Int32Array | null = null;
  let ascending = true;
  if (colIdx) {
    newCol = new Int32Array(X.nCols).fill(-1);
    for (let k = 0; k < colIdx.length; k++) {
      const c = colIdx[k];
      if (!(c >= 0 && c < X.nCols)) throw invalidParameter('colIdx', `column ${c} is out of range`);
      if (newCol[c] !== -1) throw invalidParameter('colIdx', `column ${c} appears twice`);
      newCol[c] = k;
      if (k > 0 && c < colIdx[k - 1]) ascending = false;
    }
  }
  if (rowIdx) {
    for (const r of rowIdx) {
      if (!(r >= 0 && r < X.nRows)) throw invalidParameter('rowIdx', `row ${r} is out of range`);
    }
  }

  const plan = planRowBlocks(X);
  if (!rowIdx && newCol && ascending && plan.shared) {
    return subsetColumnsShared(X, newCol, nCols, plan, nnz);
  }
  const indptr = new Float64Array(nRows + 1);
  if (nnz === undefined) {
    for (let i = 0; i < nRows; i++) {
      const r = rowIdx ? rowIdx[i] : i;
      let count = 0;
      if (newCol) {
        for (let p = X.indptr[r]; p < X.indptr[r + 1]; p++) if (newCol[X.indices[p]] >= 0) count++;
      } else {
        count = X.indptr[r + 1] - X.indptr[r];
      }
      indptr[i + 1] = indptr[i] + count;
    }
  }
  const total = nnz ?? indptr[nRows];
  const indices = new Int32Array(total);
  const data = new Float32Array(total);
  let q = 0;
  for (let i = 0; i < nRows; i++) {
    const r = rowIdx ? rowIdx[i] : i;
    const start = q;
    const end = X.indptr[r + 1];
    for (let p = X.indptr[r]; p < end; p++) {
      const c = newCol ? newCol[X.indices[p]] : X.indices[p];
      if (c < 0) continue;
      if (q === total) throw new RangeError(`subsetCsr: more than nnz=${total} stored values`);
      indices[q] = c;
      data[q++] = X.data[p];
    }
    indptr[i + 1] = q;
    if (!ascending) sortRowByColumn(indices, data, start, q);
  }
  if (q !== total) throw new RangeError(`subsetCsr: ${q} stored values, nnz=${total} given`);
  return { nRows, nCols, indptr, indices, data };
}

/**
 * subsetCsr's columns-only case for a large matrix in shared memory, on
 * worker threads: one pass counts each row's kept values, the next copies
 * them, each over row blocks. The result lies in shared memory too and is the
 * same, value for value, as the one-thread path's.
 */
function subsetColumnsShared(
  X: CsrMatrix,
  newCol: Int32Array,
  nCols: number,
  { bounds, indptr: sharedIndptr }: RowBlockPlan,
  nnz: number | undefined,
): CsrMatrix {
  const { nRows } = X;
  const sharedNewCol = inSharedMemory(newCol);
  const indptr = allocate(Float64Array, nRows + 1, true);
  const arrays = { indptr: sharedIndptr, indices: X.indices, newCol: sharedNewCol, out: indptr };
  runRowBlocks('subsetCsr', countKept, arrays, bounds, {});
  // indptr[i + 1] holds row i's count: make it the running total.
  for (let i = 0; i < nRows; i++) indptr[i + 1] += indptr[i];
  const total = indptr[nRows];
  if (nnz !== undefined && total !== nnz) {
    throw new RangeError(`subsetCsr: ${total} stored values, nnz=${nnz} given`);
  }
  const indices = allocate(Int32Array, total, true);
  const data = allocate(Float32Array, total, true);
  runRowBlocks(
    'subsetCsr',
    copyKept,
    { ...arrays, data: X.data, outIndices: indices, outData: data },
    bounds,
    {},
  );
  return { nRows, nCols, indptr, indices, data };
}

/**
 * Kept values of each row first..last−1 into out[r + 1], every value with
 * `allColumns` (runs in workers as is).
 */
const countKept: BlockKernel<{ allColumns?: boolean }> = (a, _block, first, last, params) => {
  const { indptr, indices, newCol, out } = a;
  for (let r = first; r < last; r++) {
    const end = indptr[r + 1];
    let count = 0;
    if (params.allColumns) count = end - indptr[r];
    else for (let p = indptr[r]; p < end; p++) if (newCol[indices[p]] >= 0) count++;
    out[r + 1] = count;
  }
};

/** Copies the kept values of rows first..last−1, renumbered (runs in workers as is). */
const copyKept: BlockKernel<unknown> = (a, _block, first, last) => {
  const { indptr, indices, data, newCol, out, outIndices, outData } = a;
  for (let r = first; r < last; r++) {
    let q = out[r];
    const end = indptr[r + 1];
    for (let p = indptr[r]; p < end; p++) {
      const c = newCol[indices[p]];
      if (c < 0) continue;
      outIndices[q] = c;
      outData[q++] = data[p];
    }
  }
};

/**
 * The rows `rowIdx` and columns `colIdx` of X (null keeps all), both
 * ascending, compacted into X's own arrays: every kept value moves to a
 * position at or before its old one, so no second copy of a matrix the size
 * of the input is ever needed. X itself must not be used afterwards (its
 * arrays now hold the subset); the result views the same buffers, so their
 * memory is released only when both are dropped. Returns X when nothing is
 * removed.
 */
export function subsetCsrInPlace(
  X: CsrMatrix,
  rowIdx: Int32Array | null,
  colIdx: Int32Array | null,
): CsrMatrix {
  const nRows = rowIdx ? rowIdx.length : X.nRows;
  const nCols = colIdx ? colIdx.length : X.nCols;
  if (nRows === X.nRows && nCols === X.nCols) return X;
  let newCol: Int32Array | null = null;
  if (colIdx && nCols !== X.nCols) {
    newCol = new Int32Array(X.nCols).fill(-1);
    for (let k = 0; k < colIdx.length; k++) {
      const c = colIdx[k];
      if (!(c >= 0 && c < X.nCols) || (k > 0 && c <= colIdx[k - 1])) {
        throw invalidParameter('colIdx', 'must be ascending, unique and in range');
      }
      newCol[c] = k;
    }
  }
  for (let i = 0; i < nRows; i++) {
    const r = rowIdx ? rowIdx[i] : i;
    if (!(r >= 0 && r < X.nRows) || (i > 0 && rowIdx && r <= rowIdx[i - 1])) {
      throw invalidParameter('rowIdx', 'must be ascending, unique and in range');
    }
  }
  const { indices, data } = X;
  const plan = planRowBlocks(X);
  if (plan.shared) {
    const moved = compactShared(X, rowIdx, newCol, plan);
    if (moved) return { ...moved, nCols };
  }
  const indptr = new Float64Array(nRows + 1);
  let q = 0;
  let i = 0;
  // Until the first value is dropped, every kept value stays where it is: only
  // its column is renumbered, and the values array is not touched. Dropping a
  // few empty genes (the usual min_cells outcome) then costs one pass over the
  // indices instead of moving the whole matrix.
  for (; i < nRows; i++) {
    const r = rowIdx ? rowIdx[i] : i;
    if (X.indptr[r] !== q) break;
    const end = X.indptr[r + 1];
    let p = q;
    for (; p < end; p++) {
      const c = newCol ? newCol[indices[p]] : indices[p];
      if (c < 0) break;
      indices[p] = c;
    }
    q = p;
    if (p < end) break;
    indptr[i + 1] = q;
  }
  // From there on values move down, each row compacted whole.
  for (; i < nRows; i++) {
    const r = rowIdx ? rowIdx[i] : i;
    const end = X.indptr[r + 1];
    // A row the aligned pass stopped inside resumes after its last renumbered value.
    for (let p = Math.max(X.indptr[r], q); p < end; p++) {
      const c = newCol ? newCol[indices[p]] : indices[p];
      if (c < 0) continue;
      indices[q] = c;
      data[q++] = data[p];
    }
    indptr[i + 1] = q;
  }
  return { nRows, nCols, indptr, indices: indices.subarray(0, q), data: data.subarray(0, q) };
}

/** Largest share of the stored values that compactShared sets aside (else it declines). */
const COMPACT_SIDE_MAX = 0.05;

/**
 * subsetCsrInPlace over row blocks on worker threads, for a large matrix in
 * shared memory; undefined when it declines (see below) and the one-thread
 * pass should run. Each block moves its kept values down to where the kept
 * values before it end. A block's first destination lies before its first
 * source by the number of values dropped before it, so it overwrites the
 * tail of the previous block's sources: those are copied aside first and
 * read from there. It declines when that tail would reach past the previous
 * block or the copies would exceed COMPACT_SIDE_MAX of the values. Values
 * only move, so the result is the one-thread pass's, value for value.
 */
function compactShared(
  X: CsrMatrix,
  rowIdx: Int32Array | null,
  newCol: Int32Array | null,
  { blocks, bounds, indptr: srcIndptr }: RowBlockPlan,
): { nRows: number; indptr: Float64Array; indices: Int32Array; data: Float32Array } | undefined {
  const { nRows, indices, data } = X;
  // Each block's tail is checked against its neighbour's: no block may be empty.
  for (let b = 0; b < blocks; b++) if (bounds[b] === bounds[b + 1]) return undefined;
  const keep = allocate(Uint8Array, nRows, true);
  if (rowIdx) for (const r of rowIdx) keep[r] = 1;
  else keep.fill(1);
  const columns = newCol ? inSharedMemory(newCol) : allocate(Int32Array, 0, true);
  const allColumns = newCol === null;
  // Kept values per source row (dropped rows are counted too, and skipped below).
  const kept = allocate(Float64Array, nRows + 1, true);
  runRowBlocks(
    'subsetCsrInPlace',
    countKept,
    { indptr: srcIndptr, indices, newCol: columns, out: kept },
    bounds,
    { allColumns },
  );
  // Where each source row's kept values go, and the result's indptr.
  const dst = allocate(Float64Array, nRows + 1, true);
  const indptr = new Float64Array((rowIdx ? rowIdx.length : nRows) + 1);
  let q = 0;
  let i = 0;
  for (let r = 0; r < nRows; r++) {
    dst[r] = q;
    if (!keep[r]) continue;
    q += kept[r + 1];
    indptr[++i] = q;
  }
  dst[nRows] = q;
  // Block b ≥ 1 writes over sources [dst[first_b], src[first_b]) of block b − 1.
  let sideValues = 0;
  for (let b = 1; b < blocks; b++) {
    if (dst[bounds[b]] < srcIndptr[bounds[b - 1]]) return undefined;
    sideValues += srcIndptr[bounds[b]] - dst[bounds[b]];
  }
  if (sideValues > COMPACT_SIDE_MAX * srcIndptr[nRows]) return undefined;
  const sideIndices = allocate(Int32Array, sideValues, true);
  const sideData = allocate(Float32Array, sideValues, true);
  // Block b reads sources from sideFrom[b] on at sideAt[b] + (p − sideFrom[b]) of the copy.
  const sideFrom = allocate(Float64Array, blocks, true).fill(Number.POSITIVE_INFINITY);
  const sideAt = allocate(Float64Array, blocks, true);
  let at = 0;
  for (let b = 1; b < blocks; b++) {
    const from = dst[bounds[b]];
    const to = srcIndptr[bounds[b]];
    sideIndices.set(indices.subarray(from, to), at);
    sideData.set(data.subarray(from, to), at);
    sideFrom[b - 1] = from;
    sideAt[b - 1] = at;
    at += to - from;
  }
  runRowBlocks(
    'subsetCsrInPlace',
    moveKept,
    {
      indptr: srcIndptr,
      indices,
      data,
      newCol: columns,
      keep,
      dst,
      sideIndices,
      sideData,
      sideFrom,
      sideAt,
    },
    bounds,
    { allColumns },
  );
  return { nRows: i, indptr, indices: indices.subarray(0, q), data: data.subarray(0, q) };
}

/**
 * Moves the kept values of source rows first..last−1 to dst[r] on,
 * renumbering their columns; sources from sideFrom[block] on are read from
 * the copy (runs in workers as is).
 */
const moveKept: BlockKernel<{ allColumns: boolean }> = (a, block, first, last, params) => {
  const { indptr, indices, data, newCol, keep, dst, sideIndices, sideData, sideFrom, sideAt } = a;
  const all = params.allColumns;
  const from = sideFrom[block];
  const shift = sideAt[block] - from;
  for (let r = first; r < last; r++) {
    if (!keep[r]) continue;
    let q = dst[r];
    const end = indptr[r + 1];
    const split = Math.min(end, Math.max(indptr[r], from));
    let p = indptr[r];
    // Values that stay where they are (nothing dropped before them) only get their column renumbered.
    for (; p < split && q === p; p++) {
      const c = all ? indices[p] : newCol[indices[p]];
      if (c < 0) break;
      indices[q++] = c;
    }
    for (; p < split; p++) {
      const c = all ? indices[p] : newCol[indices[p]];
      if (c < 0) continue;
      indices[q] = c;
      data[q++] = data[p];
    }
    for (; p < end; p++) {
      const c = all ? sideIndices[p + shift] : newCol[sideIndices[p + shift]];
      if (c < 0) continue;
      indices[q] = c;
      data[q++] = sideData[p + shift];
    }
  }
};
