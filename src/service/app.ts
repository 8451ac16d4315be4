/**
 * Builds the hub's Fastify app on whatever backends it is given, so tests
 * can run it on PGlite and a local folder, and production on PostgreSQL, S3
 * and Redis, with the same code.
 *
 * @example
 * const app = await createApp({ config, catalog, store, cache });
 * await app.listen({ host: '127.0.0.1', port: 0 });
 */

import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Cache, Catalog, ObjectStore, Sql } from './contracts.ts';
import { installAuth } from './http/auth.ts';
import type { AppContext, HttpConfig } from './http/context.ts';
import { datasetRoutes } from './http/dataset-routes.ts';
import { errorBodySchema, installErrorHandler } from './http/error-handler.ts';
import { fileRoutes } from './http/file-routes.ts';
import { healthRoutes } from './http/health-routes.ts';
import { jobRoutes } from './http/job-routes.ts';
import { uploadRoutes } from './http/upload-routes.ts';
import type { BuildFn } from './jobs/build-job.ts';
import { createJobRunner } from './jobs/job-runner.ts';
import { hashKey, presentedKey } from './keys.ts';
import { createLogger, requestId } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';

export type { HttpConfig } from './http/context.ts';

export interface AppDeps {
  config: HttpConfig;
  catalog: Catalog;
  store: ObjectStore;
  cache: Cache;
  /** Shares rate-limit counters between instances; in-process counters without it. */
  redis?: Redis;
  logger?: Logger;
  /** The dataset builder; defaults to src/build.ts buildPackage. */
  build?: BuildFn;
  /** Pass the metrics whose onQuery feeds openSql, so the db series land in this app's registry. */
  metrics?: Metrics;
  /** For scgraph_db_connections_active and the driver name in /health/detailed. */
  sql?: Sql;
}

const defaultBuild: BuildFn = async (input, outDir, options, hooks) => {
  const { buildPackage } = await import('../build.ts');
  return buildPackage(input, outDir, options, hooks as Parameters<typeof buildPackage>[3]);
};

/** Creates the app with every route registered and ready (not listening). */
export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? createLogger();
  const metrics = deps.metrics ?? createMetrics();
  if (deps.sql) metrics.watchConnections(() => deps.sql!.activeConnections());
  const ctx: AppContext = {
    config: deps.config,
    catalog: deps.catalog,
    store: deps.store,
    cache: deps.cache,
    metrics,
    runner: createJobRunner(deps.catalog, logger),
    build: deps.build ?? defaultBuild,
    sql: deps.sql,
    redis: deps.redis,
    startedAt: Date.now(),
  };

  const app = Fastify({
    // pino's Logger is Fastify's logger; the cast only narrows its generic parameters.
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: requestId,
    trustProxy: deps.config.trustProxy ?? false,
    bodyLimit: 1024 * 1024,
    // Ends idle keep-alive sockets on close so shutdown does not wait for them.
    forceCloseConnections: 'idle',
  });

  // Lets in-process callers (start-up seeding) queue jobs on this app's runner.
  app.decorate('hub', ctx);
  installErrorHandler(app);
  app.addSchema(errorBodySchema);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const endpoint = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, endpoint };
    metrics.requests.inc({ ...labels, status: String(reply.statusCode) });
    metrics.requestDuration.observe(labels, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Single-Cell Graph Hub API',
        version: '1',
        description:
          'Find, download and curate single-cell graph datasets. Reads are anonymous; writes need an API key (Authorization: Bearer sk_... or X-API-Key).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    transform: ({ schema, url }) => {
      // Only the public API goes into the document; the docs UI's own routes stay out.
      const hide = url.startsWith('/api/v1/docs') || url === '/api/v1/openapi.json';
      return { schema: hide ? { ...schema, hide: true } : schema, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' });

  installAuth(app, deps.catalog);
  const limit = deps.config.rateLimit ?? { max: 600, windowMs: 60_000 };
  await app.register(rateLimit, {
    global: true,
    max: limit.max,
    timeWindow: limit.windowMs,
    redis: deps.redis,
    nameSpace: `${deps.config.keyPrefix ?? 'scgraph:'}rl:`,
    // Keyed by the key's hash when one is presented (auth has vetted it by now), else by IP.
    keyGenerator: (request) => {
      const key = presentedKey(request.headers);
      return key && request.principal ? `key:${hashKey(key)}` : `ip:${request.ip}`;
    },
    allowList: (request) => {
      const url = request.url;
      return url === '/health' || url.startsWith('/health/') || url === '/metrics';
    },
    errorResponseBuilder: (_request, context) => {
      const error = new Error(`rate limit exceeded: retry in ${context.after}`) as Error & {
        statusCode: number;
        code: string;
      };
      error.statusCode = context.statusCode;
      error.code = 'rate-limited';
      return error;
    },
  });
  await app.register(multipart, { throwFileSizeLimit: true });

  await app.register(healthRoutes(ctx));
  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(datasetRoutes(ctx));
      await api.register(fileRoutes(ctx));
      await api.register(uploadRoutes(ctx));
      await api.register(jobRoutes(ctx));
    },
    { prefix: '/api/v1' },
  );

  app.addHook('onClose', async () => {
    const { retryable } = await ctx.runner.close(deps.config.shutdownTimeoutMs ?? 30_000);
    if (retryable) app.log.warn({ retryable }, 'unfinished jobs marked retryable');
  });

  await app.ready();
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    hub: AppContext;
  }
}
