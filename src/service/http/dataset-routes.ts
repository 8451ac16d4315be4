/**
 * Catalog reads (list/search, dataset, versions, manifest) and retraction.
 * Reads are anonymous and cached briefly; retraction needs the admin role.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ScgraphError } from '../../errors.ts';
import type { SearchQuery, VersionRecord } from '../contracts.ts';
import type { AppContext } from './context.ts';
import { CACHE_PREFIX, cachedJson, cacheKey } from './response-cache.ts';

/** Same rule as the builder's --name: lower-case letters, digits, . _ - (max 64). */
export const DATASET_NAME = '^[a-z0-9][a-z0-9._-]{0,63}$';

export const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: DATASET_NAME } },
} as const;

export const versionParams = {
  type: 'object',
  required: ['name', 'v'],
  properties: {
    name: { type: 'string', pattern: DATASET_NAME },
    v: { type: 'integer', minimum: 1 },
  },
} as const;

const FACETS = ['organism', 'tissue', 'modality', 'task', 'graphKind', 'splitKind'] as const;
const RANGES = [
  'minCells',
  'maxCells',
  'minEdges',
  'maxEdges',
  'minMeanDegree',
  'maxMeanDegree',
  'minClasses',
  'maxClasses',
  'minHomophily',
  'maxHomophily',
] as const;

const stringList = {
  type: 'array',
  items: { type: 'string', maxLength: 200 },
  maxItems: 50,
  description: 'repeat the parameter or separate values with commas',
} as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 500, description: 'free text, ranked full-text search' },
    ...Object.fromEntries(FACETS.map((f) => [f, stringList])),
    ...Object.fromEntries(RANGES.map((r) => [r, { type: 'number' }])),
    sort: { type: 'string', enum: ['relevance', 'name', 'cells', 'edges', 'created', 'downloads'] },
    order: { type: 'string', enum: ['asc', 'desc'] },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    cursor: { type: 'string', maxLength: 1000 },
  },
} as const;

const anyObject = { type: 'object', additionalProperties: true } as const;
const errorRef = { $ref: 'Error#' } as const;

export function datasetRoutes(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    const ttlSeconds = ctx.config.cacheTtlSeconds ?? 30;
    const prefix = CACHE_PREFIX;
    const cached = (name: string, key: string, compute: () => Promise<unknown>) =>
      cachedJson(
        {
          cache: ctx.cache,
          metrics: ctx.metrics,
          ttlSeconds,
          onCacheError: (err) => app.log.warn({ err }, 'cache unavailable'),
        },
        name,
        key,
        compute,
      );
    const sendJson = (reply: FastifyReply, text: string) =>
      reply.type('application/json; charset=utf-8').send(text);

    app.get(
      '/datasets',
      {
        schema: {
          summary: 'Search and list datasets',
          tags: ['datasets'],
          querystring: listQuery,
          response: { 200: anyObject, 400: errorRef },
        },
      },
      async (request, reply) => {
        const query = normalizeSearch(request.query as Record<string, unknown>);
        const text = await cached('datasets', cacheKey(prefix, 'datasets', query), async () => {
          const result = await ctx.catalog.search(query);
          // List items stay small: the manifest is one request away (…/manifest).
          return {
            ...result,
            items: result.items.map(({ latest, ...item }) => {
              const { manifest: _manifest, ...version } = publicVersion(latest);
              return { ...item, latest: version };
            }),
          };
        });
        return sendJson(reply, text);
      },
    );

    app.get(
      '/datasets/:name',
      {
        schema: {
          summary: 'A dataset: its latest live version and its version list',
          tags: ['datasets'],
          params: nameParams,
          response: { 200: anyObject, 404: errorRef },
        },
      },
      async (request, reply) => {
        const { name } = request.params as { name: string };
        const text = await cached('dataset', cacheKey(prefix, 'dataset', { name }), async () => {
          const dataset = await ctx.catalog.getDataset(name);
          if (!dataset) throw notFound(name);
          const versions = await ctx.catalog.listVersions(name);
          return {
            ...dataset,
            latest: publicVersion(dataset.latest),
            versions: versions.map(versionSummary),
          };
        });
        return sendJson(reply, text);
      },
    );

    app.get(
      '/datasets/:name/versions',
      {
        schema: {
          summary: 'Every version of a dataset, retracted ones included',
          tags: ['datasets'],
          params: nameParams,
          response: { 200: anyObject, 404: errorRef },
        },
      },
      async (request) => {
        const { name } = request.params as { name: string };
        const versions = await ctx.catalog.listVersions(name);
        if (versions.length === 0) throw notFound(name);
        return { name, versions: versions.map(publicVersion) };
      },
    );

    app.get(
      '/datasets/:name/versions/:v',
      {
        schema: {
          summary: 'One version',
          tags: ['datasets'],
          params: versionParams,
          response: { 200: anyObject, 404: errorRef },
        },
      },
      async (request) => {
        const { name, v } = request.params as { name: string; v: number };
        return publicVersion(await getVersion(ctx, name, v));
      },
    );

    app.get(
      '/datasets/:name/versions/:v/manifest',
      {
        schema: {
          summary: "A version's manifest",
          tags: ['datasets'],
          params: versionParams,
          response: { 200: anyObject, 404: errorRef },
        },
      },
      async (request) => {
        const { name, v } = request.params as { name: string; v: number };
        return (await getVersion(ctx, name, v)).manifest;
      },
    );

    app.get(
      '/datasets/:name/manifest',
      {
        schema: {
          summary: "The latest live version's manifest",
          tags: ['datasets'],
          params: nameParams,
          response: { 200: anyObject, 404: errorRef },
        },
      },
      async (request) => {
        const { name } = request.params as { name: string };
        const dataset = await ctx.catalog.getDataset(name);
        if (!dataset) throw notFound(name);
        return dataset.latest.manifest;
      },
    );

    app.post(
      '/datasets/:name/versions/:v/retract',
      {
        config: { role: 'admin' },
        schema: {
          summary: 'Retract a version (admin)',
          description:
            'The version stays listed as retracted, its files answer 410 with the reason, and the dataset falls back to its newest live version.',
          tags: ['curation'],
          security: [{ bearer: [] }, { apiKey: [] }],
          params: versionParams,
          body: {
            type: 'object',
            required: ['reason'],
            additionalProperties: false,
            properties: { reason: { type: 'string', minLength: 3, maxLength: 2000 } },
          },
          response: { 200: anyObject, 401: errorRef, 403: errorRef, 404: errorRef },
        },
      },
      async (request) => {
        const { name, v } = request.params as { name: string; v: number };
        const { reason } = request.body as { reason: string };
        await getVersion(ctx, name, v);
        const record = await ctx.catalog.retractVersion(name, v, reason.trim());
        await ctx.cache
          .deletePrefix(prefix)
          .catch((err) => request.log.warn({ err }, 'cache invalidation failed'));
        request.log.info({ dataset: name, version: v }, 'version retracted');
        return record;
      },
    );
  };
}

async function getVersion(ctx: AppContext, name: string, v: number): Promise<VersionRecord> {
  const version = await ctx.catalog.getVersion(name, v);
  if (!version) {
    throw new ScgraphError('not-found', `dataset '${name}' has no version ${v}`, {
      field: 'version',
      details: { dataset: name, version: v },
    });
  }
  return version;
}

function notFound(name: string): ScgraphError {
  return new ScgraphError('not-found', `no dataset '${name}'`, { details: { dataset: name } });
}

/** A version as clients see it: storage keys are the server's business. */
function publicVersion(v: VersionRecord) {
  return { ...v, files: v.files.map(({ storageKey: _key, ...file }) => file) };
}

function versionSummary(v: VersionRecord) {
  return {
    version: v.version,
    status: v.status,
    createdAt: v.createdAt,
    retractedReason: v.retractedReason,
  };
}

/** The validated query string as a SearchQuery; comma lists split, blanks dropped. */
export function normalizeSearch(raw: Record<string, unknown>): SearchQuery {
  const query: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined || value === '') continue;
    if ((FACETS as readonly string[]).includes(key)) {
      const values = (value as string[])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean);
      if (values.length) query[key] = [...new Set(values)].sort();
    } else if (key === 'q') {
      const q = String(value).trim().replace(/\s+/g, ' ');
      if (q) query.q = q;
    } else {
      query[key] = value;
    }
  }
  return query as SearchQuery;
}
