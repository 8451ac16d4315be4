import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { VersionRecord } from '../../src/service/contracts.ts';
import { followJob, type Hub, PBMC_FIELDS, startHub, uploadForm } from './hub-harness.ts';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `${process.pid}_${Date.now().toString(36)}`;
const SCHEMA = `scgraph_http_${RUN}`;
const KEY_PREFIX = `scgraph-test:${RUN}:`;

async function unreachable(): Promise<string | false> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    return `PostgreSQL at ${PG_URL} is unreachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis at ${REDIS_URL} is unreachable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
  return false;
}

const skip = await unreachable();
if (skip) console.log(`# skipping real-backend API tests: ${skip}`);

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('two hub instances on real PostgreSQL and Redis', { skip }, () => {
  let dataDir: string;
  let redis: Redis;
  let a: Hub;
  let b: Hub;

  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: PG_URL,
    REDIS_URL,
    ...extra,
  });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'scgraph-http-pg-'));
    redis = new Redis(REDIS_URL);
    const common = { dataDir, schema: SCHEMA, keyPrefix: KEY_PREFIX };
    a = await startHub({ ...common, env: env() });
    b = await startHub({ ...common, env: env(), keys: a.keys });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${SCHEMA}" cascade`);
    await client.end();
    const stale = await redis.keys(`${KEY_PREFIX}*`);
    if (stale.length) await redis.del(...stale);
    redis.disconnect();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('write routes refuse missing keys and reader keys on the Postgres catalog', async () => {
    const noKey = await fetch(`${b.url}/api/v1/datasets/x/versions/1/retract`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'nope' }),
    });
    assert.equal(noKey.status, 401);
    const reader = await fetch(`${b.url}/api/v1/datasets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.keys.reader}` },
      body: uploadForm({ bytes: new Uint8Array(10), name: 'x.loom' }, PBMC_FIELDS),
    });
    assert.equal(reader.status, 403);
  });

  test('a publish on one instance invalidates the cache the other one filled', async () => {
    const empty = (await (await fetch(`${b.url}/api/v1/datasets`)).json()) as { total: number };
    assert.equal(empty.total, 0);
    const again = (await (await fetch(`${a.url}/api/v1/datasets`)).json()) as { total: number };
    assert.equal(again.total, 0);
    const metricsA = await (await fetch(`${a.url}/metrics`)).text();
    assert.match(
      metricsA,
      /scgraph_cache_hits_total\{cache="datasets"\} 1/,
      "A hit B's entry in Redis",
    );

    const loom = new Uint8Array(await readFile('data/pbmc_small/pbmc_small.loom'));
    const upload = await fetch(`${a.url}/api/v1/datasets`, {
      method: 'POST',
      headers: { 'x-api-key': a.keys.curator },
      body: uploadForm({ bytes: loom, name: 'pbmc_small.loom' }, PBMC_FIELDS),
    });
    assert.equal(upload.status, 202);
    const { jobId } = (await upload.json()) as { jobId: string };
    // Followed from the other instance: job state lives in the shared catalog.
    const { events } = await followJob(b.url, jobId);
    assert.equal(events.at(-1)!.event, 'done', JSON.stringify(events.at(-1)));

    const listed = (await (await fetch(`${b.url}/api/v1/datasets`)).json()) as {
      items: { name: string }[];
    };
    assert.deepEqual(
      listed.items.map((i) => i.name),
      ['pbmc-small'],
    );
  });

  test("downloads from the other instance hash to the catalog's sha256, ranges included", async () => {
    const version = (await (
      await fetch(`${b.url}/api/v1/datasets/pbmc-small/versions/1`)
    ).json()) as VersionRecord;
    const file = version.files.find((f) => f.name === 'graph.npz')!;
    const path = `${b.url}/api/v1/datasets/pbmc-small/files/graph.npz`;
    const whole = new Uint8Array(await (await fetch(path)).arrayBuffer());
    assert.equal(sha256(whole), file.sha256);
    const ranged = await fetch(path, { headers: { range: 'bytes=17-216' } });
    assert.equal(ranged.status, 206);
    assert.deepEqual(new Uint8Array(await ranged.arrayBuffer()), whole.subarray(17, 217));
    const detailed = (await (await fetch(`${b.url}/health/detailed`)).json()) as {
      drivers: Record<string, string>;
    };
    assert.deepEqual(detailed.drivers, {
      database: 'postgres',
      storage: 'local',
      cache: 'redis',
      rateLimit: 'redis',
    });
  });

  test('the rate limit is shared by instances through Redis', async () => {
    const limitEnv = env({ RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW: '60s' });
    const prefix = `${KEY_PREFIX}rl-test:`;
    const c = await startHub({
      dataDir,
      schema: SCHEMA,
      keyPrefix: prefix,
      env: limitEnv,
      keys: a.keys,
    });
    const d = await startHub({
      dataDir,
      schema: SCHEMA,
      keyPrefix: prefix,
      env: limitEnv,
      keys: a.keys,
    });
    try {
      for (const hub of [c, d, c, d]) {
        assert.equal((await fetch(`${hub.url}/api/v1/datasets`)).status, 200);
      }
      const limited = await fetch(`${c.url}/api/v1/datasets`);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal(((await limited.json()) as { error: string }).error, 'rate-limited');
    } finally {
      await c.close();
      await d.close();
    }
  });
});
