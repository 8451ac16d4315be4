import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isScgraphError } from '../../src/errors.ts';
import { createCatalog } from '../../src/service/catalog/create-catalog.ts';
import type { Catalog, SearchQuery, Sql, VersionInput } from '../../src/service/contracts.ts';
import { listMigrations } from '../../src/service/db/migrate.ts';
import { type OpenBackend, sqlBackends } from './backends.ts';
import { ALL, GUO, HSMM, PBMC, sha, TREUTLEIN, VISIUM } from './fixtures.ts';

function kind(expected: string) {
  return (error: unknown) => {
    assert.ok(isScgraphError(error), `expected a ScgraphError, got ${String(error)}`);
    assert.equal(error.kind, expected, error.message);
    return true;
  };
}

async function count(sql: Sql, text: string, params: unknown[] = []): Promise<number> {
  const rows = await sql.query<{ n: number | string }>(text, params);
  return Number(rows[0]!.n);
}

/** Every item of a search, following cursors page by page. */
async function allPages(catalog: Catalog, query: SearchQuery): Promise<string[]> {
  const names: string[] = [];
  let cursor = query.cursor;
  for (let page = 0; page < 100; page++) {
    const result = await catalog.search({ ...query, cursor });
    names.push(...result.items.map((item) => item.name));
    if (!result.nextCursor) return names;
    cursor = result.nextCursor;
  }
  throw new Error('pagination did not end');
}

for (const backend of await sqlBackends()) {
  describe(`catalog on ${backend.name}`, { skip: backend.skip }, () => {
    let db: OpenBackend;
    let catalog: Catalog;
    const queries: boolean[] = [];

    before(async () => {
      db = await backend.open({ onQuery: (_seconds, ok) => queries.push(ok) });
      catalog = createCatalog(db.sql);
    });
    after(async () => {
      await db?.cleanup();
    });

    it('applies migrations once and records them', async () => {
      const names = listMigrations().map((m) => m.name);
      assert.deepEqual(await catalog.migrationState(), { applied: [], pending: names });
      assert.deepEqual(await catalog.migrate(), names);
      assert.deepEqual(await catalog.migrate(), []);
      assert.deepEqual(await catalog.migrationState(), { applied: names, pending: [] });
      assert.equal(
        await count(db.sql, 'SELECT count(*) AS n FROM schema_migrations'),
        names.length,
      );
    });

    it('reports query durations to the hook', () => {
      assert.ok(queries.length > 0);
      assert.ok(queries.every((ok) => ok === true));
    });

    it('numbers versions from 1 and returns the newest as latest', async () => {
      const v1 = await catalog.publishVersion(HSMM);
      const v2 = await catalog.publishVersion({ ...HSMM, nCells: 270 });
      assert.equal(v1.version, 1);
      assert.equal(v2.version, 2);
      assert.equal(v2.status, 'live');
      assert.equal(v2.retractedReason, null);
      assert.deepEqual(v2.labels, HSMM.labels);
      assert.deepEqual(
        v2.files,
        [...HSMM.files].sort((a, b) => a.name.localeCompare(b.name)),
      );
      assert.ok(!Number.isNaN(Date.parse(v2.createdAt)));

      const latest = await catalog.getDataset('hsmm_myoblasts');
      assert.equal(latest?.latest.version, 2);
      assert.equal(latest?.latest.nCells, 270);
      assert.deepEqual(
        (await catalog.listVersions('hsmm_myoblasts')).map((v) => v.version),
        [2, 1],
      );
      const rows = await db.sql.query<{
        version: number;
        n_edges: string | number;
        n_classes: number;
      }>(
        `SELECT version, n_edges, n_classes FROM versions WHERE dataset = 'hsmm_myoblasts' ORDER BY version`,
      );
      assert.deepEqual(
        rows.map((r) => [Number(r.version), Number(r.n_edges), Number(r.n_classes)]),
        [
          [1, 5420, 4],
          [2, 5420, 4],
        ],
      );
      assert.equal(
        await count(db.sql, `SELECT count(*) AS n FROM files WHERE dataset = 'hsmm_myoblasts'`),
        6,
      );
      assert.equal(await catalog.getDataset('no_such_dataset'), null);
      assert.equal(await catalog.getVersion('hsmm_myoblasts', 9), null);
    });

    it('publishes nothing when an insert fails midway', async () => {
      const duplicateFiles: VersionInput = {
        ...PBMC,
        dataset: 'broken_set',
        files: [PBMC.files[0]!, PBMC.files[1]!, { ...PBMC.files[0]!, storageKey: 'other' }],
      };
      await assert.rejects(catalog.publishVersion(duplicateFiles), kind('conflict'));
      assert.equal(await catalog.getDataset('broken_set'), null);
      for (const table of [
        'datasets WHERE name',
        'versions WHERE dataset',
        'files WHERE dataset',
      ]) {
        assert.equal(await count(db.sql, `SELECT count(*) AS n FROM ${table} = 'broken_set'`), 0);
      }

      const badHash = { ...HSMM, files: [{ ...HSMM.files[0]!, sha256: 'not-a-hash' }] };
      await assert.rejects(catalog.publishVersion(badHash), kind('invalid-parameter'));
      assert.deepEqual(
        (await catalog.listVersions('hsmm_myoblasts')).map((v) => v.version),
        [2, 1],
      );
      await assert.rejects(
        catalog.publishVersion({ ...HSMM, dataset: '../etc' }),
        kind('invalid-parameter'),
      );
    });

    it('publishes the other datasets', async () => {
      for (const input of [TREUTLEIN, GUO, PBMC, VISIUM]) {
        assert.equal((await catalog.publishVersion(input)).version, 1);
      }
      assert.deepEqual(await catalog.counts(), { datasets: 5, versions: 6, retracted: 0 });
    });

    it('ranks the skeletal muscle dataset first for "muscle"', async () => {
      const result = await catalog.search({ q: 'muscle' });
      assert.equal(result.items[0]?.name, 'hsmm_myoblasts');
      // Treutlein mentions smooth muscle only in its description, so it ranks below.
      assert.deepEqual(
        result.items.map((item) => item.name),
        ['hsmm_myoblasts', 'treutlein_lung'],
      );
      assert.equal(result.total, 2);
      assert.equal(result.items[0]?.latest.version, 2);
    });

    it('matches word prefixes and label class names', async () => {
      assert.equal((await catalog.search({ q: 'musc' })).items[0]?.name, 'hsmm_myoblasts');
      assert.equal((await catalog.search({ q: 'blastocyst' })).items[0]?.name, 'guo_embryo');
      assert.deepEqual(
        (await catalog.search({ q: 'lung epithelium' })).items.map((i) => i.name),
        ['treutlein_lung'],
      );
      // 'E16' is a class of Treutlein's Time label and appears nowhere else.
      assert.deepEqual(
        (await catalog.search({ q: 'E16' })).items.map((i) => i.name),
        ['treutlein_lung'],
      );
      assert.deepEqual(
        (await catalog.search({ q: 'muscle -smooth' })).items.map((i) => i.name),
        ['hsmm_myoblasts'],
      );
      assert.equal((await catalog.search({ q: 'zebrafish' })).total, 0);
    });

    it('counts facets over the filtered set, ignoring each facet own filter', async () => {
      const all = await catalog.search({});
      assert.equal(all.total, 5);
      for (const facet of ['organism', 'tissue', 'modality', 'graphKind']) {
        const sum = Object.values(all.facets[facet]!).reduce((a, b) => a + b, 0);
        assert.equal(sum, all.total, facet);
      }
      assert.deepEqual(all.facets.organism, { 'Homo sapiens': 2, 'Mus musculus': 3 });
      assert.deepEqual(all.facets.task, {
        'node-classification': 4,
        trajectory: 2,
        'spatial-domains': 1,
      });
      assert.deepEqual(all.facets.splitKind, { stratified: 4 });

      const mouse = await catalog.search({ organism: ['Mus musculus'] });
      assert.equal(mouse.total, 3);
      assert.deepEqual(mouse.facets.organism, { 'Homo sapiens': 2, 'Mus musculus': 3 });
      assert.deepEqual(mouse.facets.tissue, { brain: 1, embryo: 1, lung: 1 });

      const mouseTrajectory = await catalog.search({
        organism: ['Mus musculus'],
        task: ['trajectory'],
      });
      assert.deepEqual(
        mouseTrajectory.items.map((i) => i.name),
        ['guo_embryo'],
      );
      assert.deepEqual(mouseTrajectory.facets.organism, { 'Homo sapiens': 1, 'Mus musculus': 1 });
      assert.deepEqual(mouseTrajectory.facets.task, {
        'node-classification': 2,
        trajectory: 1,
        'spatial-domains': 1,
      });
      const anyOf = await catalog.search({ tissue: ['lung', 'brain'] });
      assert.deepEqual(anyOf.items.map((i) => i.name).sort(), ['treutlein_lung', 'visium_section']);
    });

    it('filters numeric ranges inclusively', async () => {
      // Expected sets come from the fixture values (HSMM's live v2 has 270 cells), filtered here.
      const liveCells = ALL.map((d) => [d.dataset, d === HSMM ? 270 : d.nCells] as const);
      const cells = (min: number, max: number) =>
        liveCells
          .filter(([, n]) => n >= min && n <= max)
          .map(([name]) => name)
          .sort();
      const names = async (q: SearchQuery) =>
        (await catalog.search(q)).items.map((i) => i.name).sort();
      assert.deepEqual(await names({ minCells: 80, maxCells: 300 }), cells(80, 300));
      assert.deepEqual(await names({ minCells: 81 }), cells(81, Infinity));
      assert.deepEqual(await names({ minEdges: 6000, maxEdges: 16000 }), [
        'guo_embryo',
        'visium_section',
      ]);
      assert.deepEqual(await names({ minHomophily: 0.7 }), ['hsmm_myoblasts', 'pbmc_small']);
      assert.deepEqual(await names({ maxMeanDegree: 12 }), ['pbmc_small', 'visium_section']);
      assert.deepEqual(await names({ minClasses: 4 }), ['guo_embryo', 'hsmm_myoblasts']);
      await assert.rejects(catalog.search({ minCells: Number.NaN }), kind('invalid-parameter'));
    });

    it('pages through every sort with each item exactly once', async () => {
      const names = ALL.map((d) => d.dataset).sort();
      for (const sort of ['name', 'cells', 'edges', 'created', 'downloads'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          const seen = await allPages(catalog, { sort, order, limit: 2 });
          assert.deepEqual([...seen].sort(), names, `${sort} ${order}`);
        }
      }
      const byCells = await allPages(catalog, { sort: 'cells', order: 'desc', limit: 2 });
      assert.deepEqual(byCells, [
        'visium_section',
        'guo_embryo',
        'hsmm_myoblasts',
        // 80 cells each: ties break on the name, in the same direction.
        'treutlein_lung',
        'pbmc_small',
      ]);
      const relevant = await allPages(catalog, { q: 'mouse', limit: 1 });
      const once = await catalog.search({ q: 'mouse', limit: 100 });
      assert.deepEqual(
        relevant,
        once.items.map((i) => i.name),
      );
    });

    it('keeps a cursor stable when datasets are added before it', async () => {
      const first = await catalog.search({ sort: 'name', limit: 2 });
      assert.deepEqual(
        first.items.map((i) => i.name),
        ['guo_embryo', 'hsmm_myoblasts'],
      );
      await catalog.publishVersion({ ...PBMC, dataset: 'aaa_first' });
      const rest = await allPages(catalog, { sort: 'name', limit: 2, cursor: first.nextCursor! });
      assert.deepEqual(rest, ['pbmc_small', 'treutlein_lung', 'visium_section']);
      await assert.rejects(
        catalog.search({ sort: 'cells', cursor: first.nextCursor! }),
        kind('invalid-parameter'),
      );
      await assert.rejects(catalog.search({ cursor: 'garbage!' }), kind('invalid-parameter'));
    });

    it('retracts a version and falls back to the newest live one', async () => {
      const retracted = await catalog.retractVersion('hsmm_myoblasts', 2, 'wrong cell count');
      assert.equal(retracted.status, 'retracted');
      assert.equal(retracted.retractedReason, 'wrong cell count');
      assert.equal((await catalog.getDataset('hsmm_myoblasts'))?.latest.version, 1);
      const versions = await catalog.listVersions('hsmm_myoblasts');
      assert.deepEqual(
        versions.map((v) => [v.version, v.status, v.retractedReason]),
        [
          [2, 'retracted', 'wrong cell count'],
          [1, 'live', null],
        ],
      );
      const hit = (await catalog.search({ q: 'muscle' })).items[0];
      assert.equal(hit?.name, 'hsmm_myoblasts');
      assert.equal(hit?.latest.version, 1);

      await assert.rejects(catalog.retractVersion('hsmm_myoblasts', 2, 'again'), kind('conflict'));
      await assert.rejects(catalog.retractVersion('hsmm_myoblasts', 7, 'x'), kind('not-found'));
      await assert.rejects(
        catalog.retractVersion('hsmm_myoblasts', 1, ' '),
        kind('invalid-parameter'),
      );

      await catalog.retractVersion('hsmm_myoblasts', 1, 'consent withdrawn');
      const gone = await catalog.getDataset('hsmm_myoblasts');
      assert.equal(gone?.latest.version, 2);
      assert.equal(gone?.latest.status, 'retracted');
      const search = await catalog.search({ q: 'muscle' });
      assert.deepEqual(
        search.items.map((i) => i.name),
        ['treutlein_lung'],
      );
      assert.deepEqual(await catalog.counts(), { datasets: 6, versions: 7, retracted: 2 });
    });

    it('counts downloads per dataset', async () => {
      await catalog.recordDownload('guo_embryo');
      await catalog.recordDownload('guo_embryo');
      assert.equal((await catalog.getDataset('guo_embryo'))?.downloads, 2);
      assert.equal(
        await count(db.sql, `SELECT downloads AS n FROM datasets WHERE name = 'guo_embryo'`),
        2,
      );
      const top = await catalog.search({ sort: 'downloads', limit: 1 });
      assert.equal(top.items[0]?.name, 'guo_embryo');
      await assert.rejects(catalog.recordDownload('nope'), kind('not-found'));
    });

    it('stores API keys by hash and finds them', async () => {
      const hash = sha('scg_secret_key');
      const id = await catalog.createApiKey(hash, 'curator', 'ci');
      assert.deepEqual(await catalog.findApiKey(hash), { id, role: 'curator' });
      assert.equal(await catalog.findApiKey(sha('other')), null);
      await assert.rejects(catalog.createApiKey(hash, 'admin', 'dup'), kind('conflict'));
      await assert.rejects(
        catalog.createApiKey(sha('x'), 'root' as never, 'bad'),
        kind('invalid-parameter'),
      );
      const rows = await db.sql.query<{ key_hash: string; role: string; label: string }>(
        'SELECT key_hash, role, label FROM api_keys',
      );
      assert.deepEqual(rows, [{ key_hash: hash, role: 'curator', label: 'ci' }]);
    });

    it('lists API keys oldest first without their hashes, and revokes one by id', async () => {
      const first = await catalog.createApiKey(sha('key-one'), 'reader', 'laptop');
      const second = await catalog.createApiKey(sha('key-two'), 'admin', '');
      const listed = await catalog.listApiKeys();
      const ours = listed.filter((k) => k.id === first || k.id === second);
      const byId = new Map(ours.map(({ id, role, label }) => [id, { role, label }]));
      assert.deepEqual(byId.get(first), { role: 'reader', label: 'laptop' });
      assert.deepEqual(byId.get(second), { role: 'admin', label: '' });
      assert.equal(ours.length, 2);
      // Oldest first (createdAt shows milliseconds; the order also uses microseconds, then ids).
      const at = (k: { createdAt: string }) => Date.parse(k.createdAt);
      for (let i = 1; i < listed.length; i++) {
        assert.ok(at(listed[i - 1]) <= at(listed[i]), `keys ${i - 1} and ${i} out of order`);
      }
      const made = (id: string) => at(ours.find((k) => k.id === id)!);
      assert.ok(made(first) <= made(second), 'the first key is not older than the second');
      for (const k of ours) {
        assert.ok(!Number.isNaN(Date.parse(k.createdAt)), k.createdAt);
        assert.deepEqual(Object.keys(k).sort(), ['createdAt', 'id', 'label', 'role']);
      }
      assert.equal(await catalog.revokeApiKey(first), true);
      assert.equal(await catalog.findApiKey(sha('key-one')), null, 'refused once revoked');
      assert.deepEqual(await catalog.findApiKey(sha('key-two')), { id: second, role: 'admin' });
      assert.equal(await catalog.revokeApiKey(first), false, 'already gone');
      assert.equal(await catalog.revokeApiKey('not-a-uuid'), false);
      assert.equal(await catalog.revokeApiKey('00000000-0000-4000-8000-000000000000'), false);
    });

    it('creates, updates and finds jobs, and marks unfinished ones retryable', async () => {
      const job = await catalog.createJob('build', { dataset: 'x', k: 15 });
      assert.equal(job.state, 'queued');
      assert.deepEqual(job.params, { dataset: 'x', k: 15 });
      assert.deepEqual(job.progress, []);
      const running = await catalog.updateJob(job.id, {
        state: 'running',
        progress: [{ step: 'read', fraction: 1 }],
      });
      assert.equal(running.state, 'running');
      assert.deepEqual(running.progress, [{ step: 'read', fraction: 1 }]);
      const done = await catalog.createJob('build', {});
      await catalog.updateJob(done.id, { state: 'failed', error: 'bad file', result: null });
      assert.equal((await catalog.getJob(done.id))?.error, 'bad file');

      assert.equal(await catalog.markUnfinishedRetryable(), 1);
      assert.equal((await catalog.getJob(job.id))?.state, 'retryable');
      assert.equal((await catalog.getJob(done.id))?.state, 'failed');
      assert.equal(await catalog.getJob('not-a-uuid'), null);
      assert.equal(await catalog.getJob('00000000-0000-4000-8000-000000000000'), null);
      await assert.rejects(
        catalog.updateJob('00000000-0000-4000-8000-000000000000', { state: 'running' }),
        kind('not-found'),
      );
      assert.equal(
        await count(db.sql, `SELECT count(*) AS n FROM jobs WHERE state = 'retryable'`),
        1,
      );
    });

    it('numbers concurrent publishes of one dataset without gaps or repeats', async () => {
      const inputs = [1, 2, 3, 4].map((i) => ({ ...PBMC, dataset: 'concurrent_set', nCells: i }));
      const published = await Promise.all(inputs.map((input) => catalog.publishVersion(input)));
      assert.deepEqual(published.map((v) => v.version).sort(), [1, 2, 3, 4]);
      for (const v of published) {
        assert.equal((await catalog.getVersion('concurrent_set', v.version))?.nCells, v.nCells);
      }
      assert.equal(
        await count(db.sql, `SELECT count(*) AS n FROM files WHERE dataset = 'concurrent_set'`),
        12,
      );
    });

    it('answers ping', async () => {
      await catalog.ping();
    });

    if (backend.name === 'postgres') {
      it('applies migrations once when instances start together', async () => {
        const fresh = await backend.open();
        try {
          const others = await Promise.all([fresh.reopen(), fresh.reopen(), fresh.reopen()]);
          const applied = await Promise.all(others.map((sql) => createCatalog(sql).migrate()));
          assert.deepEqual(
            applied.flat(),
            listMigrations().map((m) => m.name),
          );
          assert.equal(
            await count(fresh.sql, 'SELECT count(*) AS n FROM schema_migrations'),
            listMigrations().length,
          );
        } finally {
          await fresh.cleanup();
        }
      });

      it('cancels statements that run past the statement timeout', async () => {
        const sql = await db.reopen({ statementTimeoutMs: 100 });
        await assert.rejects(sql.query('SELECT pg_sleep(2)'), (error: { code?: string }) => {
          assert.equal(error.code, '57014'); // query_canceled
          return true;
        });
        await sql.close();
      });
    }
  });
}
