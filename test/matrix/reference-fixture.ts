// Loads test/fixtures/matrix/reference.json (written by make_reference.py beside it).
import { readFileSync } from 'node:fs';
import type { CsrMatrix } from '../../src/matrix/csr.ts';

interface Fixture {
  shape: [number, number];
  counts: { indptr_int32: string; indices_uint16: string; data_uint16: string };
  normalized_data_float32: string;
  hvg: {
    n_top: number;
    indices: number[];
    means_float64: string;
    dispersions_float64: string;
    dispersions_norm_float32: string;
  };
  pca: {
    n_components: number;
    explained_variance_float64: string;
    explained_variance_ratio_float64: string;
    singular_values_float64: string;
    components_top5_float64: string;
  };
}

const raw: Fixture = JSON.parse(
  readFileSync(new URL('../fixtures/matrix/reference.json', import.meta.url), 'utf8'),
);

function bytes(b64: string): ArrayBuffer {
  const buf = Buffer.from(b64, 'base64');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}
const f64 = (s: string) => new Float64Array(bytes(s));
const f32 = (s: string) => new Float32Array(bytes(s));

const [nRows, nCols] = raw.shape;
const indptr = Float64Array.from(new Int32Array(bytes(raw.counts.indptr_int32)));
const indices = Int32Array.from(new Uint16Array(bytes(raw.counts.indices_uint16)));

export const reference = {
  counts: {
    nRows,
    nCols,
    indptr,
    indices,
    data: Float32Array.from(new Uint16Array(bytes(raw.counts.data_uint16))),
  } satisfies CsrMatrix,
  normalized: {
    nRows,
    nCols,
    indptr,
    indices,
    data: f32(raw.normalized_data_float32),
  } satisfies CsrMatrix,
  hvg: {
    nTop: raw.hvg.n_top,
    indices: raw.hvg.indices,
    means: f64(raw.hvg.means_float64),
    dispersions: f64(raw.hvg.dispersions_float64),
    dispersionsNorm: f32(raw.hvg.dispersions_norm_float32),
  },
  pca: {
    nComponents: raw.pca.n_components,
    explainedVariance: f64(raw.pca.explained_variance_float64),
    explainedVarianceRatio: f64(raw.pca.explained_variance_ratio_float64),
    singularValues: f64(raw.pca.singular_values_float64),
    componentsTop5: f64(raw.pca.components_top5_float64),
  },
};

/** Relative difference, with an absolute floor for values near zero. */
export function relDiff(a: number, b: number, floor = 1e-12): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), floor);
}

/** A CSR built from a dense row-major array (exact zeros are not stored). */
export function csrFromDense(rows: number[][]): CsrMatrix {
  const nRows = rows.length;
  const nCols = rows[0]?.length ?? 0;
  const indptr = new Float64Array(nRows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  rows.forEach((row, r) => {
    row.forEach((v, c) => {
      if (v !== 0) {
        idx.push(c);
        val.push(v);
      }
    });
    indptr[r + 1] = idx.length;
  });
  return { nRows, nCols, indptr, indices: Int32Array.from(idx), data: Float32Array.from(val) };
}
