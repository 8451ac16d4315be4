/**
 * Liveness, readiness (each dependency pinged, with its latency) and a
 * detailed status page, plus the Prometheus scrape endpoint.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from './context.ts';

const PING_TIMEOUT_MS = 3000;

const packageVersion: string = (await import('../../../package.json', { with: { type: 'json' } }))
  .default.version;

interface Check {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

async function check(ping: () => Promise<void>): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ping(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer in ${PING_TIMEOUT_MS} ms`)),
          PING_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, latencyMs: round(performance.now() - started) };
  } catch (error) {
    const message = (error as Error).message || (error as Error).name || 'unreachable';
    return { ok: false, latencyMs: round(performance.now() - started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export function healthRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.get('/health', { schema: { summary: 'Liveness', tags: ['operations'] } }, async () => ({
      status: 'ok',
    }));

    app.get(
      '/health/ready',
      {
        schema: {
          summary: 'Readiness: database, storage and cache reachable',
          tags: ['operations'],
        },
      },
      async (request, reply) => {
        const [database, storage, cache] = await Promise.all([
          check(() => ctx.catalog.ping()),
          check(() => ctx.store.ping()),
          check(() => ctx.cache.ping()),
        ]);
        const checks = { database, storage, cache };
        const failing = Object.entries(checks)
          .filter(([, c]) => !c.ok)
          .map(([name]) => name);
        if (failing.length === 0) return { status: 'ready', checks };
        request.log.warn({ checks }, 'not ready');
        return reply.code(503).send({
          error: 'unavailable',
          message: `not ready: ${failing.join(', ')} unavailable`,
          details: { failing, checks },
        });
      },
    );

    app.get(
      '/health/detailed',
      { schema: { summary: 'Versions, migrations, uptime, memory, counts', tags: ['operations'] } },
      async () => {
        const [migrations, counts] = await Promise.all([
          ctx.catalog.migrationState().catch((err: Error) => ({ error: err.message })),
          ctx.catalog.counts().catch((err: Error) => ({ error: err.message })),
        ]);
        const memory = process.memoryUsage();
        return {
          status: 'ok',
          version: packageVersion,
          node: process.version,
          uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
          memory: {
            rssBytes: memory.rss,
            heapUsedBytes: memory.heapUsed,
            heapTotalBytes: memory.heapTotal,
            externalBytes: memory.external,
          },
          migrations,
          datasets: counts,
          jobs: { pendingHere: ctx.runner.pending() },
          drivers: {
            database: ctx.sql?.driver ?? ctx.config.databaseDriver ?? 'unknown',
            storage: ctx.store.driver,
            cache: ctx.cache.driver,
            rateLimit: ctx.redis ? 'redis' : 'memory',
          },
        };
      },
    );

    app.get(
      '/metrics',
      { schema: { summary: 'Prometheus metrics', tags: ['operations'] } },
      async (_request, reply) => {
        const text = await ctx.metrics.registry.metrics();
        return reply.type(ctx.metrics.registry.contentType).send(text);
      },
    );
  };
}
