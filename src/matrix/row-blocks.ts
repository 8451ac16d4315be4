import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { startEvalWorker } from './eval-worker.ts';

/** The typed arrays a block kernel reads and writes. */
export type BlockArray = Float64Array | Float32Array | Int32Array | Uint8Array;

/**
 * A pass over rows first..last−1 of block `block`. It runs unchanged in a
 * worker (its source is sent there), so it may use only its parameters and
 * globals such as Math: no imports, no constants from its module.
 */
export type BlockKernel<P> = (
  arrays: Record<string, BlockArray>,
  block: number,
  first: number,
  last: number,
  params: P,
) => void;

/**
 * Row blocks a large matrix's passes are cut into, whatever the thread count:
 * a pass whose blocks write apart (rows) has the same bits cut or not, and a
 * pass that sums per block adds the blocks' sums in block order, so its bits
 * depend on the matrix only.
 */
export const ROW_BLOCKS = 4;
/** Stored values from which a matrix's passes are cut into ROW_BLOCKS blocks. */
export const ROW_BLOCK_MIN_STORED = 4_000_000;
/** Values from which readers put an array in shared memory, where workers can reach it. */
export const SHARED_MIN_VALUES = 1 << 20;

/** How many row blocks passes over a matrix with `stored` values use: 1 or ROW_BLOCKS. */
export function rowBlockCount(stored: number): number {
  return stored >= ROW_BLOCK_MIN_STORED ? ROW_BLOCKS : 1;
}

/**
 * blocks + 1 row boundaries cutting the stored values (`indptr`) into blocks
 * of about equal size; they depend on the matrix only.
 */
export function rowBlockBounds(indptr: ArrayLike<number>, nRows: number, blocks: number): number[] {
  const stored = indptr[nRows];
  const bounds = [0];
  let row = 0;
  for (let b = 1; b < blocks; b++) {
    const target = (stored * b) / blocks;
    while (row < nRows && indptr[row] < target) row++;
    bounds.push(row);
  }
  bounds.push(nRows);
  return bounds;
}

/** blocks + 1 boundaries cutting n rows of equal cost into blocks of nearly equal size. */
export function equalRowBounds(n: number, blocks: number): number[] {
  return Array.from({ length: blocks + 1 }, (_, b) => Math.round((b * n) / blocks));
}

type BlockArrayType<T extends BlockArray> = {
  new (length: number): T;
  new (buffer: SharedArrayBuffer): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** A typed array of `length` zeros, in shared memory when `shared` (default: when large). */
export function allocate<T extends BlockArray>(
  Type: BlockArrayType<T>,
  length: number,
  shared = length >= SHARED_MIN_VALUES,
): T {
  return shared
    ? new Type(new SharedArrayBuffer(length * Type.BYTES_PER_ELEMENT))
    : new Type(length);
}

/** Whether workers can reach the array (it lies in shared memory). */
export function isShared(array: BlockArray): boolean {
  return array.buffer instanceof SharedArrayBuffer;
}

/** The array itself if it lies in shared memory, else a copy there. */
export function inSharedMemory<T extends BlockArray>(array: T): T {
  if (isShared(array)) return array;
  const copy = allocate(array.constructor as BlockArrayType<T>, array.length, true);
  copy.set(array as never);
  return copy;
}

/** How a pass over a CSR matrix runs: its row blocks, and whether workers can take them. */
export interface RowBlockPlan {
  blocks: number;
  bounds: number[];
  /** The matrix lies in shared memory and is cut into blocks: worker threads take some. */
  shared: boolean;
  /** The matrix's indptr, in shared memory when `shared`. */
  indptr: Float64Array;
}

/**
 * The plan of a pass over X: ROW_BLOCKS blocks of about equal stored values
 * for a large matrix (one otherwise), on worker threads too when its indices
 * and values lie in shared memory (readers put large ones there). The blocks
 * depend on the matrix only, never on the thread count.
 */
export function planRowBlocks(X: {
  nRows: number;
  indptr: Float64Array;
  indices: BlockArray;
  data: BlockArray;
}): RowBlockPlan {
  const blocks = rowBlockCount(X.indptr[X.nRows]);
  const shared = blocks > 1 && isShared(X.indices) && isShared(X.data);
  return {
    blocks,
    bounds: rowBlockBounds(X.indptr, X.nRows, blocks),
    shared,
    indptr: shared ? inSharedMemory(X.indptr) : X.indptr,
  };
}

/**
 * For tests: every run waits for its workers to take their first block
 * instead of taking it back, so the worker path is the one exercised.
 */
export const rowBlockTesting = { waitForWorkers: false };

export interface RowBlockOptions {
  /** Threads, this one included (default: available cores, at most the block count). */
  threads?: number;
  /** Wait for each worker to take its first block instead of taking it back (for tests). */
  waitForWorkers?: boolean;
  /**
   * Named functions the kernel calls, sent to workers with it; like the
   * kernel, each may use only its parameters and the other helpers.
   */
  helpers?: readonly ((...args: never[]) => unknown)[];
}

// Block states in the shared state array.
const PENDING = 0;
const TAKEN = 1;
const DONE = 2;
const FAILED = 3;

/**
 * Runs `kernel` on each block of rows (`bounds`, from rowBlockBounds). With
 * more than one thread and every array in shared memory, worker threads take
 * blocks too: block b belongs to thread b mod threads, and this thread, once
 * its own are done, takes any block a worker has not started, so a slow
 * worker costs time, not the result. Otherwise every block runs here, in
 * order. Either way each block runs once, alone, on the same arrays. An error
 * in a worker is thrown here, naming `name` and the block.
 */
export function runRowBlocks<P>(
  name: string,
  kernel: BlockKernel<P>,
  arrays: Record<string, BlockArray>,
  bounds: readonly number[],
  params: P,
  options: RowBlockOptions = {},
): void {
  const blocks = bounds.length - 1;
  const requested = Math.floor(options.threads ?? availableParallelism()) || 1;
  const allShared = Object.values(arrays).every(isShared);
  const threads = allShared ? Math.max(1, Math.min(blocks, requested)) : 1;
  if (threads === 1) {
    for (let b = 0; b < blocks; b++) kernel(arrays, b, bounds[b], bounds[b + 1], params);
    return;
  }

  const state = new Int32Array(new SharedArrayBuffer(blocks * 4));
  const owner = (b: number) => b % threads;
  const views = Object.entries(arrays).map(([key, a]) => ({
    key,
    type: a.constructor.name,
    buffer: a.buffer,
    offset: a.byteOffset,
    length: a.length,
  }));
  const ports: MessagePort[] = [];
  const workers = [];
  try {
    for (let t = 1; t < threads; t++) {
      const jobs = [];
      for (let b = 0; b < blocks; b++) {
        if (owner(b) === t) jobs.push({ block: b, first: bounds[b], last: bounds[b + 1] });
      }
      const channel = new MessageChannel();
      workers.push(
        startEvalWorker(
          workerSource(kernel, options.helpers ?? []),
          { views, jobs, params, state: state.buffer },
          channel.port2,
        ),
      );
      ports.push(channel.port1);
    }
    const run = (b: number) => {
      if (Atomics.compareExchange(state, b, PENDING, TAKEN) !== PENDING) return;
      kernel(arrays, b, bounds[b], bounds[b + 1], params);
      Atomics.store(state, b, DONE);
    };
    for (let b = 0; b < blocks; b++) if (owner(b) === 0) run(b);
    if (options.waitForWorkers ?? rowBlockTesting.waitForWorkers) {
      for (let b = 0; b < blocks; b++) {
        if (owner(b) === 0) continue;
        for (let waited = 0; Atomics.load(state, b) === PENDING; waited++) {
          if (waited >= 30) throw new Error(`${name}: a worker did not start in 30 s`);
          Atomics.wait(state, b, PENDING, 1000);
        }
      }
    }
    // Workers take their blocks first to last; taking theirs last to first meets them halfway.
    for (let b = blocks - 1; b >= 0; b--) run(b);
    for (let b = 0; b < blocks; b++) {
      while (Atomics.load(state, b) === TAKEN) Atomics.wait(state, b, TAKEN, 1000);
      if (Atomics.load(state, b) === FAILED) {
        const reason = receiveMessageOnPort(ports[owner(b) - 1])?.message ?? 'no message';
        throw new Error(`${name}: a worker failed on row block ${b}: ${reason}`);
      }
    }
  } finally {
    for (const worker of workers) void worker.terminate();
    for (const port of ports) port.close();
  }
}

/*
 * Worker body (CommonJS, run with eval so it needs no TypeScript loader): runs
 * its blocks in order unless this thread took one first; a failure is posted
 * back and marked. `__name` is the helper esbuild (tsx) inserts into compiled
 * functions to keep their names.
 */
function workerSource(
  kernel: BlockKernel<never>,
  helpers: readonly ((...args: never[]) => unknown)[],
): string {
  return `
const { workerData: w } = require('node:worker_threads');
const __name = (f) => f;
${helpers.map((f) => `const ${f.name} = ${f.toString()};`).join('\n')}
const kernel = ${kernel.toString()};
const arrays = {};
for (const v of w.views) arrays[v.key] = new globalThis[v.type](v.buffer, v.offset, v.length);
const state = new Int32Array(w.state);
for (const job of w.jobs) {
  if (Atomics.compareExchange(state, job.block, ${PENDING}, ${TAKEN}) !== ${PENDING}) continue;
  let outcome = ${DONE};
  try {
    kernel(arrays, job.block, job.first, job.last, w.params);
  } catch (err) {
    w.errors.postMessage(String((err && err.stack) || err));
    outcome = ${FAILED};
  }
  Atomics.store(state, job.block, outcome);
  Atomics.notify(state, job.block);
}
`;
}
