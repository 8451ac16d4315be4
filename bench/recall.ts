/** Recall measurement shared by the benchmarks: exact kNN of a sample, and recall@k. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DenseMatrix } from '../src/matrix/csr.ts';
import { Random } from '../src/matrix/random.ts';
import { readH5ad } from '../src/read/h5ad.ts';

/** Reads a C-order float32 little-endian .npy (the format numpy.save writes). */
export function readNpyFloat32(path: string): DenseMatrix {
  const buf = readFileSync(path);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', start - headerLen, start);
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) {
    throw new Error(`${path}: expected C-order little-endian float32, header ${header}`);
  }
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  if (!shape) throw new Error(`${path}: expected a 2-d array, header ${header}`);
  const [nRows, nCols] = [Number(shape[1]), Number(shape[2])];
  const data = new Float32Array(nRows * nCols);
  new Uint8Array(data.buffer).set(buf.subarray(start, start + data.byteLength));
  return { nRows, nCols, data };
}

/** Exact k nearest (self included) of the sample rows only, float64 brute force. */
export function exactSample(x: DenseMatrix, sample: Int32Array, k: number): Int32Array[] {
  const { nRows: n, nCols: dim, data } = x;
  return Array.from(sample, (q) => {
    const d2 = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const diff = data[q * dim + d] - data[p * dim + d];
        s += diff * diff;
      }
      d2[p] = s;
    }
    // Insertion into a short sorted list: k is tiny next to n.
    const best: number[] = [];
    for (let p = 0; p < n; p++) {
      if (best.length === k && d2[p] >= d2[best[k - 1]]) continue;
      let j = Math.min(best.length, k - 1);
      best[j] = p;
      while (j > 0 && d2[best[j - 1]] > d2[p]) {
        best[j] = best[j - 1];
        best[--j] = p;
      }
    }
    return Int32Array.from(best);
  });
}

/** Share of the true k nearest (self included) that `found` lists, over the sample. */
export function recall(
  found: (i: number) => ArrayLike<number>,
  sample: Int32Array,
  truth: Int32Array[],
  k = truth[0]?.length ?? 15,
) {
  let hits = 0;
  sample.forEach((q, s) => {
    const t = new Set(truth[s]);
    const f = found(q);
    for (let j = 0; j < f.length; j++) if (t.has(f[j])) hits++;
  });
  return hits / (sample.length * k);
}

/**
 * recall@k of a built package's kNN graph (each cell plus its row of
 * obsp['distances']) against exact search in its X_pca, over a seeded sample.
 */
export async function packageRecall(dir: string, sampleSize: number, k = 15): Promise<number> {
  const data = await readH5ad(join(dir, 'dataset.h5ad'));
  const pcs = data.obsm.get('X_pca');
  const dist = data.obsp.get('distances');
  if (!pcs || !dist) throw new Error(`${dir}: dataset.h5ad lacks X_pca or distances`);
  const n = pcs.nRows;
  const rng = new Random(12345);
  const sample = Int32Array.from(
    rng.shuffle(Int32Array.from({ length: n }, (_, i) => i)).subarray(0, Math.min(sampleSize, n)),
  ).sort();
  const truth = exactSample(pcs, sample, k);
  const row = (i: number) => [i, ...dist.indices.subarray(dist.indptr[i], dist.indptr[i + 1])];
  return recall(row, sample, truth, k);
}
