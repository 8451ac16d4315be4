import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { MetadataNames } from '../../src/read/dataset.ts';
import { inspectInput, readInput } from '../../src/read/index.ts';
import { formatSummary } from '../../src/read/inspect.ts';
import { reference, rejectsWith, valueCounts } from './helpers.ts';

describe('readInput', () => {
  it('dispatches by detected format and joins cell metadata for any format', async () => {
    const data = await readInput('data/pbmc_small/10x_v2', {
      cellMetadata: 'data/pbmc_small/cells.csv',
    });
    assert.equal(data.format, '10x-mtx');
    assert.deepEqual(valueCounts(data.obs.get('groups')), reference.pbmc_small_cells_groups);
    const lung = await readInput('data/lung/lung_expression.csv.gz', {
      cellMetadata: 'data/lung/lung_cells.csv',
    });
    assert.deepEqual(valueCounts(lung.obs.get('Time')), reference.lung.Time);
  });

  it('tells beforeMatrix once, with the metadata table columns, for every format', async () => {
    const header = readFileSync('data/pbmc_small/cells.csv', 'utf8')
      .split('\n')[0]
      .split(',')
      .map((f) => f.replaceAll('"', ''));
    for (const input of ['data/pbmc_small/10x_v2', 'data/pbmc_small/pbmc_small.loom']) {
      const calls: MetadataNames[] = [];
      const data = await readInput(input, {
        cellMetadata: 'data/pbmc_small/cells.csv',
        beforeMatrix: (found) => calls.push(found),
      });
      assert.equal(calls.length, 1, input);
      for (const name of header.slice(1))
        assert.ok(calls[0].obs.includes(name), `${input}: ${name}`);
      // Every column the result has was named (the names may hold more).
      for (const name of data.obs.keys()) assert.ok(calls[0].obs.includes(name), name);
    }
    // Every format: the hook is told once, naming every column the result has. Visium's
    // positions add theirs after the matrix (Space Ranger's in_tissue, array_row, array_col).
    for (const input of [
      'data/visium',
      'data/hsmm/hsmm.h5ad',
      'data/guo/guo_qpcr.tsv',
      'data/tenx_v3_tiny',
    ]) {
      const calls: MetadataNames[] = [];
      const data = await readInput(input, { beforeMatrix: (found) => calls.push(found) });
      assert.equal(calls.length, 1, input);
      for (const name of data.obs.keys())
        assert.ok(calls[0].obs.includes(name), `${input}: ${name}`);
      for (const name of data.obsm.keys())
        assert.ok(calls[0].obsm.includes(name), `${input}: ${name}`);
      if (input === 'data/visium') {
        for (const name of ['in_tissue', 'array_row', 'array_col']) {
          assert.ok(calls[0].obs.includes(name), name);
        }
      }
    }
    // A bad metadata table is refused before the matrix is read.
    await rejectsWith(
      readInput('data/pbmc_small/pbmc_small.loom', {
        cellMetadata: 'data/pbmc_small/no-such-cells.csv',
        beforeMatrix: () => assert.fail('called for a missing table'),
      }),
      'invalid-input',
      /no-such-cells\.csv/,
    );
  });

  it('reads as a forced format and fails clearly when it does not fit', async () => {
    const data = await readInput('data/guo/guo_qpcr.tsv', {
      format: 'delimited',
      orientation: 'cells-as-rows',
    });
    assert.equal(data.X.nRows, reference.guo.shape_cells_genes[0]);
    // The message blames the forced format, naming the one the file looks like.
    await rejectsWith(
      readInput('data/guo/guo_qpcr.tsv', { format: 'h5ad' }),
      'invalid-parameter',
      /guo_qpcr\.tsv looks like delimited, not h5ad.*not an HDF5 file/,
    );
    await rejectsWith(
      readInput('data/pbmc_small/pbmc_small.loom', { format: 'h5ad' }),
      'invalid-parameter',
      /looks like loom, not h5ad/,
    );
    // A forced format that fits the file but fails on its content keeps the reader's error.
    await rejectsWith(
      readInput('data/hsmm/hsmm.h5ad', { format: 'h5ad', matrix: 'layers/none' }),
      'invalid-parameter',
      /'layers\/none' is not in/,
    );
  });
});

describe('inspectInput', () => {
  it('summarises a delimited table with value counts of few-valued columns', async () => {
    const summary = await inspectInput('data/guo/guo_qpcr.tsv');
    assert.equal(summary.format, 'delimited');
    assert.deepEqual(
      [summary.nCells, summary.nGenes, summary.nnz],
      [...reference.guo.shape_cells_genes, reference.guo.nnz],
    );
    const stage = summary.obs.find((c) => c.name === 'stage');
    assert.equal(stage?.kind, 'categorical');
    assert.deepEqual(
      Object.fromEntries((stage.counts ?? []).map((c) => [c.value, c.count])),
      reference.guo.stage,
    );
    assert.equal(summary.spatial, false);
    // JSON-able: survives a round trip unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(summary)), summary);
  });

  it('summarises a Visium folder with its spatial embedding and integer columns', async () => {
    const summary = await inspectInput('data/visium');
    assert.equal(summary.spatial, true);
    assert.deepEqual(summary.obsm, [{ name: 'spatial', shape: [reference.visium.n_obs, 2] }]);
    const arrayRow = summary.obs.find((c) => c.name === 'array_row');
    assert.equal(arrayRow?.kind, 'integer');
    assert.equal(arrayRow.missing, 0);
    assert.ok(
      arrayRow.min !== undefined && arrayRow.max !== undefined && arrayRow.min <= arrayRow.max,
    );
    const types = summary.var.find((c) => c.name === 'feature_types');
    assert.deepEqual(types?.counts, [{ value: 'Gene Expression', count: reference.visium.n_vars }]);
  });
});

describe('formatSummary', () => {
  it('gives one aligned line per column, with values, ranges and what is missing', async () => {
    const text = formatSummary(
      await inspectInput('data/pbmc_small/10x_v2', { cellMetadata: 'data/pbmc_small/cells.csv' }),
    );
    const lines = text.split('\n');
    assert.equal(lines[0], 'format: 10x-mtx (matrix: matrix)');
    const groups = Object.entries(reference.pbmc_small_cells_groups as Record<string, number>)
      .map(([value, count]) => `${value} (${count})`)
      .join(', ');
    const line = lines.find((l) => l.trimStart().startsWith('groups'));
    assert.ok(line, text);
    assert.match(
      line,
      new RegExp(`^  groups +\\w+, 2 values: ${groups.replace(/[()]/g, '\\$&')}$`),
    );
    // Every obs line starts its description (the kind) at the same column.
    const first = lines.indexOf('obs (3 columns):') + 1;
    const starts = lines.slice(first, first + 3).map((l) => {
      const m = /^ {2}(\S+)( +)[a-z]+, /.exec(l);
      assert.ok(m, l);
      return 2 + m[1].length + m[2].length;
    });
    assert.equal(new Set(starts).size, 1, text);
    assert.ok(lines.includes('obsm: none'));
    assert.ok(lines.includes('spatial coordinates: no'));
  });
});
