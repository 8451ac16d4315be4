/**
 * Short-lived caching of catalog reads (list, search, detail) in the shared
 * Cache, keyed by the normalized query so equivalent URLs share an entry.
 * Publishing or retracting drops everything under the prefix.
 */
import { createHash } from 'node:crypto';
import type { Cache } from '../contracts.ts';
import type { Metrics } from '../metrics.ts';

/** Where cached answers live inside the Cache (which adds its own deployment prefix). */
export const CACHE_PREFIX = 'api:';

/** A stable key: object keys sorted, array values sorted, undefined dropped. */
export function cacheKey(prefix: string, cache: string, query: unknown): string {
  const digest = createHash('sha256').update(stableJson(query)).digest('base64url');
  return `${prefix}${cache}:${digest}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).sort().join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Returns the cached JSON text for `key`, or computes, stores and returns
 * it. A cache outage degrades to computing every time, never to an error.
 */
export async function cachedJson(
  deps: { cache: Cache; metrics: Metrics; ttlSeconds: number; onCacheError(err: unknown): void },
  name: string,
  key: string,
  compute: () => Promise<unknown>,
): Promise<string> {
  const hit = await deps.cache.get(key).catch((err) => {
    deps.onCacheError(err);
    return null;
  });
  if (hit !== null) {
    deps.metrics.cacheHits.inc({ cache: name });
    return hit;
  }
  deps.metrics.cacheMisses.inc({ cache: name });
  const text = JSON.stringify(await compute());
  if (deps.ttlSeconds > 0) {
    await deps.cache.set(key, text, deps.ttlSeconds).catch(deps.onCacheError);
  }
  return text;
}
