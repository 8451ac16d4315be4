import type { Redis } from 'ioredis';
import type { ServiceConfig } from '../config.ts';
import type { Cache } from '../contracts.ts';
import { createMemoryCache } from './memory-cache.ts';
import { createRedisCache, type RedisCacheOptions } from './redis-cache.ts';

/**
 * The cache for `config.cache`: in-process by default, Redis when REDIS_URL is
 * set. `options` apply to Redis only.
 */
export function createCache(
  config: Pick<ServiceConfig, 'cache'>,
  options: RedisCacheOptions = {},
): Cache {
  return config.cache.kind === 'redis'
    ? createRedisCache(config.cache.url, options)
    : createMemoryCache();
}

/** The ioredis client behind a Redis cache (for @fastify/rate-limit's `redis`), or null. */
export function redisClientOf(cache: Cache): Redis | null {
  return cache.driver === 'redis' && 'client' in cache ? (cache.client as Redis) : null;
}
