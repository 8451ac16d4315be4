import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildPackage } from '../../src/build.ts';
import { ROW_BLOCK_MIN_STORED, rowBlockTesting } from '../../src/matrix/row-blocks.ts';
import { pythonSkipReason } from '../package/python.ts';
import { type CliResult, runCli } from './helpers.ts';

// The README's promise: the same bytes on any machine, with any number of cores.
// A matrix above the row-block threshold is built twice: here, with every pass
// that can waiting for its worker threads, and by the CLI pinned to one CPU.
const MAKE_INPUT = fileURLToPath(new URL('../fixtures/e2e/make_threads_input.py', import.meta.url));
const FILES = ['dataset.h5ad', 'graph.npz', 'manifest.json'];

const skip =
  pythonSkipReason() ??
  (spawnSync('taskset', ['-c', '0', 'true']).status !== 0 ? 'needs taskset' : undefined) ??
  (availableParallelism() < 2 && !process.env.CI ? 'needs two cores' : undefined);

describe('a build across thread counts', { skip }, () => {
  let root: string;
  let stored: number;
  let cli: CliResult;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'scgraph-threads-'));
    const input = join(root, 'in.h5ad');
    const made = spawnSync('/usr/bin/python3', [MAKE_INPUT, input], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    stored = Number(made.stdout.trim());
    const args = ['build', input, '--label', 'cluster', '-o', join(root, 'one-core')];
    rowBlockTesting.waitForWorkers = true;
    try {
      [cli] = await Promise.all([
        runCli(args, { cores: 1 }),
        buildPackage(input, join(root, 'threads'), { label: 'cluster' }),
      ]);
    } finally {
      rowBlockTesting.waitForWorkers = false;
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('has enough stored values for the worker passes', () => {
    assert.ok(stored >= ROW_BLOCK_MIN_STORED, `${stored} stored values`);
  });

  it('gives the same bytes on one core as on worker threads', () => {
    assert.equal(cli.status, 0, cli.stderr);
    for (const file of FILES) {
      const one = readFileSync(join(root, 'one-core', file));
      const many = readFileSync(join(root, 'threads', file));
      assert.ok(one.equals(many), `${file} differs between one core and worker threads`);
    }
  });
});
