/**
 * File downloads, streamed from the ObjectStore: Content-Length, a strong
 * ETag (the sha256), single byte ranges, and the digest headers a client can
 * check without trusting the transport.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScgraphError } from '../../errors.ts';
import type { FileRecord, VersionRecord } from '../contracts.ts';
import type { AppContext } from './context.ts';
import { DATASET_NAME } from './dataset-routes.ts';

const FILE_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  h5ad: 'application/x-hdf5',
  npz: 'application/octet-stream',
};

/** A parsed Range header: one inclusive byte range, 'unsatisfiable', or null (serve it all). */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header.trim());
  // Multiple ranges and other units are allowed to be ignored (RFC 9110 §14.2).
  if (!match) return null;
  const [, first, last] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return null;
  return { start, end };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function fileRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    const fileParams = (withVersion: boolean) => ({
      type: 'object',
      required: withVersion ? ['name', 'v', 'file'] : ['name', 'file'],
      properties: {
        name: { type: 'string', pattern: DATASET_NAME },
        ...(withVersion ? { v: { type: 'integer', minimum: 1 } } : {}),
        file: { type: 'string', pattern: FILE_NAME },
      },
    });
    const responses = {
      200: { description: 'the file', type: 'string', format: 'binary' },
      206: { description: 'the requested byte range', type: 'string', format: 'binary' },
      304: { description: 'not modified (If-None-Match)', type: 'null' },
      404: { $ref: 'Error#' },
      410: { $ref: 'Error#' },
      416: { $ref: 'Error#' },
    };

    app.get(
      '/datasets/:name/versions/:v/files/:file',
      {
        schema: {
          summary: "Download one of a version's files",
          tags: ['downloads'],
          params: fileParams(true),
          response: responses,
        },
      },
      async (request, reply) => {
        const { name, v, file } = request.params as { name: string; v: number; file: string };
        const version = await ctx.catalog.getVersion(name, v);
        if (!version) {
          throw new ScgraphError('not-found', `dataset '${name}' has no version ${v}`, {
            details: { dataset: name, version: v },
          });
        }
        return serveFile(ctx, request, reply, version, file);
      },
    );

    app.get(
      '/datasets/:name/files/:file',
      {
        schema: {
          summary: "Download one of the latest live version's files",
          tags: ['downloads'],
          params: fileParams(false),
          response: responses,
        },
      },
      async (request, reply) => {
        const { name, file } = request.params as { name: string; file: string };
        const dataset = await ctx.catalog.getDataset(name);
        if (!dataset) {
          throw new ScgraphError('not-found', `no dataset '${name}'`, {
            details: { dataset: name },
          });
        }
        return serveFile(ctx, request, reply, dataset.latest, file);
      },
    );
  };
}

async function serveFile(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  version: VersionRecord,
  fileName: string,
) {
  if (version.status === 'retracted') {
    throw new ScgraphError(
      'gone',
      `version ${version.version} of '${version.dataset}' was retracted: ${version.retractedReason ?? 'no reason given'}`,
      {
        details: {
          dataset: version.dataset,
          version: version.version,
          reason: version.retractedReason,
        },
      },
    );
  }
  const file: FileRecord | undefined = version.files.find((f) => f.name === fileName);
  if (!file) {
    throw new ScgraphError('not-found', `version ${version.version} has no file '${fileName}'`, {
      details: { files: version.files.map((f) => f.name) },
    });
  }

  const etag = `"${file.sha256}"`;
  const digest = Buffer.from(file.sha256, 'hex').toString('base64');
  reply
    .header('etag', etag)
    .header('accept-ranges', 'bytes')
    .header('cache-control', 'public, max-age=31536000, immutable')
    .header('repr-digest', `sha-256=:${digest}:`)
    .header('digest', `SHA-256=${digest}`)
    .header('content-disposition', `attachment; filename="${file.name}"`);

  if (etagMatches(request.headers['if-none-match'], etag)) {
    return reply.code(304).send();
  }

  const range = parseRange(request.headers.range, file.bytes);
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${file.bytes}`);
    return reply.code(416).send({
      error: 'range-not-satisfiable',
      message: `range '${request.headers.range}' is outside the file's ${file.bytes} bytes`,
      details: { bytes: file.bytes },
    });
  }

  reply.type(CONTENT_TYPES[file.format] ?? 'application/octet-stream');
  if (request.method === 'HEAD') {
    // Headers only: opening the object just to discard it would cost a read per probe.
    const length = range ? range.end - range.start + 1 : file.bytes;
    if (range)
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.bytes}`);
    return reply.header('content-length', length).send(Readable.from([]));
  }
  if (range) {
    const body = await ctx.store.get(file.storageKey, range);
    reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${file.bytes}`)
      .header('content-length', range.end - range.start + 1);
    return reply.send(body);
  }

  const body = await ctx.store.get(file.storageKey);
  // Whole-file GETs count as downloads; range requests are resumptions or probes.
  if (request.method === 'GET') {
    ctx.metrics.downloads.inc({ dataset: version.dataset });
    await ctx.catalog
      .recordDownload(version.dataset)
      .catch((err) => request.log.warn({ err }, 'download counter update failed'));
  }
  reply.header('content-length', file.bytes);
  return reply.send(body);
}
