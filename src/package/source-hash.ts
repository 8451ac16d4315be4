import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { hashFile } from './manifest.ts';

/** What a manifest records of its input. */
export interface SourceIdentity {
  fileName: string;
  bytes: number;
  sha256: string;
}

/**
 * Identity of a build input. A single file hashes as itself; a folder
 * (10x MTX, Visium) hashes the sorted lines "relative-path sha256" of every
 * file below it, so the result does not depend on directory listing order.
 */
export async function hashSource(
  path: string,
  hash: (file: string) => Promise<{ bytes: number; sha256: string }> = hashFile,
): Promise<SourceIdentity> {
  const info = await stat(path);
  if (!info.isDirectory()) return { fileName: basename(path), ...(await hash(path)) };

  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  await walk(path);
  const lines: string[] = [];
  let bytes = 0;
  for (const file of files.map((f) => relative(path, f)).sort()) {
    const h = await hash(join(path, file));
    bytes += h.bytes;
    lines.push(`${file} ${h.sha256}\n`);
  }
  const sha256 = createHash('sha256').update(lines.join('')).digest('hex');
  return { fileName: `${basename(path)}/`, bytes, sha256 };
}

// CommonJS run with eval, so the worker needs no TypeScript loader.
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { createReadStream } = require('node:fs');
const hash = createHash('sha256');
let bytes = 0;
createReadStream(workerData)
  .on('data', (chunk) => { hash.update(chunk); bytes += chunk.length; })
  .on('end', () => parentPort.postMessage({ bytes, sha256: hash.digest('hex') }))
  .on('error', (error) => parentPort.postMessage({ error: error.message }));
`;

/**
 * Starts hashing a build input on a worker thread, so a large file is hashed
 * while the (single-threaded) pipeline runs. `cancel` stops it, e.g. when the
 * build fails first; the result then rejects and is ignored.
 */
export function startSourceHash(path: string): {
  result: Promise<SourceIdentity>;
  cancel(): void;
} {
  let current: Worker | undefined;
  let cancelled = false;
  const hashInWorker = (file: string) =>
    new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
      if (cancelled) return reject(new Error('source hash cancelled'));
      const worker = new Worker(HASH_WORKER, { eval: true, workerData: file, execArgv: [] });
      current = worker;
      worker.once('message', (m: { bytes: number; sha256: string; error?: string }) => {
        void worker.terminate();
        if (m.error) reject(new Error(m.error));
        else resolve(m);
      });
      worker.once('error', reject);
      worker.once('exit', () => reject(new Error('source hash stopped')));
    });
  const result = hashSource(path, hashInWorker);
  // The caller may never await it (a failed build); its rejection is expected then.
  result.catch(() => {});
  return {
    result,
    cancel() {
      cancelled = true;
      void current?.terminate();
    },
  };
}
