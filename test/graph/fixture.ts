/** Loading the reference fixtures written by test/fixtures/graph/make_fixtures.py. */
import { readFileSync } from 'node:fs';
import type { CsrMatrix } from '../../src/matrix/csr.ts';

const DIR = new URL('../fixtures/graph/', import.meta.url);

export function loadFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as T;
}

/** Decodes base64 little-endian float32, as the fixture script stores float arrays. */
export function f32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export interface CsrJson {
  indptr: number[];
  indices: number[];
  data_f32: string;
}

export function csrFromJson(n: number, m: CsrJson): CsrMatrix {
  return {
    nRows: n,
    nCols: n,
    indptr: Float64Array.from(m.indptr),
    indices: Int32Array.from(m.indices),
    data: f32(m.data_f32),
  };
}

/** Sorted undirected edge list (a < b) of a symmetric CSR, self-loops left out. */
export function edgeList(m: CsrMatrix): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < m.nRows; i++) {
    for (let p = m.indptr[i]; p < m.indptr[i + 1]; p++) {
      if (m.indices[p] > i) out.push([i, m.indices[p]]);
    }
  }
  return out;
}

/** knn.json: points, and the reference's exact kNN of them (sklearn, self included). */
export interface KnnFixture {
  n: number;
  dim: number;
  k: number;
  points_f32: string;
  knn_indices: number[];
  knn_distances_f32: string;
}
