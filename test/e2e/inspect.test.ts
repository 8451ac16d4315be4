import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dataPath, runCli } from './helpers.ts';

// Counts from make_expected.py (pandas on the input files), not from scgraph.
const EXPECTED = JSON.parse(
  readFileSync(new URL('../fixtures/e2e/expected.json', import.meta.url), 'utf8'),
);
const PBMC = dataPath('pbmc_small/10x_v2');
const CELLS = dataPath('pbmc_small/cells.csv');

describe('scgraph inspect', { skip: !(PBMC && CELLS) && 'pbmc_small is not in data/' }, () => {
  it('shows the columns a --cell-metadata table adds, as build would join them', async () => {
    const bare = await runCli(['inspect', PBMC!, '--json']);
    assert.equal(bare.status, 0, bare.stderr);
    const before = JSON.parse(bare.stdout) as { obs: { name: string }[] };
    assert.ok(!before.obs.some((c) => c.name === 'cluster'), 'the MTX folder has no cluster');

    const joined = await runCli(['inspect', PBMC!, '--cell-metadata', CELLS!, '--json']);
    assert.equal(joined.status, 0, joined.stderr);
    const summary = JSON.parse(joined.stdout);
    assert.deepEqual([summary.nCells, summary.nGenes], [80, EXPECTED.pbmc_10x.genesIn]);
    const cluster = summary.obs.find((c: { name: string }) => c.name === 'cluster');
    assert.deepEqual(cluster && [cluster.min, cluster.max, cluster.missing], [0, 2, 0]);
  });

  it('prints one line per column on a terminal-less stdout, and refuses a missing table', async () => {
    const text = await runCli(['inspect', PBMC!, '--cell-metadata', CELLS!]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^cells × genes: 80 × 240/m);
    assert.match(text.stdout, /^ {2}cluster +integer, 0 to 2$/m);
    const missing = await runCli(['inspect', PBMC!, '--cell-metadata', 'nowhere.csv']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /^scgraph: error: .*nowhere\.csv/);
  });
});
