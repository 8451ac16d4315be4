import { invalidParameter, ScgraphError } from '../errors.ts';
import type { CsrMatrix } from './csr.ts';

export interface HvgOptions {
  /** How many genes to select. Default 2000; all genes are kept when there are no more. */
  nTop?: number;
  /** Equal-width bins of log mean expression. Default 20. */
  nBins?: number;
  /**
   * expm1 moments of this same X, already summed (by `normalizeTotalLog1p`'s
   * `momentsInto` or `expm1Moments`), so that X is not scanned again.
   */
  moments?: GeneMoments;
}

/**
 * Per-column sums of expm1(x) and expm1(x)² over the stored values, each
 * expm1 rounded to float32 and summed in storage order, and the count of
 * stored values. The same sums, bit for bit, however they were gathered.
 */
export interface GeneMoments {
  sum: Float64Array;
  squares: Float64Array;
  stored: Float64Array;
}

/** Zeroed moments for `nCols` columns. */
export function emptyGeneMoments(nCols: number): GeneMoments {
  return {
    sum: new Float64Array(nCols),
    squares: new Float64Array(nCols),
    stored: new Float64Array(nCols),
  };
}

/** Refuses moments that are not one entry per column of an nCols-column matrix. */
export function checkMoments(moments: GeneMoments, nCols: number, field: string): void {
  if (moments.sum.length !== nCols) {
    throw invalidParameter(field, `are for ${moments.sum.length} genes, the matrix has ${nCols}`);
  }
}

export interface HvgResult {
  /** 1 for selected genes, one entry per column. */
  mask: Uint8Array;
  /** Selected columns, ascending. */
  indices: Int32Array;
  /** log1p of each gene's mean (of expm1 of the log data). */
  means: Float64Array;
  /** log of variance / mean, NaN where the variance is zero. */
  dispersions: Float64Array;
  /** Dispersion z-scored within its mean bin (float32 like the reference), NaN if undefined. */
  dispersionsNorm: Float32Array;
  /** Stored values of the selected genes: the size of X's subset to them (`subsetCsr`'s nnz). */
  selectedNnz: number;
}

const FLOAT32_MAX = 3.4028234663852886e38;
/** Slots of expm1's memo table (a power of two); log values 1/64 apart get different slots. */
const EXPM1_SLOTS = 512;

/**
 * Highly variable genes the way scanpy's highly_variable_genes(flavor='seurat',
 * n_top_genes) selects them on log1p data: per-gene mean and variance (ddof 1)
 * of expm1(X), log dispersion, 20 equal-width bins of log1p(mean) cut like
 * pandas.cut, dispersion z-scored within each bin (a bin with a single gene
 * scores it 1), and the genes whose normalized dispersion is at least the
 * nTop-th largest (ties included, undefined scores counting as 0).
 */
export function highlyVariableGenes(Xlog: CsrMatrix, options: HvgOptions = {}): HvgResult {
  const { nTop = 2000, nBins = 20, moments } = options;
  if (!Number.isInteger(nTop) || nTop < 1) {
    throw invalidParameter('n_top_genes', `must be a positive integer, got ${nTop}`);
  }
  if (!Number.isInteger(nBins) || nBins < 1) {
    throw invalidParameter('n_bins', `must be a positive integer, got ${nBins}`);
  }
  const n = Xlog.nRows;
  const nGenes = Xlog.nCols;
  if (n < 2) {
    throw new ScgraphError('empty-result', `gene variances need at least 2 cells, got ${n}`);
  }

  if (moments) checkMoments(moments, nGenes, 'moments');
  const { mean, variance, stored } = meanVarianceExpm1(Xlog, moments ?? expm1Moments(Xlog));
  const means = new Float64Array(nGenes);
  const dispersions = new Float64Array(nGenes);
  const ddof1 = n / (n - 1);
  for (let g = 0; g < nGenes; g++) {
    const m = mean[g] === 0 ? 1e-12 : mean[g];
    const d = (variance[g] * ddof1) / m;
    dispersions[g] = d === 0 ? Number.NaN : Math.log(d);
    means[g] = Math.log1p(m);
  }

  const bin = cutEqualWidth(means, nBins);
  const dispersionsNorm = zScoreWithinBins(dispersions, bin, nBins);
  const mask = selectTop(dispersionsNorm, nTop);
  const indices = new Int32Array(mask.reduce((s, v) => s + v, 0));
  let selectedNnz = 0;
  for (let g = 0, k = 0; g < nGenes; g++) {
    if (mask[g]) {
      indices[k++] = g;
      selectedNnz += stored[g];
    }
  }
  return { mask, indices, means, dispersions, dispersionsNorm, selectedNnz };
}

/**
 * One pass over X's stored values summing their expm1 moments per column,
 * added into `into` (new zeroed moments by default), which is returned.
 */
export function expm1Moments(
  X: CsrMatrix,
  into: GeneMoments = emptyGeneMoments(X.nCols),
): GeneMoments {
  const { nRows: n, nCols, indptr, indices, data } = X;
  checkMoments(into, nCols, 'moments');
  const end = indptr[n];
  // A cell's log values repeat (they come from a few small counts), so expm1 is
  // remembered in a direct-mapped table keyed by the value itself: same results,
  // a fraction of the calls.
  const memoKey = new Float64Array(EXPM1_SLOTS).fill(Number.NaN);
  const memoValue = new Float64Array(EXPM1_SLOTS);
  // The three sums of a gene side by side: one cache line per stored value, not three.
  const acc = new Float64Array(3 * nCols);
  for (let p = 0; p < end; p++) {
    const x = data[p];
    const slot = ((x * 64) | 0) & (EXPM1_SLOTS - 1);
    let v: number;
    if (memoKey[slot] === x) {
      v = memoValue[slot];
    } else {
      v = Math.fround(Math.expm1(x));
      memoKey[slot] = x;
      memoValue[slot] = v;
    }
    const c = 3 * indices[p];
    acc[c] += v;
    acc[c + 1] += v * v;
    acc[c + 2]++;
  }
  addInterleaved(into, acc);
  return into;
}

/** Adds sums kept side by side per gene (sum, squares, stored) into `moments`. */
export function addInterleaved(moments: GeneMoments, acc: Float64Array): void {
  for (let c = 0; c < moments.sum.length; c++) {
    moments.sum[c] += acc[3 * c];
    moments.squares[c] += acc[3 * c + 1];
    moments.stored[c] += acc[3 * c + 2];
  }
}

/**
 * Column mean and population variance of expm1(X) from its moments, rounded
 * to float32 as sklearn's mean_variance_axis returns them for float32 input.
 * A gene whose variance is small against its squared mean (where sum-of-
 * squares cancellation could reach float32 precision, e.g. a constant gene
 * that must come out exactly 0) is redone with sklearn's corrected two-pass
 * formula, which costs a second scan only when such a gene exists.
 */
function meanVarianceExpm1(
  X: CsrMatrix,
  moments: GeneMoments,
): {
  mean: Float64Array;
  variance: Float64Array;
  stored: Float64Array;
} {
  const { nRows: n, nCols } = X;
  const { sum, squares, stored } = moments;
  const mean = new Float64Array(nCols);
  const variance = new Float64Array(nCols);
  const redo: number[] = [];
  for (let c = 0; c < nCols; c++) {
    const m = sum[c] / n;
    const v = (squares[c] - sum[c] * m) / n;
    mean[c] = m;
    variance[c] = v;
    // Relative rounding error of v is about 1e-16 · m²/v; keep it far below float32's 6e-8.
    if (m !== 0 && v <= 1e-6 * m * m) redo.push(c);
  }
  if (redo.length > 0) twoPassVariance(X, mean, stored, redo, variance);
  for (let c = 0; c < nCols; c++) {
    variance[c] = Math.fround(variance[c]);
    mean[c] = Math.fround(mean[c]);
  }
  return { mean, variance, stored };
}

/** sklearn's corrected two-pass variance of expm1(X) for the listed columns, into `variance`. */
function twoPassVariance(
  X: CsrMatrix,
  mean: Float64Array,
  stored: Float64Array,
  columns: readonly number[],
  variance: Float64Array,
): void {
  const { nRows: n, nCols, indptr, indices, data } = X;
  const wanted = new Uint8Array(nCols);
  for (const c of columns) wanted[c] = 1;
  const squares = new Float64Array(nCols);
  const correction = new Float64Array(nCols);
  const end = indptr[n];
  for (let p = 0; p < end; p++) {
    const c = indices[p];
    if (wanted[c] === 0) continue;
    const diff = Math.fround(Math.expm1(data[p])) - mean[c];
    correction[c] += diff;
    squares[c] += diff * diff;
  }
  for (const c of columns) {
    const zeros = n - stored[c];
    let corr = correction[c];
    let v = squares[c];
    // Only add the implicit zeros' share when there are any, to avoid cancellation.
    if (zeros > 0) {
      corr -= zeros * mean[c];
      v += zeros * mean[c] * mean[c];
    }
    variance[c] = (v - (corr * corr) / n) / n;
  }
}

/**
 * Bin of each value among `nBins` equal-width bins over its range, as
 * pandas.cut(x, bins=nBins) assigns them: edges from numpy.linspace, intervals
 * closed on the right, the lowest edge lowered by 0.1% of the range so the
 * minimum falls in the first bin (or ±0.1% around a constant value).
 */
export function cutEqualWidth(x: Float64Array, nBins: number): Int32Array {
  let mn = Number.POSITIVE_INFINITY;
  let mx = Number.NEGATIVE_INFINITY;
  for (const v of x) {
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  let edges: Float64Array;
  if (mn === mx) {
    mn -= mn !== 0 ? 0.001 * Math.abs(mn) : 0.001;
    mx += mx !== 0 ? 0.001 * Math.abs(mx) : 0.001;
    edges = linspace(mn, mx, nBins + 1);
  } else {
    edges = linspace(mn, mx, nBins + 1);
    edges[0] -= (mx - mn) * 0.001;
  }
  const bin = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    // searchsorted(edges, x, side='left') - 1: the number of edges strictly below x, less one.
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid] < x[i]) lo = mid + 1;
      else hi = mid;
    }
    bin[i] = lo - 1;
  }
  return bin;
}

/** numpy.linspace(start, stop, num) with endpoint, computed the same way (i * step + start). */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/** (d - bin mean) / bin std (ddof 1) over defined values, scanpy's single-gene-bin rule. */
function zScoreWithinBins(dispersions: Float64Array, bin: Int32Array, nBins: number): Float32Array {
  const count = new Float64Array(nBins);
  const sum = new Float64Array(nBins);
  for (let g = 0; g < dispersions.length; g++) {
    if (Number.isNaN(dispersions[g])) continue;
    count[bin[g]]++;
    sum[bin[g]] += dispersions[g];
  }
  const binMean = new Float64Array(nBins);
  for (let b = 0; b < nBins; b++) binMean[b] = count[b] > 0 ? sum[b] / count[b] : Number.NaN;
  const squares = new Float64Array(nBins);
  for (let g = 0; g < dispersions.length; g++) {
    if (Number.isNaN(dispersions[g])) continue;
    const d = dispersions[g] - binMean[bin[g]];
    squares[bin[g]] += d * d;
  }
  const binStd = new Float64Array(nBins);
  for (let b = 0; b < nBins; b++) {
    if (count[b] >= 2) {
      binStd[b] = Math.sqrt(squares[b] / (count[b] - 1));
    } else {
      // scanpy: where the std is undefined it takes the mean as std and 0 as mean.
      binStd[b] = binMean[b];
      binMean[b] = 0;
    }
  }
  const norm = new Float32Array(dispersions.length);
  for (let g = 0; g < dispersions.length; g++) {
    norm[g] = (dispersions[g] - binMean[bin[g]]) / binStd[bin[g]];
  }
  return norm;
}

/**
 * Genes whose score (NaN as 0, ±Inf clamped like numpy.nan_to_num) is at
 * least the nTop-th largest defined score. All genes when nTop covers them.
 */
function selectTop(scores: Float32Array, nTop: number): Uint8Array {
  const mask = new Uint8Array(scores.length);
  if (nTop >= scores.length) return mask.fill(1);
  const defined = scores.filter((v) => !Number.isNaN(v)).sort((a, b) => b - a);
  // The reference fails when fewer scores than nTop are defined; we keep every defined one.
  if (defined.length === 0) return mask.fill(1);
  const cutoff = defined[Math.min(nTop, defined.length) - 1];
  for (let g = 0; g < scores.length; g++) {
    const v = scores[g];
    const clamped = Number.isNaN(v) ? 0 : Math.max(-FLOAT32_MAX, Math.min(FLOAT32_MAX, v));
    if (clamped >= cutoff) mask[g] = 1;
  }
  return mask;
}
