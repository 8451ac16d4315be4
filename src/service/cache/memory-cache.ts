/**
 * In-process cache: a Map with per-entry expiry, checked on read. Right for
 * one instance; several instances need the Redis driver to share entries.
 */
import { invalidParameter } from '../../errors.ts';
import type { Cache } from '../contracts.ts';

export interface MemoryCacheOptions {
  /** Clock in milliseconds (tests pass their own). Default Date.now. */
  now?: () => number;
  /** Entries kept before expired, then oldest, ones are dropped. Default 10,000. */
  maxEntries?: number;
}

export function createMemoryCache(options: MemoryCacheOptions = {}): Cache {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, { value: string; expiresAt: number }>();

  const evict = () => {
    const time = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= time) entries.delete(key);
    // Map keeps insertion order, so the first keys are the oldest writes.
    for (const key of entries.keys()) {
      if (entries.size <= maxEntries) break;
      entries.delete(key);
    }
  };

  return {
    driver: 'memory',
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return null;
      if (entry.expiresAt <= now()) {
        entries.delete(key);
        return null;
      }
      return entry.value;
    },
    async set(key, value, ttlSeconds) {
      checkTtl(ttlSeconds);
      entries.delete(key); // re-insert so the order stays oldest-first
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
      if (entries.size > maxEntries) evict();
    },
    async delete(key) {
      entries.delete(key);
    },
    async deletePrefix(prefix) {
      for (const key of entries.keys()) if (key.startsWith(prefix)) entries.delete(key);
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}

export function checkTtl(ttlSeconds: number): void {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw invalidParameter('ttlSeconds', `must be a positive number, found ${ttlSeconds}`);
  }
}
