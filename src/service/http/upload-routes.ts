/**
 * POST /datasets: a multipart upload (file + metadata + build parameters)
 * streamed to a temporary file under DATA_DIR, never held in memory whole.
 * The build runs as a job; the answer is 202 with the job's location.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { resolveBuildOptions } from '../../build/options.ts';
import { invalidInput, invalidParameter, isScgraphError, ScgraphError } from '../../errors.ts';
import { buildJob } from '../jobs/build-job.ts';
import type { DatasetMetadata } from '../jobs/version-input.ts';
import type { AppContext } from './context.ts';
import { DATASET_NAME } from './dataset-routes.ts';
import { CACHE_PREFIX } from './response-cache.ts';

const text = (max: number) => z.string().trim().max(max);
const metadataSchema = z.object({
  name: z.string().regex(new RegExp(DATASET_NAME), 'lower-case letters, digits, . _ - (max 64)'),
  title: text(300).min(1),
  description: text(20_000).default(''),
  organism: text(200).min(1),
  tissue: text(200).min(1),
  modality: text(200).min(1),
  license: text(200).min(1),
  citation: text(2000).default(''),
  doi: text(300).optional(),
  /** Comma-separated; overrides the tasks the builder infers. */
  tasks: text(500).optional(),
});
const METADATA_FIELDS = new Set(Object.keys(metadataSchema.shape));

/** Build options that name server paths or overwrite things are not for remote callers. */
const FORBIDDEN_OPTIONS = new Set(['cellMetadata', 'overwrite', 'name']);
/** Build options whose values are always text, even when they look like numbers. */
const TEXT_OPTIONS = new Set([
  'label',
  'format',
  'matrix',
  'genome',
  'splitColumn',
  'useRep',
  'useGraph',
]);

const UPLOAD_NAME = /[^A-Za-z0-9._-]+/g;

interface ParsedUpload {
  workDir: string;
  uploadPath: string;
  fields: Record<string, string>;
}

export function uploadRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    app.post(
      '/datasets',
      {
        config: { role: 'curator' },
        schema: {
          summary: 'Upload a file and build a new dataset version (curator)',
          description:
            'multipart/form-data: one `file` part plus fields name, title, description, organism, tissue, modality, license, citation, doi, and build parameters (label, format, k, nComponents, nTopGenes, split, splitColumn, seed, ... or `params` as a JSON object). Answers 202 with the job; follow it at /api/v1/jobs/{id}.',
          tags: ['curation'],
          consumes: ['multipart/form-data'],
          security: [{ bearer: [] }, { apiKey: [] }],
          response: {
            202: {
              type: 'object',
              properties: {
                jobId: { type: 'string' },
                state: { type: 'string' },
                location: { type: 'string' },
                events: { type: 'string' },
              },
            },
            400: { $ref: 'Error#' },
            401: { $ref: 'Error#' },
            403: { $ref: 'Error#' },
            413: { $ref: 'Error#' },
          },
        },
      },
      async (request, reply) => {
        const declared = Number(request.headers['content-length']);
        // Refuse early when the body alone is certainly over the limit (plus form overhead).
        if (Number.isFinite(declared) && declared > ctx.config.maxUploadBytes + 1024 * 1024) {
          throw tooLarge(ctx.config.maxUploadBytes);
        }
        if (!request.isMultipart()) {
          throw invalidInput('request body', 'expected multipart/form-data with a file part', {
            found: String(request.headers['content-type'] ?? 'no content type'),
          });
        }
        const upload = await receive(ctx, request);
        try {
          const { metadata, options } = validateFields(upload.fields);
          const job = await ctx.runner.submit(
            'build',
            { dataset: metadata.name, source: upload.fields.__filename, options },
            buildJob(
              { ...ctx, cachePrefix: CACHE_PREFIX },
              {
                uploadPath: upload.uploadPath,
                displayName: upload.fields.__filename,
                workDir: upload.workDir,
                dataset: metadata.name,
                metadata: toMetadata(metadata),
                options,
              },
            ),
            request.log,
          );
          const location = `/api/v1/jobs/${job.id}`;
          request.log.info({ jobId: job.id, dataset: metadata.name }, 'build job queued');
          return reply
            .code(202)
            .header('location', location)
            .send({ jobId: job.id, state: job.state, location, events: `${location}/events` });
        } catch (error) {
          await rm(upload.workDir, { recursive: true, force: true });
          throw error;
        }
      },
    );
  };
}

function tooLarge(limit: number): ScgraphError {
  return new ScgraphError('too-large', `upload exceeds the limit of ${limit} bytes`, {
    details: { maxUploadBytes: limit },
  });
}

/** Streams the parts to disk; on any failure the work folder is gone before the error leaves. */
async function receive(ctx: AppContext, request: FastifyRequest): Promise<ParsedUpload> {
  const workDir = join(ctx.config.dataDir, 'uploads', randomUUID());
  await mkdir(workDir, { recursive: true });
  const fields: Record<string, string> = {};
  let uploadPath: string | null = null;
  try {
    const parts = request.parts({
      limits: {
        fileSize: ctx.config.maxUploadBytes,
        files: 1,
        fields: 64,
        fieldSize: 64 * 1024,
        parts: 66,
      },
    });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw invalidParameter(part.fieldname, "the upload's file part must be named 'file'");
        }
        const safe = (part.filename || 'upload').replace(UPLOAD_NAME, '_').slice(-100);
        uploadPath = join(workDir, safe.startsWith('.') ? `upload${safe}` : safe);
        fields.__filename = part.filename;
        await pipeline(part.file, createWriteStream(uploadPath));
        if (part.file.truncated) throw tooLarge(ctx.config.maxUploadBytes);
      } else if (part.fieldname !== '__filename') {
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413) throw tooLarge(ctx.config.maxUploadBytes);
    if (isScgraphError(error)) throw error;
    // busboy's own words ("Unexpected end of form", "Malformed part header") say what broke.
    throw invalidInput('request body', `malformed multipart body: ${(error as Error).message}`);
  }
  if (!uploadPath) {
    await rm(workDir, { recursive: true, force: true });
    throw invalidParameter('file', 'a file part is required');
  }
  return { workDir, uploadPath, fields };
}

function validateFields(fields: Record<string, string>) {
  const metaInput: Record<string, string> = {};
  let options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === '__filename') continue;
    if (METADATA_FIELDS.has(key)) metaInput[key] = value;
    else if (key === 'params') {
      try {
        const parsed: unknown = JSON.parse(value);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error();
        options = { ...(parsed as Record<string, unknown>), ...options };
      } catch {
        throw invalidParameter('params', 'must be a JSON object of build parameters');
      }
    } else options[key] = TEXT_OPTIONS.has(key) ? value : parseScalar(value);
  }
  for (const key of Object.keys(options)) {
    if (FORBIDDEN_OPTIONS.has(key)) throw invalidParameter(key, 'cannot be set through the API');
  }
  const meta = metadataSchema.safeParse(metaInput);
  if (!meta.success) {
    // Every problem at once, so a client fixes its request in one round.
    const issues = meta.error.issues.map((i) => ({
      field: String(i.path[0] ?? 'fields'),
      message: i.message,
    }));
    const message =
      issues.length === 1
        ? issues[0]!.message
        : `${issues.length} fields are missing or invalid: ${issues.map((i) => `${i.field} (${i.message})`).join('; ')}`;
    throw invalidParameter(issues[0]!.field, message, { details: { issues } });
  }
  // Validates now so a bad parameter is a 400 here, not a failed job later.
  resolveBuildOptions({ ...options, name: meta.data.name } as Parameters<
    typeof resolveBuildOptions
  >[0]);
  return { metadata: meta.data, options };
}

function parseScalar(value: string): unknown {
  const v = value.trim();
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  if (v.startsWith('[')) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

function toMetadata(m: z.infer<typeof metadataSchema>): DatasetMetadata {
  return {
    title: m.title,
    description: m.description,
    organism: m.organism,
    tissue: m.tissue,
    modality: m.modality,
    license: m.license,
    citation: m.citation,
    doi: m.doi || null,
    ...(m.tasks
      ? {
          tasks: m.tasks
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        }
      : {}),
  };
}
