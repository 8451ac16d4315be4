/**
 * Redis cache through ioredis, shared by every instance. All keys carry a
 * prefix ('scgraph:' by default) so the hub can share a Redis with others and
 * deletePrefix never touches foreign keys.
 */
import { Redis } from 'ioredis';
import type { Cache } from '../contracts.ts';
import { checkTtl } from './memory-cache.ts';

export interface RedisCacheOptions {
  /** Prepended to every key. Default 'scgraph:'. */
  prefix?: string;
  /** Connection errors (ioredis reconnects by itself); without it they are dropped. */
  onError?(error: Error): void;
}

/** A Cache that also hands out its ioredis client (for @fastify/rate-limit). */
export interface RedisCache extends Cache {
  readonly driver: 'redis';
  readonly client: Redis;
}

export function createRedisCache(url: string, options: RedisCacheOptions = {}): RedisCache {
  const prefix = options.prefix ?? 'scgraph:';
  const client = new Redis(url, {
    // Fail a command fast when Redis is down instead of queueing it forever;
    // readiness checks and the rate limiter rely on that.
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  // ioredis prints unhandled 'error' events itself; route them to the caller instead.
  client.on('error', (error: Error) => options.onError?.(error));

  return {
    driver: 'redis',
    client,
    get: (key) => client.get(prefix + key),
    async set(key, value, ttlSeconds) {
      checkTtl(ttlSeconds);
      await client.set(prefix + key, value, 'PX', Math.ceil(ttlSeconds * 1000));
    },
    async delete(key) {
      await client.del(prefix + key);
    },
    async deletePrefix(keyPrefix) {
      const match = `${escapeGlob(prefix + keyPrefix)}*`;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 500);
        if (keys.length > 0) await client.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    },
    async ping() {
      await client.ping();
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** Escapes Redis glob characters so a prefix matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
