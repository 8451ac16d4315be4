/**
 * Publishes the bundled datasets (catalog/bundled.json) at start, through the
 * same build job as a curator's upload, so they appear with progress at
 * /api/v1/jobs/{id} and are published only when fully stored and verified.
 * A dataset already published from the same source bytes, parameters and
 * tool version is left alone, so restarts are cheap.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { recordedParameters, resolveBuildOptions, TOOL_VERSION } from '../build.ts';
import { ScgraphError } from '../errors.ts';
import { canonicalJson } from '../package/manifest.ts';
import { hashSource } from '../package/source-hash.ts';
import type { JobRecord } from './contracts.ts';
import type { AppContext } from './http/context.ts';
import { CACHE_PREFIX } from './http/response-cache.ts';
import { buildJob } from './jobs/build-job.ts';

const bundledSchema = z.object({
  datasets: z.array(
    z.object({
      name: z.string(),
      input: z.string(),
      build: z.record(z.string(), z.unknown()).default({}),
      title: z.string(),
      description: z.string(),
      organism: z.string(),
      tissue: z.string(),
      modality: z.string(),
      tasks: z.array(z.string()).optional(),
      license: z.string(),
      citation: z.string(),
      doi: z.string().nullable().default(null),
    }),
  ),
});

export type BundledCatalog = z.infer<typeof bundledSchema>;

/** Reads and checks the bundled catalog file; paths inside it are relative to `root`. */
export async function readBundledCatalog(file: string): Promise<BundledCatalog> {
  const text = await readFile(file, 'utf8');
  const parsed = bundledSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScgraphError('invalid-input', issue.message, { file, field: issue.path.join('.') });
  }
  return parsed.data;
}

/**
 * Queues a build job for every bundled dataset that is missing or stale.
 * Returns the jobs queued (they run one at a time in the background).
 */
export async function seedBundled(
  ctx: AppContext,
  log: FastifyBaseLogger,
  options: { file?: string; root?: string } = {},
): Promise<JobRecord[]> {
  const root = resolve(options.root ?? '.');
  const file = options.file ?? join(root, 'catalog', 'bundled.json');
  const bundled = await readBundledCatalog(file);
  const jobs: JobRecord[] = [];
  for (const entry of bundled.datasets) {
    const input = resolve(root, entry.input);
    const build = { ...entry.build } as Record<string, unknown>;
    if (typeof build.cellMetadata === 'string')
      build.cellMetadata = resolve(root, build.cellMetadata);
    const params = resolveBuildOptions({ ...build, name: entry.name });
    if (await isCurrent(ctx, entry.name, input, params)) {
      log.info({ dataset: entry.name }, 'bundled dataset is current');
      continue;
    }
    const workDir = await mkdtemp(join(ctx.config.dataDir, 'seed-'));
    const { name: _name, input: _input, build: _build, ...metadata } = entry;
    const job = await ctx.runner.submit(
      'seed',
      { dataset: entry.name, source: entry.input, options: build },
      // The input stays where it is; the job deletes only its own work folder.
      buildJob(
        { ...ctx, cachePrefix: CACHE_PREFIX },
        {
          uploadPath: input,
          displayName: entry.input,
          workDir,
          dataset: entry.name,
          metadata,
          options: build,
        },
      ),
      log,
    );
    log.info({ dataset: entry.name, jobId: job.id }, 'bundled dataset queued');
    jobs.push(job);
  }
  return jobs;
}

async function isCurrent(
  ctx: AppContext,
  name: string,
  input: string,
  params: ReturnType<typeof resolveBuildOptions>,
): Promise<boolean> {
  const existing = await ctx.catalog.getDataset(name);
  if (existing?.latest.status !== 'live') return false;
  const manifest = existing.latest.manifest as {
    toolVersion?: string;
    parameters?: Record<string, unknown>;
  };
  if (manifest.toolVersion !== TOOL_VERSION) return false;
  // Compare with keys sorted at every depth: jsonb does not keep the order it was given.
  const recorded = canonicalJson(await recordedParameters(params));
  if (canonicalJson(manifest.parameters ?? {}) !== recorded) return false;
  const source = await hashSource(input);
  return source.sha256 === existing.latest.sourceSha256;
}
