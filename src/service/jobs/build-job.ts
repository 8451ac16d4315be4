/**
 * The curation job: build a package from an uploaded file, store every file
 * through the ObjectStore, re-read each stored object to verify its size and
 * sha256, and only then publish the version. Any failure publishes nothing,
 * removes the objects this job created, and leaves the reason on the job.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { isScgraphError, ScgraphError } from '../../errors.ts';
import type { Cache, Catalog, FileRecord, ObjectStore } from '../contracts.ts';
import type { Metrics } from '../metrics.ts';
import type { JobBody } from './job-runner.ts';
import { type DatasetMetadata, versionInput } from './version-input.ts';

/** The builder's signature (src/build.ts buildPackage), injectable for tests. */
export type BuildFn = (
  input: string,
  outDir: string,
  options: Record<string, unknown>,
  hooks?: {
    onProgress?(e: { step: string; fraction: number; message?: string }): void;
    signal?: AbortSignal;
  },
) => Promise<{ manifest: Record<string, unknown>; dir: string }>;

export interface BuildJobInput {
  /** The uploaded file; the job deletes `workDir` (which holds it) when done. */
  uploadPath: string;
  workDir: string;
  dataset: string;
  metadata: DatasetMetadata;
  /** How messages name the input (the uploaded file's own name); default its base name. */
  displayName?: string;
  /** Build parameters, already validated (name is set from `dataset`). */
  options: Record<string, unknown>;
}

export interface BuildJobDeps {
  catalog: Catalog;
  store: ObjectStore;
  cache: Cache;
  metrics: Metrics;
  build: BuildFn;
  /** Cache prefix dropped after a publish. */
  cachePrefix: string;
}

const FORMATS: Record<string, { format: string; contentType: string }> = {
  '.npz': { format: 'npz', contentType: 'application/octet-stream' },
  '.h5ad': { format: 'h5ad', contentType: 'application/x-hdf5' },
  '.json': { format: 'json', contentType: 'application/json' },
};

/** The job body that turns one upload into a published version. */
export function buildJob(deps: BuildJobDeps, input: BuildJobInput): JobBody {
  return async ({ progress, signal, log }) => {
    const started = process.hrtime.bigint();
    const created: string[] = [];
    let outcome = 'failed';
    try {
      const outDir = join(input.workDir, 'package');
      const built = await deps
        .build(
          input.uploadPath,
          outDir,
          { ...input.options, name: input.dataset },
          { onProgress: (e) => progress(e.step, e.fraction, e.message), signal },
        )
        .catch((error: unknown) => {
          throw withoutServerPaths(error, input);
        });

      const names = (await readdir(built.dir)).sort();
      const files: FileRecord[] = [];
      for (const [i, name] of names.entries()) {
        signal.throwIfAborted();
        progress('store', i / names.length, name);
        const path = join(built.dir, name);
        const { bytes, sha256 } = await digestStream(createReadStream(path));
        const kind = FORMATS[name.slice(name.lastIndexOf('.'))] ?? {
          format: 'binary',
          contentType: 'application/octet-stream',
        };
        // Content-addressed keys: a version's objects never change once published.
        const storageKey = `datasets/${input.dataset}/${sha256}/${name}`;
        const existed = await deps.store.head(storageKey);
        await deps.store.putFile(storageKey, path, { sha256, contentType: kind.contentType });
        if (!existed) created.push(storageKey);
        files.push({ name, format: kind.format, bytes, sha256, storageKey });
      }
      progress('store', 1);

      for (const [i, file] of files.entries()) {
        progress('verify', i / files.length, file.name);
        const stored = await digestStream(await deps.store.get(file.storageKey));
        if (stored.bytes !== file.bytes || stored.sha256 !== file.sha256) {
          throw new ScgraphError('integrity', 'stored object differs from the built file', {
            file: file.name,
            expected: `${file.bytes} bytes, sha256 ${file.sha256}`,
            found: `${stored.bytes} bytes, sha256 ${stored.sha256}`,
          });
        }
      }
      progress('verify', 1);

      signal.throwIfAborted();
      progress('publish', 0);
      const version = await deps.catalog.publishVersion(
        versionInput(input.dataset, built.manifest, input.metadata, files),
      );
      progress('publish', 1);
      created.length = 0; // published: the objects now belong to the version
      await deps.cache
        .deletePrefix(deps.cachePrefix)
        .catch((err) => log.warn({ err }, 'cache invalidation failed'));
      outcome = 'succeeded';
      return {
        dataset: input.dataset,
        version: version.version,
        files: files.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 })),
        // What the build warned about, as its manifest records it.
        warnings: Array.isArray(built.manifest.warnings) ? built.manifest.warnings : [],
      };
    } finally {
      for (const key of created) {
        await deps.store.delete(key).catch((err) => log.warn({ err, key }, 'cleanup failed'));
      }
      await rm(input.workDir, { recursive: true, force: true });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.processing.observe({ outcome }, seconds);
    }
  };
}

/** Size and sha256 (hex) of a byte stream. */
export async function digestStream(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * A build error as a curator may see it: the upload's own file name instead
 * of the server path it was stored under, and no work-folder paths.
 */
function withoutServerPaths(error: unknown, input: BuildJobInput): unknown {
  if (!isScgraphError(error)) return error;
  const display = input.displayName ?? basename(input.uploadPath);
  error.message = error.message
    .split(input.uploadPath)
    .join(display)
    .split(`${input.workDir}/`)
    .join('');
  return error;
}
