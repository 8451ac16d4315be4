/**
 * Runs curation jobs inside the serving process, one at a time (the build
 * is CPU-bound and the machines are small). Job state lives in the catalog,
 * so any instance can answer GET /jobs/{id}; the local emitter only wakes
 * this instance's event streams early.
 * Not yet: retryable jobs are not re-run at start (the upload is deleted with
 * the job's work folder); a curator uploads again.
 */
import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { isScgraphError } from '../../errors.ts';
import type { Catalog, JobRecord } from '../contracts.ts';

export type JobProgress = JobRecord['progress'][number];

/** What a job body gets: progress reporting, cancellation and a logger bound to the job. */
export interface JobContext {
  job: JobRecord;
  signal: AbortSignal;
  log: Logger;
  progress(step: string, fraction: number, message?: string): void;
}

export type JobBody = (context: JobContext) => Promise<Record<string, unknown>>;

export interface JobRunner {
  /** Records a queued job and runs `body` when its turn comes. */
  submit(
    kind: string,
    params: Record<string, unknown>,
    body: JobBody,
    log: Logger,
  ): Promise<JobRecord>;
  /** Emits `job:<id>` whenever a local job's record changes. */
  readonly events: EventEmitter;
  /** Jobs of this instance not yet finished. */
  pending(): number;
  /**
   * Stops taking jobs, waits up to `timeoutMs` for the running one, then
   * aborts it and marks this instance's unfinished jobs retryable.
   */
  close(timeoutMs: number): Promise<{ retryable: number }>;
}

const PROGRESS_WRITE_MS = 250;

/** Creates a runner that executes one job at a time, in submission order. */
export function createJobRunner(catalog: Catalog, log: Logger): JobRunner {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const queue: { job: JobRecord; body: JobBody; log: Logger }[] = [];
  const abort = new AbortController();
  let running: { id: string; done: Promise<void> } | null = null;
  let closing = false;

  async function execute(job: JobRecord, body: JobBody, jobLog: Logger): Promise<void> {
    const progress: JobProgress[] = [];
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const save = (patch: Parameters<Catalog['updateJob']>[1]) => {
      // Writes are chained so a slow progress write never lands after the final state.
      writing = writing
        .then(() => catalog.updateJob(job.id, patch))
        .then(() => events.emit(`job:${job.id}`))
        .catch((err) => jobLog.warn({ err }, 'job update failed'));
      return writing;
    };
    await save({ state: 'running' });
    const context: JobContext = {
      job,
      signal: abort.signal,
      log: jobLog,
      progress(step, fraction, message) {
        const entry: JobProgress = { step, fraction, ...(message ? { message } : {}) };
        const last = progress[progress.length - 1];
        const newStep = !last || last.step !== step;
        if (newStep) progress.push(entry);
        else progress[progress.length - 1] = entry;
        const now = Date.now();
        if (newStep || fraction >= 1 || now - lastWrite >= PROGRESS_WRITE_MS) {
          lastWrite = now;
          void save({ progress: progress.map((p) => ({ ...p })) });
        }
      },
    };
    try {
      const result = await body(context);
      await save({ state: 'succeeded', result, progress });
      jobLog.info('job succeeded');
    } catch (error) {
      const aborted = abort.signal.aborted;
      // Only our own errors are safe to show; anything else is logged and summarized.
      const message = isScgraphError(error) ? error.message : 'internal error';
      // jobLog carries the job id already.
      if (!isScgraphError(error)) jobLog.error({ err: error }, 'job crashed');
      else jobLog.info({ reason: message }, 'job failed');
      await save(
        aborted
          ? { state: 'retryable', error: 'interrupted by shutdown', progress }
          : { state: 'failed', error: message, progress },
      );
    }
  }

  function pump(): void {
    if (running || closing) return;
    const next = queue.shift();
    if (!next) return;
    const done = execute(next.job, next.body, next.log).finally(() => {
      running = null;
      pump();
    });
    running = { id: next.job.id, done };
  }

  return {
    events,
    async submit(kind, params, body, jobLog) {
      const job = await catalog.createJob(kind, params);
      queue.push({ job, body, log: jobLog.child({ jobId: job.id }) });
      setImmediate(pump);
      return job;
    },
    pending: () => queue.length + (running ? 1 : 0),
    async close(timeoutMs) {
      closing = true;
      let interrupted = 0;
      if (running) {
        const current = running.done;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          current.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), timeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          log.warn({ jobId: running?.id }, 'job still running at shutdown; aborting it');
          abort.abort();
          await current;
          interrupted = 1;
        }
      }
      // Marked one by one: markUnfinishedRetryable would also take other instances' jobs.
      const left = queue.splice(0);
      for (const { job } of left) {
        await catalog.updateJob(job.id, {
          state: 'retryable',
          error: 'not started before shutdown',
        });
      }
      return { retryable: left.length + interrupted };
    },
  };
}
