import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { startEvalWorker } from './eval-worker.ts';
import { isShared, rowBlockTesting } from './row-blocks.ts';

/** Matrix order from which products are split with a worker thread (8 MB of float64). */
const SPLIT_MIN_ORDER = 1000;

// Control cells: [0] the step published, [1] who takes the second half, [2] stop.
const STEP = 0;
const CLAIM = 1;
const STOP = 2;
const PENDING = 0;
const TAKEN = 1;
const DONE = 2;
const FAILED = 3;

/** Repeated products y = C·x with one dense m × m row-major matrix C. */
export interface DenseProduct {
  /** y ← C·x (y of length m; x is not changed). */
  times(x: Float64Array, y: Float64Array): void;
  /** Stops the worker thread, if any; times() must not be called afterwards. */
  close(): void;
}

/**
 * Products with C, each row summed in column order as rowsTimesVector does,
 * so the bits do not depend on the split. For a large C in shared memory and
 * more than one core, a worker thread that stays for the products does the
 * second half of the rows of each; if it has not taken a product's half by the
 * time this thread is done with the first, this thread does it too. A worker
 * failure is thrown from times().
 */
export function denseProduct(
  C: Float64Array,
  m: number,
  options: { threads?: number } = {},
): DenseProduct {
  const threads = Math.floor(options.threads ?? availableParallelism()) || 1;
  if (threads < 2 || m < SPLIT_MIN_ORDER || !isShared(C)) {
    return { times: (x, y) => rowsTimesVector(C, m, x, y, 0, m), close() {} };
  }
  const half = m >> 1;
  const control = new Int32Array(new SharedArrayBuffer(3 * 4));
  const input = new Float64Array(new SharedArrayBuffer(m * 8));
  const output = new Float64Array(new SharedArrayBuffer(m * 8));
  const channel = new MessageChannel();
  const port: MessagePort = channel.port1;
  const worker = startEvalWorker(
    WORKER_SOURCE,
    {
      c: C.buffer,
      offset: C.byteOffset,
      m,
      half,
      control: control.buffer,
      input: input.buffer,
      output: output.buffer,
    },
    channel.port2,
  );
  let step = 0;
  let closed = false;
  return {
    times(x, y) {
      input.set(x);
      Atomics.store(control, CLAIM, PENDING);
      Atomics.store(control, STEP, ++step);
      Atomics.notify(control, STEP);
      rowsTimesVector(C, m, input, y, 0, half);
      if (rowBlockTesting.waitForWorkers) {
        for (let waited = 0; Atomics.load(control, CLAIM) === PENDING; waited++) {
          if (waited >= 30) throw new Error('denseProduct: the worker did not start in 30 s');
          Atomics.wait(control, CLAIM, PENDING, 1000);
        }
      }
      if (Atomics.compareExchange(control, CLAIM, PENDING, TAKEN) === PENDING) {
        rowsTimesVector(C, m, input, y, half, m);
        return;
      }
      while (Atomics.load(control, CLAIM) === TAKEN) Atomics.wait(control, CLAIM, TAKEN, 1000);
      if (Atomics.load(control, CLAIM) === FAILED) {
        const reason = receiveMessageOnPort(port)?.message ?? 'no message';
        throw new Error(`denseProduct: the worker failed: ${reason}`);
      }
      y.set(output.subarray(half, m), half);
    },
    close() {
      if (closed) return;
      closed = true;
      Atomics.store(control, STOP, 1);
      Atomics.store(control, STEP, -1);
      Atomics.notify(control, STEP);
      void worker.terminate();
      port.close();
    },
  };
}

/**
 * y[first..last) ← rows first..last−1 of C times x, each row summed in
 * column order (four rows per sweep of x). Runs in the worker as is.
 */
export function rowsTimesVector(
  C: Float64Array,
  m: number,
  x: Float64Array,
  y: Float64Array,
  first: number,
  last: number,
): void {
  let i = first;
  for (; i + 3 < last; i += 4) {
    const r0 = i * m;
    const r1 = r0 + m;
    const r2 = r1 + m;
    const r3 = r2 + m;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let t = 0; t < m; t++) {
      const v = x[t];
      a0 += C[r0 + t] * v;
      a1 += C[r1 + t] * v;
      a2 += C[r2 + t] * v;
      a3 += C[r3 + t] * v;
    }
    y[i] = a0;
    y[i + 1] = a1;
    y[i + 2] = a2;
    y[i + 3] = a3;
  }
  for (; i < last; i++) {
    let a = 0;
    for (let t = 0; t < m; t++) a += C[i * m + t] * x[t];
    y[i] = a;
  }
}

/*
 * Worker body (CommonJS, run with eval so it needs no TypeScript loader):
 * waits for each published step and takes its second half unless this thread
 * did; stops when told. `__name` is the helper esbuild (tsx) inserts into
 * compiled functions to keep their names.
 */
const WORKER_SOURCE = `
const { workerData: w } = require('node:worker_threads');
const __name = (f) => f;
const rowsTimesVector = ${rowsTimesVector.toString()};
const C = new Float64Array(w.c, w.offset, w.m * w.m);
const control = new Int32Array(w.control);
const input = new Float64Array(w.input);
const output = new Float64Array(w.output);
let seen = 0;
for (;;) {
  Atomics.wait(control, ${STEP}, seen);
  const step = Atomics.load(control, ${STEP});
  if (Atomics.load(control, ${STOP}) === 1 || step < 0) break;
  if (step === seen) continue;
  seen = step;
  if (Atomics.compareExchange(control, ${CLAIM}, ${PENDING}, ${TAKEN}) !== ${PENDING}) continue;
  let outcome = ${DONE};
  try {
    rowsTimesVector(C, w.m, input, output, w.half, w.m);
  } catch (err) {
    w.errors.postMessage(String((err && err.stack) || err));
    outcome = ${FAILED};
  }
  Atomics.store(control, ${CLAIM}, outcome);
  Atomics.notify(control, ${CLAIM});
}
`;
