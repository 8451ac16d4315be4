import { availableParallelism } from 'node:os';
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  type Worker,
} from 'node:worker_threads';
import type { CsrMatrix } from './csr.ts';
import { SHARED_ROWS_VIEWS, sharedRows, startEvalWorker } from './shared-rows.ts';
import { csrTimesDense } from './sparse-products.ts';

export interface ParallelProductOptions {
  /** Threads, this one included (default: available cores, at most 2). */
  threads?: number;
  /** Stored values below which the product runs on this thread alone (default 4,000,000). */
  workerThreshold?: number;
  /** Wait for the worker to take its rows instead of taking them back (for tests). */
  waitForWorker?: boolean;
}

const DEFAULT_WORKER_THRESHOLD = 4_000_000;
const PENDING = 0;
const TAKEN = 1;
const DONE = 2;
const FAILED = 3;

/**
 * X (n × m) times B (m × k) as csrTimesDense computes it, with the rows cut
 * in two at half the stored values and the second half done on a worker
 * thread. Each output row depends on its own input row only, so the bits are
 * those of csrTimesDense whatever the split. The worker gets a copy of its
 * rows in shared memory; if it has not started by the time this thread is
 * done with its half, this thread does the rest too. An error in the worker
 * is thrown here.
 */
export function csrTimesDenseParallel(
  X: CsrMatrix,
  B: Float64Array,
  k: number,
  options: ParallelProductOptions = {},
): Float64Array {
  const n = X.nRows;
  const stored = X.indptr[n];
  const threshold = options.workerThreshold ?? DEFAULT_WORKER_THRESHOLD;
  const threads = Math.min(2, Math.floor(options.threads ?? availableParallelism()) || 1);
  const out = new Float64Array(n * k);
  if (threads < 2 || stored < threshold || n < 2) return csrTimesDense(X, B, k, out);

  let mid = 0;
  while (mid < n && X.indptr[mid] < stored / 2) mid++;
  // The worker's half is in shared memory (copied there unless X is); this thread reads X in place.
  const rest = sharedRows(X, mid, n);
  const restOut = new Float64Array(new SharedArrayBuffer((n - mid) * k * 8));
  const sharedB = new Float64Array(new SharedArrayBuffer(B.length * 8));
  sharedB.set(B);
  const state = new Int32Array(new SharedArrayBuffer(4));
  const channel = new MessageChannel();
  const port: MessagePort = channel.port1;
  let worker: Worker | undefined;
  try {
    worker = startEvalWorker(
      WORKER_SOURCE,
      {
        rows: rest,
        nCols: X.nCols,
        b: sharedB.buffer,
        k,
        out: restOut.buffer,
        state: state.buffer,
      },
      channel.port2,
    );
    csrTimesDense(rowsOf(X, 0, mid), B, k, out.subarray(0, mid * k));
    if (options.waitForWorker) {
      for (let waited = 0; Atomics.load(state, 0) === PENDING; waited++) {
        if (waited >= 30)
          throw new Error('csrTimesDenseParallel: the worker did not start in 30 s');
        Atomics.wait(state, 0, PENDING, 1000);
      }
    }
    if (Atomics.compareExchange(state, 0, PENDING, TAKEN) === PENDING) {
      csrTimesDense(rowsOf(X, mid, n), B, k, out.subarray(mid * k));
      return out;
    }
    while (Atomics.load(state, 0) === TAKEN) Atomics.wait(state, 0, TAKEN, 1000);
    if (Atomics.load(state, 0) === FAILED) {
      const reason = receiveMessageOnPort(port)?.message ?? 'no message';
      throw new Error(`csrTimesDenseParallel: the worker failed: ${reason}`);
    }
    out.set(restOut, mid * k);
    return out;
  } finally {
    if (worker) void worker.terminate();
    port.close();
  }
}

/** Rows first..last−1 of X as a matrix viewing X's arrays (indptr keeps X's offsets). */
function rowsOf(X: CsrMatrix, first: number, last: number): CsrMatrix {
  return { ...X, nRows: last - first, indptr: X.indptr.subarray(first, last + 1) };
}

/*
 * Worker body (CommonJS, run with eval so it needs no TypeScript loader): does
 * the second half unless this thread took it first; a failure is posted back
 * and marked. `__name` is the helper esbuild (tsx) inserts into compiled
 * functions to keep their names.
 */
const WORKER_SOURCE = `
const { workerData: w } = require('node:worker_threads');
const __name = (f) => f;
const csrTimesDense = ${csrTimesDense.toString()};
const views = ${SHARED_ROWS_VIEWS};
const state = new Int32Array(w.state);
if (Atomics.compareExchange(state, 0, ${PENDING}, ${TAKEN}) === ${PENDING}) {
  let outcome = ${DONE};
  try {
    const X = { nRows: w.rows.rows, nCols: w.nCols, ...views(w.rows) };
    csrTimesDense(X, new Float64Array(w.b), w.k, new Float64Array(w.out));
  } catch (err) {
    w.errors.postMessage(String((err && err.stack) || err));
    outcome = ${FAILED};
  }
  Atomics.store(state, 0, outcome);
  Atomics.notify(state, 0);
}
`;
