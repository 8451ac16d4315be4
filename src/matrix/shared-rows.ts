import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { CsrMatrix } from './csr.ts';

/** A CSR row range in shared memory, as a worker receives it. */
export interface SharedRows {
  rows: number;
  indptr: ArrayBufferLike;
  indices: ArrayBufferLike;
  data: ArrayBufferLike;
}

/** Rows first..last−1 of X copied into shared memory, indptr rebased to start at 0. */
export function sharedRows(X: CsrMatrix, first: number, last: number): SharedRows {
  const start = X.indptr[first];
  const end = X.indptr[last];
  const indptr = new Float64Array(new SharedArrayBuffer((last - first + 1) * 8));
  for (let i = 0; i <= last - first; i++) indptr[i] = X.indptr[first + i] - start;
  const indices = new Int32Array(new SharedArrayBuffer((end - start) * 4));
  indices.set(X.indices.subarray(start, end));
  const data = new Float32Array(new SharedArrayBuffer((end - start) * 4));
  data.set(X.data.subarray(start, end));
  return { rows: last - first, indptr: indptr.buffer, indices: indices.buffer, data: data.buffer };
}

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
