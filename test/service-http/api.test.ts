import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { VersionRecord } from '../../src/service/contracts.ts';
import {
  followJob,
  type Hub,
  MAX_UPLOAD_BYTES,
  PBMC_FIELDS,
  startHub,
  startSiblingApp,
  uploadForm,
} from './hub-harness.ts';

const LOOM = 'data/pbmc_small/pbmc_small.loom';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Every error answer: JSON {error, message, details} and no stack trace. */
async function expectError(response: Response, status: number) {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}`);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  const text = await response.text();
  assert.doesNotMatch(text, /\bat .*\.(ts|js):\d+/, 'no stack trace in the body');
  assert.doesNotMatch(text, /"stack"/);
  const body = JSON.parse(text);
  assert.equal(typeof body.error, 'string');
  assert.equal(typeof body.message, 'string');
  assert.equal(typeof body.details, 'object');
  return body;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out;
}

describe('hub API over HTTP (PGlite catalog, local store)', () => {
  let hub: Hub;
  let loom: Uint8Array;
  let v1: VersionRecord;

  before(async () => {
    hub = await startHub();
    loom = new Uint8Array(await readFile(LOOM));
  });
  after(async () => {
    await hub?.close();
  });

  const post = (path: string, init: RequestInit & { key?: string } = {}) =>
    fetch(`${hub.url}${path}`, {
      method: 'POST',
      ...init,
      headers: {
        ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
        ...(init.headers as Record<string, string>),
      },
    });

  test('every write route answers 401 without a key or with an unknown one, 403 for a reader', async () => {
    const routes = [
      {
        path: '/api/v1/datasets',
        body: () => uploadForm({ bytes: loom, name: 'a.loom' }, PBMC_FIELDS),
      },
      {
        path: '/api/v1/datasets/pbmc-small/versions/1/retract',
        body: () => JSON.stringify({ reason: 'test' }),
        headers: { 'content-type': 'application/json' },
      },
    ];
    for (const route of routes) {
      await expectError(
        await post(route.path, { body: route.body(), headers: route.headers }),
        401,
      );
      await expectError(
        await post(route.path, { body: route.body(), headers: route.headers, key: 'sk_not-a-key' }),
        401,
      );
      const forbidden = await expectError(
        await post(route.path, {
          body: route.body(),
          headers: route.headers,
          key: hub.keys.reader,
        }),
        403,
      );
      assert.equal(forbidden.error, 'forbidden');
    }
    // Retraction needs admin: a curator is also refused, through X-API-Key this time.
    await expectError(
      await post(routes[1]!.path, {
        body: routes[1]!.body(),
        headers: { 'content-type': 'application/json', 'x-api-key': hub.keys.curator },
      }),
      403,
    );
  });

  test('an upload builds, streams its progress, and publishes the dataset', async () => {
    const response = await post('/api/v1/datasets', {
      key: hub.keys.curator,
      body: uploadForm({ bytes: loom, name: 'pbmc_small.loom' }, PBMC_FIELDS),
    });
    assert.equal(response.status, 202);
    const accepted = (await response.json()) as { jobId: string; location: string };
    assert.equal(response.headers.get('location'), `/api/v1/jobs/${accepted.jobId}`);

    const { response: sse, events } = await followJob(hub.url, accepted.jobId);
    assert.match(sse.headers.get('content-type') ?? '', /text\/event-stream/);
    const steps = new Set(
      events.filter((e) => e.event === 'progress').map((e) => (e.data as { step: string }).step),
    );
    for (const step of ['read', 'qc', 'pca', 'knn', 'write', 'store', 'verify', 'publish']) {
      assert.ok(steps.has(step), `progress for step '${step}' (saw ${[...steps].join(', ')})`);
    }
    const last = events[events.length - 1]!;
    assert.equal(last.event, 'done', JSON.stringify(last.data));

    const job = (await (await fetch(`${hub.url}${accepted.location}`)).json()) as {
      state: string;
      result: { dataset: string; version: number; warnings: string[] };
    };
    assert.equal(job.state, 'succeeded');
    assert.deepEqual([job.result.dataset, job.result.version], ['pbmc-small', 1]);
    // pbmc_small.loom repeats 10 gene ids: the curator is told, as the CLI tells its user.
    assert.ok(
      job.result.warnings.some((w) => /10 repeated gene ids made unique/.test(w)),
      JSON.stringify(job.result.warnings),
    );

    const list = (await (await fetch(`${hub.url}/api/v1/datasets`)).json()) as {
      items: { name: string }[];
      total: number;
    };
    assert.deepEqual(
      list.items.map((i) => i.name),
      ['pbmc-small'],
    );
    assert.equal(list.total, 1);
    const detail = (await (await fetch(`${hub.url}/api/v1/datasets/pbmc-small`)).json()) as {
      latest: VersionRecord;
    };
    v1 = detail.latest;
    assert.equal(v1.version, 1);
    assert.equal(v1.nCells, 80, 'pbmc_small has 80 cells');
    assert.deepEqual(v1.files.map((f) => f.name).sort(), [
      'dataset.h5ad',
      'graph.npz',
      'manifest.json',
    ]);
  });

  test("a download's bytes hash to the catalog sha256, with matching digest headers", async () => {
    const file = v1.files.find((f) => f.name === 'graph.npz')!;
    const before = (await hub.catalog.getDataset('pbmc-small'))!.downloads;
    const response = await fetch(
      `${hub.url}/api/v1/datasets/pbmc-small/versions/1/files/graph.npz`,
    );
    assert.equal(response.status, 200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    assert.equal(sha256(bytes), file.sha256);
    assert.equal(Number(response.headers.get('content-length')), file.bytes);
    assert.equal(response.headers.get('etag'), `"${file.sha256}"`);
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    const b64 = createHash('sha256').update(bytes).digest('base64');
    assert.equal(response.headers.get('repr-digest'), `sha-256=:${b64}:`);
    assert.equal(response.headers.get('digest'), `SHA-256=${b64}`);
    assert.equal((await hub.catalog.getDataset('pbmc-small'))!.downloads, before + 1);

    const latest = await fetch(`${hub.url}/api/v1/datasets/pbmc-small/files/manifest.json`);
    const manifestFile = v1.files.find((f) => f.name === 'manifest.json')!;
    assert.equal(sha256(new Uint8Array(await latest.arrayBuffer())), manifestFile.sha256);
  });

  test('a Range request returns exactly those bytes; an unsatisfiable one answers 416', async () => {
    const path = `${hub.url}/api/v1/datasets/pbmc-small/versions/1/files/dataset.h5ad`;
    const whole = new Uint8Array(await (await fetch(path)).arrayBuffer());
    const file = v1.files.find((f) => f.name === 'dataset.h5ad')!;
    assert.equal(whole.length, file.bytes);

    const ranged = await fetch(path, { headers: { range: 'bytes=100-1099' } });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get('content-range'), `bytes 100-1099/${file.bytes}`);
    assert.equal(ranged.headers.get('content-length'), '1000');
    assert.deepEqual(new Uint8Array(await ranged.arrayBuffer()), whole.subarray(100, 1100));

    const suffix = await fetch(path, { headers: { range: 'bytes=-500' } });
    assert.equal(suffix.status, 206);
    assert.deepEqual(new Uint8Array(await suffix.arrayBuffer()), whole.subarray(file.bytes - 500));

    const open = await fetch(path, { headers: { range: `bytes=${file.bytes - 10}-` } });
    assert.deepEqual(new Uint8Array(await open.arrayBuffer()), whole.subarray(file.bytes - 10));

    const beyond = await fetch(path, { headers: { range: `bytes=${file.bytes}-` } });
    await expectError(beyond, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${file.bytes}`);
  });

  test('If-None-Match with the ETag answers 304 without a body', async () => {
    const path = `${hub.url}/api/v1/datasets/pbmc-small/versions/1/files/graph.npz`;
    const etag = (await fetch(path, { method: 'HEAD' })).headers.get('etag')!;
    const response = await fetch(path, { headers: { 'if-none-match': etag } });
    assert.equal(response.status, 304);
    assert.equal((await response.arrayBuffer()).byteLength, 0);
    const stale = await fetch(path, { headers: { 'if-none-match': '"0000"' } });
    assert.equal(stale.status, 200);
    await stale.arrayBuffer();
  });

  test('an oversized upload answers 413 and stores nothing', async () => {
    const jobsBefore = (await hub.catalog.counts()).versions;
    const objectsBefore = await listFiles(join(hub.config.dataDir, 'objects'));
    // Just over the limit (caught while streaming) and far over it (refused from Content-Length).
    for (const size of [MAX_UPLOAD_BYTES + 64 * 1024, MAX_UPLOAD_BYTES + 4 * 1024 * 1024]) {
      const bytes = new Uint8Array(size).fill(7);
      const response = await post('/api/v1/datasets', {
        key: hub.keys.curator,
        body: uploadForm({ bytes, name: 'huge.h5ad' }, { ...PBMC_FIELDS, name: 'huge' }),
      });
      const body = await expectError(response, 413);
      assert.equal(body.error, 'too-large');
    }
    assert.deepEqual(await listFiles(join(hub.config.dataDir, 'uploads')), []);
    assert.deepEqual(await listFiles(join(hub.config.dataDir, 'objects')), objectsBefore);
    assert.equal((await hub.catalog.counts()).versions, jobsBefore);
    assert.equal(await hub.catalog.getDataset('huge'), null);
  });

  test('a malformed multipart body answers 400 at once', async () => {
    const boundary = 'xyzzy';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbroken\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.h5ad"\r\n\r\n` +
      'partial bytes and no closing boundary';
    const response = await post('/api/v1/datasets', {
      key: hub.keys.curator,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    const error = await expectError(response, 400);
    assert.match(error.message, /multipart/);
    assert.deepEqual(await listFiles(join(hub.config.dataDir, 'uploads')), []);

    const notMultipart = await post('/api/v1/datasets', {
      key: hub.keys.curator,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    await expectError(notMultipart, 400);
  });

  test('bad fields and build parameters answer 400 naming the field', async () => {
    const missing = await post('/api/v1/datasets', {
      key: hub.keys.curator,
      body: uploadForm({ bytes: loom, name: 'a.loom' }, { ...PBMC_FIELDS, organism: '' }),
    });
    assert.equal((await expectError(missing, 400)).details.field, 'organism');
    // Several bad fields are all named in one answer.
    const { title: _t, license: _l, ...fewer } = PBMC_FIELDS;
    const several = await expectError(
      await post('/api/v1/datasets', {
        key: hub.keys.curator,
        body: uploadForm({ bytes: loom, name: 'a.loom' }, fewer),
      }),
      400,
    );
    assert.match(
      several.message,
      /2 fields are missing or invalid: .*title.*license|license.*title/,
    );
    assert.deepEqual((several.details.issues as { field: string }[]).map((i) => i.field).sort(), [
      'license',
      'title',
    ]);
    const badK = await post('/api/v1/datasets', {
      key: hub.keys.curator,
      body: uploadForm({ bytes: loom, name: 'a.loom' }, { ...PBMC_FIELDS, k: '1' }),
    });
    assert.equal((await expectError(badK, 400)).details.field, 'k');
    const path = await post('/api/v1/datasets', {
      key: hub.keys.curator,
      body: uploadForm(
        { bytes: loom, name: 'a.loom' },
        { ...PBMC_FIELDS, cellMetadata: '/etc/passwd' },
      ),
    });
    assert.equal((await expectError(path, 400)).details.field, 'cellMetadata');
  });

  test('an upload of a truncated .h5ad fails its job with the reason and publishes nothing', async () => {
    const h5ad = new Uint8Array(await readFile('data/hsmm/hsmm.h5ad')).subarray(0, 64 * 1024);
    const objectsBefore = await listFiles(join(hub.config.dataDir, 'objects'));
    const response = await post('/api/v1/datasets', {
      key: hub.keys.curator,
      body: uploadForm({ bytes: h5ad, name: 'truncated.h5ad' }, { ...PBMC_FIELDS, name: 'broken' }),
    });
    assert.equal(response.status, 202);
    const { jobId } = (await response.json()) as { jobId: string };
    const { events } = await followJob(hub.url, jobId);
    const last = events[events.length - 1]!;
    assert.equal(last.event, 'failed');
    const job = (await (await fetch(`${hub.url}/api/v1/jobs/${jobId}`)).json()) as {
      state: string;
      error: string;
    };
    assert.equal(job.state, 'failed');
    assert.match(job.error, /truncated\.h5ad/, 'the error names the file');
    assert.ok(!job.error.includes(hub.config.dataDir), `no server path in: ${job.error}`);
    assert.notEqual(job.error, 'internal error');
    assert.equal(await hub.catalog.getDataset('broken'), null);
    assert.deepEqual(await listFiles(join(hub.config.dataDir, 'objects')), objectsBefore);
    assert.deepEqual(await listFiles(join(hub.config.dataDir, 'uploads')), []);
  });

  test('retraction answers 410 with the reason and the dataset falls back to the previous version', async () => {
    const upload = await post('/api/v1/datasets', {
      key: hub.keys.curator,
      body: uploadForm({ bytes: loom, name: 'pbmc_small.loom' }, { ...PBMC_FIELDS, k: '10' }),
    });
    const { jobId } = (await upload.json()) as { jobId: string };
    const { events } = await followJob(hub.url, jobId);
    assert.equal(events.at(-1)!.event, 'done');
    // Read once so the detail is cached: retraction must invalidate it.
    const cached = (await (await fetch(`${hub.url}/api/v1/datasets/pbmc-small`)).json()) as {
      latest: VersionRecord;
    };
    assert.equal(cached.latest.version, 2);

    const retractPath = '/api/v1/datasets/pbmc-small/versions/2/retract';
    const noReason = await post(retractPath, {
      key: hub.keys.admin,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    assert.equal((await expectError(noReason, 400)).error, 'invalid-parameter');
    const retract = await post(retractPath, {
      key: hub.keys.admin,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'wrong k for this release' }),
    });
    assert.equal(retract.status, 200);
    assert.equal(((await retract.json()) as VersionRecord).status, 'retracted');

    const gone = await fetch(`${hub.url}/api/v1/datasets/pbmc-small/versions/2/files/graph.npz`);
    const body = await expectError(gone, 410);
    assert.match(body.message, /wrong k for this release/);
    assert.equal(body.details.reason, 'wrong k for this release');

    const detail = (await (await fetch(`${hub.url}/api/v1/datasets/pbmc-small`)).json()) as {
      latest: VersionRecord;
      versions: { version: number; status: string }[];
    };
    assert.equal(detail.latest.version, 1);
    assert.deepEqual(detail.versions.map((v) => [v.version, v.status]).sort(), [
      [1, 'live'],
      [2, 'retracted'],
    ]);
    const latestFile = await fetch(`${hub.url}/api/v1/datasets/pbmc-small/files/graph.npz`);
    assert.equal(latestFile.status, 200);
    const v1Graph = v1.files.find((f) => f.name === 'graph.npz')!;
    assert.equal(sha256(new Uint8Array(await latestFile.arrayBuffer())), v1Graph.sha256);
  });

  test('validation errors, unknown routes and missing records answer JSON 4xx', async () => {
    const badQuery = await expectError(await fetch(`${hub.url}/api/v1/datasets?limit=0`), 400);
    assert.equal(badQuery.error, 'invalid-parameter');
    // An enum's allowed values are in the message, not only in the details.
    const badSort = await expectError(await fetch(`${hub.url}/api/v1/datasets?sort=nCells`), 400);
    assert.match(badSort.message, /allowed values: .*cells/);
    await expectError(await fetch(`${hub.url}/api/v1/datasets/Not%20A%20Name`), 400);
    await expectError(await fetch(`${hub.url}/api/v1/datasets/nothing-here`), 404);
    await expectError(await fetch(`${hub.url}/api/v1/datasets/pbmc-small/versions/9`), 404);
    await expectError(
      await fetch(`${hub.url}/api/v1/datasets/pbmc-small/versions/1/files/other.bin`),
      404,
    );
    await expectError(
      await fetch(`${hub.url}/api/v1/jobs/00000000-0000-0000-0000-000000000000`),
      404,
    );
    await expectError(await fetch(`${hub.url}/no/such/route`), 404);
  });

  test('search filters, facets and the manifest routes answer from the catalog', async () => {
    const byOrganism = (await (
      await fetch(`${hub.url}/api/v1/datasets?organism=Homo%20sapiens&q=blood`)
    ).json()) as { items: { name: string }[]; facets: Record<string, Record<string, number>> };
    assert.deepEqual(
      byOrganism.items.map((i) => i.name),
      ['pbmc-small'],
    );
    assert.equal(byOrganism.facets.organism?.['Homo sapiens'], 1);
    // List items leave out the manifest; no response shows storage keys.
    const listed = JSON.stringify(byOrganism);
    assert.ok(!listed.includes('"manifest"'), 'no manifest in list items');
    assert.ok(!listed.includes('storageKey'), 'no storage keys in list items');
    const detail = await (await fetch(`${hub.url}/api/v1/datasets/pbmc-small`)).text();
    assert.ok(!detail.includes('storageKey'), 'no storage keys in the detail');
    const none = (await (
      await fetch(`${hub.url}/api/v1/datasets?organism=Mus%20musculus`)
    ).json()) as {
      items: unknown[];
    };
    assert.equal(none.items.length, 0);
    const manifest = (await (
      await fetch(`${hub.url}/api/v1/datasets/pbmc-small/versions/1/manifest`)
    ).json()) as Record<string, unknown>;
    const stored = await fetch(
      `${hub.url}/api/v1/datasets/pbmc-small/versions/1/files/manifest.json`,
    );
    assert.deepEqual(manifest, JSON.parse(await stored.text()));
  });

  test('health answers liveness, readiness with latencies, and details', async () => {
    assert.equal((await fetch(`${hub.url}/health`)).status, 200);
    const ready = await fetch(`${hub.url}/health/ready`);
    assert.equal(ready.status, 200);
    const checks = (
      (await ready.json()) as { checks: Record<string, { ok: boolean; latencyMs: number }> }
    ).checks;
    assert.deepEqual(Object.keys(checks).sort(), ['cache', 'database', 'storage']);
    for (const c of Object.values(checks)) {
      assert.equal(c.ok, true);
      assert.ok(c.latencyMs >= 0);
    }
    const detailed = (await (await fetch(`${hub.url}/health/detailed`)).json()) as {
      node: string;
      migrations: { applied: string[]; pending: string[] };
      datasets: { datasets: number };
      drivers: Record<string, string>;
      uptimeSeconds: number;
      memory: { rssBytes: number };
    };
    assert.equal(detailed.node, process.version);
    assert.deepEqual(detailed.migrations.pending, []);
    assert.ok(detailed.migrations.applied.length > 0);
    assert.equal(detailed.datasets.datasets, 1);
    assert.equal(detailed.drivers.database, 'pglite');
    assert.equal(detailed.drivers.storage, 'local');
    assert.ok(detailed.uptimeSeconds >= 0 && detailed.memory.rssBytes > 0);
  });

  test('/metrics carries the named series with route-pattern endpoints', async () => {
    await fetch(`${hub.url}/api/v1/datasets/pbmc-small`);
    await fetch(`${hub.url}/api/v1/datasets/pbmc-small`);
    const text = await (await fetch(`${hub.url}/metrics`)).text();
    assert.match(
      text,
      /scgraph_api_requests_total\{method="GET",endpoint="\/api\/v1\/datasets\/:name",status="200"\} \d+/,
    );
    assert.match(
      text,
      /scgraph_api_requests_total\{method="GET",endpoint="unmatched",status="404"\}/,
    );
    assert.match(
      text,
      /scgraph_api_request_duration_seconds_bucket\{le="[^"]+",method="GET",endpoint="\/api\/v1\/datasets\/:name\/versions\/:v\/files\/:file"\}/,
    );
    assert.doesNotMatch(
      text,
      /endpoint="\/api\/v1\/datasets\/pbmc-small/,
      'raw URLs never become labels',
    );
    assert.match(text, /scgraph_dataset_downloads_total\{dataset="pbmc-small"\} [1-9]/);
    assert.match(text, /scgraph_dataset_processing_seconds_count\{outcome="succeeded"\} 2/);
    assert.match(text, /scgraph_dataset_processing_seconds_count\{outcome="failed"\} 1/);
    assert.match(text, /scgraph_cache_hits_total\{cache="dataset"\} [1-9]/);
    assert.match(text, /scgraph_cache_misses_total\{cache="datasets"\} [1-9]/);
    assert.match(text, /scgraph_db_query_duration_seconds_count [1-9]/);
    assert.match(text, /scgraph_db_connections_active \d+/);
    assert.match(text, /process_cpu_user_seconds_total/);
  });

  test('the OpenAPI document describes the routes and the docs page loads', async () => {
    const doc = (await (await fetch(`${hub.url}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    assert.match(doc.openapi, /^3\./);
    for (const path of [
      '/api/v1/datasets',
      '/api/v1/datasets/{name}',
      '/api/v1/datasets/{name}/versions/{v}/files/{file}',
      '/api/v1/datasets/{name}/versions/{v}/retract',
      '/api/v1/jobs/{id}/events',
    ]) {
      assert.ok(doc.paths[path], `documents ${path}`);
    }
    assert.ok(doc.paths['/api/v1/datasets']!.post, 'documents the upload');
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/docs')));
    const page = await fetch(`${hub.url}/api/v1/docs/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger/i);
    const asset = await fetch(`${hub.url}/api/v1/docs/static/swagger-ui-bundle.js`);
    assert.equal(asset.status, 200);
    await asset.arrayBuffer();
  });

  test('logs are JSON lines with the request id, and never contain an API key', async () => {
    const response = await fetch(`${hub.url}/api/v1/datasets?q=blood`, {
      headers: { 'x-request-id': 'trace-abc-123', authorization: `Bearer ${hub.keys.admin}` },
    });
    assert.equal(response.headers.get('x-request-id'), 'trace-abc-123');
    await response.text();
    const lines = hub.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const traced = lines.filter((l) => l.reqId === 'trace-abc-123');
    assert.ok(traced.length >= 2, 'request start and completion carry the incoming id');
    for (const line of lines.filter((l) => l.req || l.res)) {
      assert.equal(typeof line.reqId, 'string', JSON.stringify(line));
    }
    const all = hub.logs.join('');
    for (const key of Object.values(hub.keys))
      assert.ok(!all.includes(key), 'key absent from logs');
    // Job lines carry their job id once (a repeated key is ambiguous to log tools).
    const jobLines = hub.logs.filter((l) => l.includes('"jobId"'));
    assert.ok(
      jobLines.some((l) => l.includes('job succeeded')),
      'a finished job was logged',
    );
    for (const line of jobLines) assert.equal(line.match(/"jobId"/g)?.length, 1, line);
  });

  // ---- faults

  test('a server fault answers 500 with the request id only; the log gets the stack', async () => {
    {
      // The real catalog with one method failing the way a driver bug would.
      const search = hub.catalog.search;
      hub.catalog.search = async () => {
        throw new Error('driver exploded: password=hunter2');
      };
      const response = await fetch(`${hub.url}/api/v1/datasets`);
      const body = await expectError(response, 500);
      assert.equal(body.message, 'internal error');
      assert.equal(body.details.requestId, response.headers.get('x-request-id'));
      assert.doesNotMatch(JSON.stringify(body), /exploded|hunter2/);
      const errorLine = hub.logs
        .map((l) => JSON.parse(l) as { level: number; err?: { stack?: string }; reqId?: string })
        .find((l) => l.level === 50);
      assert.ok(errorLine?.err?.stack?.includes('driver exploded'), 'the stack is logged at ERROR');
      assert.equal(errorLine?.reqId, body.details.requestId);
      hub.catalog.search = search;
    }
  });

  test('/health/ready answers 503 naming storage when the store cannot be reached', async () => {
    const { createObjectStore } = await import('../../src/service/storage/create-object-store.ts');
    const { createServer } = await import('node:net');
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const store = await createObjectStore({
      storage: {
        kind: 's3',
        endpoint: `http://127.0.0.1:${port}`,
        bucket: 'nowhere',
        region: 'us-east-1',
        accessKeyId: 'test',
        secretAccessKey: 'test',
        forcePathStyle: true,
      },
    });
    const sibling = await startSiblingApp(hub, { store });
    try {
      const response = await fetch(`${sibling.url}/health/ready`);
      const body = await expectError(response, 503);
      assert.deepEqual(body.details.failing, ['storage']);
      assert.match(body.message, /storage/);
      assert.equal(body.details.checks.database.ok, true);
      assert.equal((await fetch(`${sibling.url}/health`)).status, 200);
    } finally {
      await sibling.close();
    }
  });

  test('requests over the rate limit answer 429 with Retry-After', async () => {
    const limited3 = await startSiblingApp(hub, { rateLimit: { max: 3, windowMs: 60_000 } });
    const url = limited3.url;
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal((await fetch(`${url}/api/v1/datasets`)).status, 200);
      }
      const limited = await fetch(`${url}/api/v1/datasets`);
      const body = await expectError(limited, 429);
      assert.equal(body.error, 'rate-limited');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      // A key has its own budget, separate from the caller's IP.
      const keyed = await fetch(`${url}/api/v1/datasets`, {
        headers: { 'x-api-key': hub.keys.reader },
      });
      assert.equal(keyed.status, 200);
      assert.equal((await fetch(`${url}/health`)).status, 200, 'health is never limited');
    } finally {
      await limited3.close();
    }
  });

  test('shutdown aborts a job past the timeout and leaves unfinished jobs retryable', async () => {
    const { createJobRunner } = await import('../../src/service/jobs/job-runner.ts');
    const runner = createJobRunner(hub.catalog, hub.app.log);
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const waitForAbort: Parameters<typeof runner.submit>[2] = ({ signal }) => {
      started();
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    };
    const first = await runner.submit('build', {}, waitForAbort, hub.app.log);
    const second = await runner.submit('build', {}, waitForAbort, hub.app.log);
    await running;
    assert.deepEqual(await runner.close(50), { retryable: 2 });
    for (const job of [first, second]) {
      assert.equal((await hub.catalog.getJob(job.id))!.state, 'retryable');
    }
  });
});
