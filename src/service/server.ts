/**
 * Runs the hub on the configured backends: opens the database, applies
 * migrations, listens, and shuts down gracefully on SIGTERM/SIGINT (stop
 * accepting, finish in-flight requests, finish or mark retryable the running
 * job, then close pools and clients).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ScgraphError } from '../errors.ts';
import { createApp } from './app.ts';
import { createCache, redisClientOf } from './cache/create-cache.ts';
import { createCatalog } from './catalog/create-catalog.ts';
import { redactedConfig, type ServiceConfig } from './config.ts';
import type { Cache, Catalog } from './contracts.ts';
import { openSql } from './db/open-sql.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { seedBundled } from './seed.ts';
import { createObjectStore } from './storage/create-object-store.ts';

export interface RunningServer {
  app: FastifyInstance;
  catalog: Catalog;
  cache: Cache;
  /** The address it listens on, e.g. http://127.0.0.1:8000. */
  url: string;
  /** Graceful shutdown; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the hub. Installs SIGTERM/SIGINT handlers unless `handleSignals` is
 * false (tests). Shutdown waits up to `shutdownTimeoutMs` (default 30 s) for
 * a running job before marking it retryable.
 */
export async function startServer(
  config: ServiceConfig,
  options: {
    logger?: Logger;
    handleSignals?: boolean;
    shutdownTimeoutMs?: number;
    /** Build and publish the bundled datasets (catalog/bundled.json under `root`) in the background. */
    seed?: boolean | { file?: string; root?: string };
  } = {},
): Promise<RunningServer> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  logger.info({ config: redactedConfig(config) }, 'starting');
  const metrics = createMetrics();
  const sql = await openSql(config, {
    onQuery: metrics.onQuery,
    onError: (err) => logger.warn({ err }, 'database connection error'),
  });
  const catalog = createCatalog(sql);
  const opened: { close(): Promise<unknown> }[] = [catalog];
  try {
    const applied = await catalog.migrate();
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const store = await createObjectStore(config);
    const cache = createCache(config);
    opened.push(cache);
    const redis = redisClientOf(cache) ?? undefined;
    const app = await createApp({
      config: {
        ...config,
        databaseDriver: sql.driver,
        shutdownTimeoutMs: options.shutdownTimeoutMs,
      },
      catalog,
      store,
      cache,
      redis,
      logger,
      metrics,
      sql,
    });
    await app.listen({ host: config.host, port: config.port }).catch(async (error: unknown) => {
      await app.close().catch(() => {});
      throw listenError(error, config.host, config.port);
    });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        logger.info('shutting down');
        // app.close stops accepting, waits for in-flight requests and settles jobs (onClose).
        await app.close();
        for (const resource of opened.reverse()) {
          await resource.close().catch((err) => logger.warn({ err }, 'close failed'));
        }
        logger.info('stopped');
      })();
      return closing;
    };
    if (options.handleSignals !== false) {
      const onSignal = (signal: NodeJS.Signals) => {
        logger.info({ signal }, 'signal received');
        close().then(
          () => process.exit(0),
          (err) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    }
    logger.info({ url }, 'listening');
    if (options.seed) {
      const where = options.seed === true ? {} : options.seed;
      // Seeding runs behind the listener so /health answers at once.
      seedBundled(app.hub, app.log, where).catch((err) =>
        logger.error({ err }, 'seeding the bundled datasets failed'),
      );
    }
    return { app, catalog, cache, url, close };
  } catch (error) {
    for (const resource of opened.reverse()) await resource.close().catch(() => {});
    throw error;
  }
}

/** A port that cannot be taken, as one line naming it and PORT; anything else as it was. */
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new ScgraphError(
      'conflict',
      `port ${port} on ${host} is already in use (another hub?); set PORT to a free port`,
      { field: 'PORT' },
    );
  }
  if (code === 'EACCES') {
    return new ScgraphError(
      'forbidden',
      `port ${port} on ${host} needs privileges this process lacks; set PORT above 1023`,
      { field: 'PORT' },
    );
  }
  return error;
}
