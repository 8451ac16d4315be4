import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isScgraphError } from '../../src/errors.ts';
import { createCache, redisClientOf } from '../../src/service/cache/create-cache.ts';
import { createMemoryCache } from '../../src/service/cache/memory-cache.ts';
import type { Cache } from '../../src/service/contracts.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** null when Redis answers PING, else why not. */
async function redisUnreachable(): Promise<string | null> {
  const { hostname, port } = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve('no answer within 2 s');
    });
    socket.on('error', (error) => resolve(error.message));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.end();
      resolve(data.toString().startsWith('+PONG') ? null : `unexpected reply ${data}`);
    });
  });
}

/** The behaviour both drivers share. `expire` makes the entry with a short TTL run out. */
function cacheSuite(cache: () => Cache, expire: () => Promise<void>) {
  it('gets what was set and null for unknown keys', async () => {
    await cache().set('dataset:hsmm', '{"v":1}', 60);
    assert.equal(await cache().get('dataset:hsmm'), '{"v":1}');
    assert.equal(await cache().get('dataset:none'), null);
    await cache().set('dataset:hsmm', '{"v":2}', 60);
    assert.equal(await cache().get('dataset:hsmm'), '{"v":2}');
  });

  it('forgets an entry once its ttl has passed', async () => {
    await cache().set('short', 'x', 0.2);
    await cache().set('long', 'y', 600);
    await expire();
    assert.equal(await cache().get('short'), null);
    assert.equal(await cache().get('long'), 'y');
  });

  it('deletes one key and every key with a prefix', async () => {
    for (const key of ['search:a', 'search:b', 'search:*weird', 'searchx', 'dataset:x']) {
      await cache().set(key, key, 60);
    }
    await cache().delete('dataset:x');
    assert.equal(await cache().get('dataset:x'), null);
    await cache().deletePrefix('search:');
    for (const key of ['search:a', 'search:b', 'search:*weird']) {
      assert.equal(await cache().get(key), null, key);
    }
    assert.equal(await cache().get('searchx'), 'searchx');
  });

  it('rejects a ttl that is not positive', async () => {
    await assert.rejects(cache().set('k', 'v', 0), (error: unknown) => {
      assert.ok(isScgraphError(error) && error.kind === 'invalid-parameter');
      return true;
    });
  });

  it('answers ping', async () => {
    await cache().ping();
  });
}

describe('memory cache', () => {
  let clock = 1_000_000;
  const cache = createMemoryCache({ now: () => clock, maxEntries: 100 });
  cacheSuite(
    () => cache,
    async () => {
      clock += 201;
    },
  );

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const small = createMemoryCache({ now: () => clock, maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) await small.set(key, key, 60);
    assert.deepEqual(await Promise.all(['a', 'b', 'c', 'd'].map((k) => small.get(k))), [
      null,
      'b',
      'c',
      'd',
    ]);
  });

  it('is the default when no Redis is configured', () => {
    const cache = createCache({ cache: { kind: 'memory' } });
    assert.equal(cache.driver, 'memory');
    assert.equal(redisClientOf(cache), null);
  });
});

const unreachable = await redisUnreachable();
describe('redis cache', {
  skip: unreachable ? `Redis at ${REDIS_URL} is not reachable (${unreachable})` : false,
}, () => {
  const prefix = `scgraph:test:${process.pid}:${randomBytes(4).toString('hex')}:`;
  let cache: Cache;
  before(() => {
    cache = createCache({ cache: { kind: 'redis', url: REDIS_URL } }, { prefix });
  });
  after(async () => {
    const client = redisClientOf(cache)!;
    const leftover = await client.keys(`${prefix}*`);
    if (leftover.length) await client.del(...leftover);
    await client.del('scgraph-foreign-key');
    await cache.close();
  });

  cacheSuite(
    () => cache,
    async () => {
      // Real expiry is Redis's own clock: wait until it drops the key (bounded, not timed).
      const client = redisClientOf(cache)!;
      const pttl = await client.pttl(`${prefix}short`);
      assert.ok(pttl > 0 && pttl <= 200, `pttl ${pttl}`);
      for (let i = 0; i < 50 && (await client.exists(`${prefix}short`)); i++) await sleep(100);
    },
  );

  it('stores keys under its prefix and leaves other keys alone', async () => {
    const client = redisClientOf(cache)!;
    assert.equal(cache.driver, 'redis');
    await cache.set('dataset:pbmc', 'p', 60);
    assert.equal(await client.get(`${prefix}dataset:pbmc`), 'p');
    await client.set('scgraph-foreign-key', 'keep', 'EX', 60);
    await cache.deletePrefix('');
    assert.equal(await client.get('scgraph-foreign-key'), 'keep');
    assert.deepEqual(await client.keys(`${prefix}*`), []);
  });
});
