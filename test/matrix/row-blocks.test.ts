import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BlockArray,
  equalRowBounds,
  inSharedMemory,
  isShared,
  rowBlockBounds,
  rowBlockCount,
  runRowBlocks,
} from '../../src/matrix/row-blocks.ts';

const shared = <T extends BlockArray>(a: T): T => inSharedMemory(a);

declare const require: ((id: string) => { threadId: number }) | undefined;

/**
 * Records, per block, its rows and the thread that ran it: a worker's thread
 * id (worker bodies are CommonJS, so `require` is there), 0 on this thread.
 */
function recordBlock(
  a: Record<string, BlockArray>,
  block: number,
  first: number,
  last: number,
): void {
  for (let r = first; r < last; r++) a.owner[r] = block;
  a.thread[block] = typeof require === 'function' ? require('node:worker_threads').threadId : 0;
}

test('rowBlockBounds cuts rows where the stored values reach each share', () => {
  // Rows of 10, 0, 30, 20, 40 values: 100 in all, shares of 25. Each block
  // starts at the first row starting at or past 25, 50, 75: rows 3 (at 40),
  // 4 (at 60) and none (the last block is empty).
  const indptr = Float64Array.from([0, 10, 10, 40, 60, 100]);
  assert.deepEqual(rowBlockBounds(indptr, 5, 4), [0, 3, 4, 5, 5]);
  assert.deepEqual(rowBlockBounds(indptr, 5, 1), [0, 5]);
  // Rows of equal cost: 10 rows in 4 blocks at 2.5, 5 and 7.5 rounded.
  assert.deepEqual(equalRowBounds(10, 4), [0, 3, 5, 8, 10]);
  assert.equal(rowBlockCount(3_999_999), 1);
  assert.equal(rowBlockCount(4_000_000), 4);
});

test('runRowBlocks runs every block once, on a worker too when the arrays are shared', () => {
  const bounds = [0, 3, 5, 9, 12];
  const owner = shared(new Int32Array(12).fill(-1));
  const thread = shared(new Int32Array(4));
  runRowBlocks(
    'test',
    recordBlock,
    { owner, thread },
    bounds,
    {},
    {
      threads: 2,
      waitForWorkers: true,
    },
  );
  assert.deepEqual(Array.from(owner), [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
  // Blocks 1 and 3 belong to the worker, which was waited for; 0 and 2 to this thread.
  assert.ok(thread[1] > 0, `block 1 ran on thread ${thread[1]}`);
  assert.deepEqual([thread[0], thread[2]], [0, 0]);
});

test('runRowBlocks keeps everything on this thread when an array is not shared', () => {
  const owner = new Int32Array(4).fill(-1);
  const thread = shared(new Int32Array(2));
  assert.equal(isShared(owner), false);
  runRowBlocks('test', recordBlock, { owner, thread }, [0, 2, 4], {}, { threads: 2 });
  assert.deepEqual(Array.from(owner), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(thread), [0, 0]);
});

test('runRowBlocks throws a worker failure here, naming the pass and the block', () => {
  const thread = shared(new Int32Array(2));
  const failOnOne = (_a: Record<string, BlockArray>, block: number): void => {
    if (block === 1) throw new Error('boom in block one');
  };
  assert.throws(
    () =>
      runRowBlocks(
        'myPass',
        failOnOne,
        { thread },
        [0, 1, 2],
        {},
        { threads: 2, waitForWorkers: true },
      ),
    /myPass: a worker failed on row block 1: Error: boom in block one/,
  );
});
