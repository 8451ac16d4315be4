/**
 * Starts a real hub for tests: the real catalog (PGlite, or a Postgres server
 * in its own schema), the real object store and cache from the configuration,
 * listening on 127.0.0.1:0, with its log lines captured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/service/app.ts';
import { createCache, redisClientOf } from '../../src/service/cache/create-cache.ts';
import { createCatalog } from '../../src/service/catalog/create-catalog.ts';
import { loadConfig, type ServiceConfig } from '../../src/service/config.ts';
import type { Cache, Catalog, ObjectStore } from '../../src/service/contracts.ts';
import { openSql } from '../../src/service/db/open-sql.ts';
import { createKey } from '../../src/service/keys.ts';
import { createLogger } from '../../src/service/logger.ts';
import { createMetrics } from '../../src/service/metrics.ts';
import { createObjectStore } from '../../src/service/storage/create-object-store.ts';

export interface Hub {
  url: string;
  app: FastifyInstance;
  config: ServiceConfig;
  catalog: Catalog;
  store: ObjectStore;
  cache: Cache;
  logs: string[];
  keys: { reader: string; curator: string; admin: string };
  close(): Promise<void>;
}

export interface HubOptions {
  /** Extra environment (DATABASE_URL, REDIS_URL, S3_* ...). */
  env?: Record<string, string>;
  /** Postgres schema to isolate this run on a shared server. */
  schema?: string;
  /** Share another hub's data folder (two instances of one deployment). */
  dataDir?: string;
  /** Prefix for this run's keys in a shared Redis (cache entries and rate-limit counters). */
  keyPrefix?: string;
  cacheTtlSeconds?: number;
  /** Replace the configured store (e.g. one that cannot be reached). */
  store?: ObjectStore;
  /** Reuse keys instead of creating new ones. */
  keys?: Hub['keys'];
}

/**
 * Another app on the same backends as `hub` (its catalog, cache and keys), with
 * a different store or limits; cheaper than a second database.
 */
export async function startSiblingApp(
  hub: Hub,
  options: { store?: ObjectStore; rateLimit?: { max: number; windowMs: number } } = {},
): Promise<{ url: string; logs: string[]; close(): Promise<void> }> {
  const logs: string[] = [];
  const app = await createApp({
    config: { ...hub.config, rateLimit: options.rateLimit ?? hub.config.rateLimit },
    catalog: hub.catalog,
    store: options.store ?? hub.store,
    cache: hub.cache,
    logger: createLogger({ level: 'info', destination: { write: (s: string) => logs.push(s) } }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, logs, close: () => app.close() };
}

export const MAX_UPLOAD_BYTES = 256 * 1024;

export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const ownDir = options.dataDir ? null : await mkdtemp(join(tmpdir(), 'scgraph-http-'));
  const dataDir = options.dataDir ?? ownDir!;
  const config = loadConfig({
    DATA_DIR: dataDir,
    MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (s: string) => logs.push(s) },
  });
  const metrics = createMetrics();
  const sql = await openSql(config, { onQuery: metrics.onQuery, schema: options.schema });
  const catalog = createCatalog(sql);
  await catalog.migrate();
  const store = options.store ?? (await createObjectStore(config));
  const cache = createCache(config, { prefix: options.keyPrefix });
  const app = await createApp({
    config: {
      ...config,
      cacheTtlSeconds: options.cacheTtlSeconds ?? 30,
      keyPrefix: options.keyPrefix,
    },
    catalog,
    store,
    cache,
    // The cache's own client carries the rate limits, as in startServer.
    redis: redisClientOf(cache) ?? undefined,
    logger,
    metrics,
    sql,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const keys = options.keys ?? {
    reader: (await createKey(catalog, 'reader', 'test reader')).key,
    curator: (await createKey(catalog, 'curator', 'test curator')).key,
    admin: (await createKey(catalog, 'admin', 'test admin')).key,
  };
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config,
    catalog,
    store,
    cache,
    logs,
    keys,
    async close() {
      await app.close();
      await cache.close();
      await catalog.close();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}

/** Parses a text/event-stream body into its events. */
export function parseSse(text: string): { event: string; data: unknown }[] {
  return text
    .split('\n\n')
    .map((block) => block.trim())
    .filter((block) => block && !block.startsWith(':'))
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: data ? JSON.parse(data) : null };
    });
}

/** Waits for a job to settle by reading its event stream to the end. */
export async function followJob(url: string, jobId: string) {
  const response = await fetch(`${url}/api/v1/jobs/${jobId}/events`);
  const events = parseSse(await response.text());
  return { response, events };
}

/** A multipart form for POST /datasets. */
export function uploadForm(
  file: { bytes: Uint8Array; name: string },
  fields: Record<string, string>,
): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  form.set('file', new Blob([new Uint8Array(file.bytes)]), file.name);
  return form;
}

export const PBMC_FIELDS = {
  name: 'pbmc-small',
  title: 'PBMC small (Seurat test data)',
  description: '80 peripheral blood mononuclear cells; clusters from Seurat.',
  organism: 'Homo sapiens',
  tissue: 'blood',
  modality: 'scRNA-seq',
  license: 'GPL-3.0',
  citation: 'Seurat pbmc_small',
  label: 'cluster',
};
