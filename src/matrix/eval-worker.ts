import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';

/**
 * A worker running `source` (CommonJS, evaluated, so it needs no TypeScript
 * loader) with `workerData` and the port it reports errors on. Its failures
 * come back through the caller's shared state; the 'error' handler only keeps
 * an error event from crashing the process, and the worker does not keep the
 * process alive.
 */
export function startEvalWorker(
  source: string,
  workerData: Record<string, unknown>,
  errors: MessagePort,
): Worker {
  const worker = new Worker(source, {
    eval: true,
    workerData: { ...workerData, errors },
    transferList: [errors],
    execArgv: [],
  });
  worker.on('error', () => {});
  worker.unref();
  return worker;
}
