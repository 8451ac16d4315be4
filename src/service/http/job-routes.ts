/**
 * Job status and its server-sent-event stream. The stream reads the job from
 * the catalog (so it works on any instance) and is woken early by the local
 * runner when the job runs here.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ScgraphError } from '../../errors.ts';
import type { JobRecord } from '../contracts.ts';
import type { AppContext } from './context.ts';

const POLL_MS = 1000;
const KEEPALIVE_EVERY = 15;
const FINAL: Record<string, 'done' | 'failed'> = {
  succeeded: 'done',
  failed: 'failed',
  retryable: 'failed',
};

const jobParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' } },
} as const;

export function jobRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    // Open event streams, ended on shutdown so they do not hold the server open.
    const streams = new Set<PassThrough>();
    app.addHook('preClose', async () => {
      for (const stream of streams) stream.end();
    });

    const load = async (id: string): Promise<JobRecord> => {
      const job = await ctx.catalog.getJob(id);
      if (!job) throw new ScgraphError('not-found', `no job '${id}'`, { details: { job: id } });
      return job;
    };

    app.get(
      '/jobs/:id',
      {
        schema: {
          summary: 'A curation job: state, progress per step, error or result',
          tags: ['curation'],
          params: jobParams,
          response: {
            200: { type: 'object', additionalProperties: true },
            404: { $ref: 'Error#' },
          },
        },
      },
      async (request) => load((request.params as { id: string }).id),
    );

    app.get(
      '/jobs/:id/events',
      {
        schema: {
          summary: 'Server-sent events: `progress` per step, then `done` or `failed`',
          tags: ['curation'],
          params: jobParams,
          produces: ['text/event-stream'],
          response: { 404: { $ref: 'Error#' } },
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        let job = await load(id);
        const stream = new PassThrough();
        streams.add(stream);
        let closed = false;
        const finish = () => {
          closed = true;
          streams.delete(stream);
          ctx.runner.events.emit(`job:${id}`);
        };
        request.raw.on('close', finish);
        stream.on('close', finish);

        const send = (event: string, data: unknown) => {
          if (!closed) stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        const wake = () =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(done, POLL_MS);
            function done() {
              clearTimeout(timer);
              ctx.runner.events.off(`job:${id}`, done);
              resolve();
            }
            ctx.runner.events.on(`job:${id}`, done);
          });

        (async () => {
          const sent: string[] = [];
          let state = '';
          for (let tick = 0; !closed; tick++) {
            if (job.state !== state) {
              state = job.state;
              send('state', { state });
            }
            job.progress.forEach((p, i) => {
              const text = JSON.stringify(p);
              if (sent[i] !== text) {
                sent[i] = text;
                send('progress', p);
              }
            });
            const final = FINAL[job.state];
            if (final) {
              send(final, { state: job.state, error: job.error, result: job.result });
              break;
            }
            if (tick % KEEPALIVE_EVERY === KEEPALIVE_EVERY - 1 && !closed)
              stream.write(': keepalive\n\n');
            await wake();
            if (!closed) job = await load(id);
          }
        })()
          .catch((err) => {
            request.log.warn({ err }, 'event stream failed');
            send('error', { message: 'event stream interrupted' });
          })
          .finally(() => stream.end());

        return reply
          .header('content-type', 'text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache')
          .header('x-accel-buffering', 'no')
          .send(stream);
      },
    );
  };
}
