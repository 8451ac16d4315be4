import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seedBundled } from '../../src/service/seed.ts';
import { followJob, type Hub, startHub } from './hub-harness.ts';

// The bundled lung dataset is the one built with a side file (--cell-metadata),
// whose recorded parameters are a nested object: the case where a restart
// once re-published an unchanged dataset.
const REPO = new URL('../..', import.meta.url).pathname;
const LUNG = {
  name: 'treutlein-lung',
  input: 'data/lung/lung_expression.csv.gz',
  build: { label: 'Time', transform: 'log1p', cellMetadata: 'data/lung/lung_cells.csv' },
  title: 'Lung',
  description: 'Mouse distal lung epithelium',
  organism: 'Mus musculus',
  tissue: 'lung epithelium',
  modality: 'scRNA-seq',
  license: 'Artistic-2.0',
  citation: 'Treutlein et al. 2014',
  doi: null,
};

describe('seeding the bundled datasets', () => {
  let hub: Hub;
  let dir: string;
  let file: string;
  before(async () => {
    hub = await startHub();
    dir = await mkdtemp(join(tmpdir(), 'scgraph-seed-'));
    file = join(dir, 'bundled.json');
    await writeFile(file, JSON.stringify({ datasets: [LUNG] }));
  });
  after(async () => {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes a missing dataset, then leaves it alone on the next start', async () => {
    const first = await seedBundled(hub.app.hub, hub.app.log, { file, root: REPO });
    assert.equal(first.length, 1);
    const { events } = await followJob(hub.url, first[0].id);
    assert.equal(events.at(-1)?.event, 'done', JSON.stringify(events.at(-1)));
    const versions = await hub.catalog.listVersions('treutlein-lung');
    assert.equal(versions.length, 1);
    assert.equal(versions[0].nCells, 185);

    const second = await seedBundled(hub.app.hub, hub.app.log, { file, root: REPO });
    assert.deepEqual(second, []);
    assert.equal((await hub.catalog.listVersions('treutlein-lung')).length, 1);
  });

  it('queues a rebuild when a build parameter changes', async () => {
    await writeFile(
      file,
      JSON.stringify({ datasets: [{ ...LUNG, build: { ...LUNG.build, k: 10 } }] }),
    );
    const jobs = await seedBundled(hub.app.hub, hub.app.log, { file, root: REPO });
    assert.equal(jobs.length, 1);
    await followJob(hub.url, jobs[0].id);
    assert.equal((await hub.catalog.listVersions('treutlein-lung')).length, 2);
  });
});
