import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { CsrMatrix } from './csr.ts';

/**
 * A CSR row range in shared memory, as a worker receives it: `indptr` is
 * rebased to start at 0, and the range's values are the `count` entries of
 * `indices` and `data` from element `start` on.
 */
export interface SharedRows {
  rows: number;
  indptr: ArrayBufferLike;
  indices: ArrayBufferLike;
  data: ArrayBufferLike;
  start: number;
  count: number;
}

/**
 * Rows first..last−1 of X in shared memory: X's own arrays when they already
 * lie there (a large matrix read from a file), else a copy of the range.
 */
export function sharedRows(X: CsrMatrix, first: number, last: number): SharedRows {
  const start = X.indptr[first];
  const end = X.indptr[last];
  const indptr = new Float64Array(new SharedArrayBuffer((last - first + 1) * 8));
  for (let i = 0; i <= last - first; i++) indptr[i] = X.indptr[first + i] - start;
  const rows = last - first;
  if (X.indices.buffer instanceof SharedArrayBuffer && X.data.buffer instanceof SharedArrayBuffer) {
    const at = (a: Int32Array | Float32Array) => a.byteOffset / a.BYTES_PER_ELEMENT + start;
    if (at(X.indices) === at(X.data)) {
      return {
        rows,
        indptr: indptr.buffer,
        indices: X.indices.buffer,
        data: X.data.buffer,
        start: at(X.data),
        count: end - start,
      };
    }
  }
  const indices = new Int32Array(new SharedArrayBuffer((end - start) * 4));
  indices.set(X.indices.subarray(start, end));
  const data = new Float32Array(new SharedArrayBuffer((end - start) * 4));
  data.set(X.data.subarray(start, end));
  return {
    rows,
    indptr: indptr.buffer,
    indices: indices.buffer,
    data: data.buffer,
    start: 0,
    count: end - start,
  };
}

/** A worker's typed-array views of a SharedRows range (for worker sources: no imports there). */
export const SHARED_ROWS_VIEWS = `(r) => ({
  indptr: new Float64Array(r.indptr),
  indices: new Int32Array(r.indices, r.start * 4, r.count),
  data: new Float32Array(r.data, r.start * 4, r.count),
})`;

/**
 * A worker running `source` (CommonJS, evaluated, so it needs no TypeScript
 * loader) with `workerData` and the port it reports errors on. Its failures
 * come back through the caller's shared state; the 'error' handler only keeps
 * an error event from crashing the process, and the worker does not keep the
 * process alive.
 */
export function startEvalWorker(
  source: string,
  workerData: Record<string, unknown>,
  errors: MessagePort,
): Worker {
  const worker = new Worker(source, {
    eval: true,
    workerData: { ...workerData, errors },
    transferList: [errors],
    execArgv: [],
  });
  worker.on('error', () => {});
  worker.unref();
  return worker;
}
