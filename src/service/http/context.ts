/** What every route module gets from createApp. */
import type { Redis } from 'ioredis';
import type { Cache, Catalog, ObjectStore, Sql } from '../contracts.ts';
import type { BuildFn } from '../jobs/build-job.ts';
import type { JobRunner } from '../jobs/job-runner.ts';
import type { Metrics } from '../metrics.ts';

/** The settings the HTTP layer reads (a subset of the service config). */
export interface HttpConfig {
  /** Where uploads and job work folders live. */
  dataDir: string;
  /** Largest accepted upload, in bytes. */
  maxUploadBytes: number;
  /** TTL of cached list/search/detail answers; 0 disables caching. Default 30. */
  cacheTtlSeconds?: number;
  /** Requests per window per key or IP. Default 600 per 60 000 ms. */
  rateLimit?: { max: number; windowMs: number };
  /** How long shutdown waits for a running job before aborting it. Default 30 000 ms. */
  shutdownTimeoutMs?: number;
  /** Trust X-Forwarded-* (behind a load balancer). Default false. */
  trustProxy?: boolean;
  /** Prefix of the rate-limit counters in a shared Redis. Default 'scgraph:'. */
  keyPrefix?: string;
  /** Catalog driver name for /health/detailed when no Sql handle is given. */
  databaseDriver?: string;
}

export interface AppContext {
  config: HttpConfig;
  catalog: Catalog;
  store: ObjectStore;
  cache: Cache;
  metrics: Metrics;
  runner: JobRunner;
  build: BuildFn;
  sql?: Sql;
  redis?: Redis;
  startedAt: number;
}
