/**
 * Service configuration from environment variables. Every backend has an
 * embedded default (PGlite, a local folder, an in-process cache) and switches
 * to the real service when its variable is set:
 *
 *   DATABASE_URL=postgresql://...   -> PostgreSQL through `pg`
 *   S3_BUCKET=... (S3_ENDPOINT=...) -> S3-compatible storage
 *   REDIS_URL=redis://...           -> Redis for cache and rate limits
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { ScgraphError } from '../errors.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'postgres'; url: string };

export type StorageConfig =
  | { kind: 'local'; root: string }
  | {
      kind: 's3';
      /** Absent for AWS itself; MinIO or s3rver give their URL. */
      endpoint: string | null;
      bucket: string;
      region: string;
      accessKeyId: string | null;
      secretAccessKey: string | null;
      forcePathStyle: boolean;
    };

export type CacheConfig = { kind: 'memory' } | { kind: 'redis'; url: string };

export interface ServiceConfig {
  port: number;
  host: string;
  /** Absolute path; PGlite data and local objects live under it by default. */
  dataDir: string;
  database: DatabaseConfig;
  /** Bounds every statement on the Postgres server (PGlite cannot enforce it). */
  statementTimeoutMs: number;
  storage: StorageConfig;
  cache: CacheConfig;
  logLevel: LogLevel;
  maxUploadBytes: number;
  rateLimit: { max: number; windowMs: number };
}

const GIB = 1024 ** 3;

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: GIB,
};

const DURATION_UNITS: Record<string, number> = {
  '': 1,
  ms: 1,
  s: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

const optionalText = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

/** A whole number with an optional unit from `units`, e.g. '2GiB' or '30s'. */
function quantity(units: Record<string, number>, what: string, fallback: number) {
  return z
    .string()
    .trim()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return fallback;
      const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
      const unit = match?.[2]?.toLowerCase();
      const factor = Object.entries(units).find(([name]) => name.toLowerCase() === unit)?.[1];
      const value = match && factor !== undefined ? Number(match[1]) * factor : Number.NaN;
      if (!Number.isFinite(value) || value <= 0 || !Number.isSafeInteger(Math.round(value))) {
        const known = Object.keys(units).filter(Boolean).join(', ');
        ctx.addIssue({
          code: 'custom',
          message: `expected a positive ${what} (a number, optionally with one of ${known}), found '${raw}'`,
        });
        return z.NEVER;
      }
      return Math.round(value);
    });
}

function integer(min: number, max: number, fallback: number) {
  return z
    .string()
    .trim()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return fallback;
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected an integer from ${min} to ${max}, found '${raw}'`,
        });
        return z.NEVER;
      }
      return value;
    });
}

const flag = z
  .string()
  .trim()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined || raw === '') return undefined;
    const lower = raw.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
    if (['0', 'false', 'no', 'off'].includes(lower)) return false;
    ctx.addIssue({ code: 'custom', message: `expected true or false, found '${raw}'` });
    return z.NEVER;
  });

function url(protocols: string[]) {
  return optionalText.superRefine((raw, ctx) => {
    if (raw === undefined) return;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a valid URL' });
      return;
    }
    if (!protocols.includes(parsed.protocol)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}, found '${parsed.protocol}//'`,
      });
    }
  });
}

const envSchema = z.object({
  PORT: integer(0, 65535, 8000),
  HOST: optionalText,
  DATA_DIR: optionalText,
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DB_STATEMENT_TIMEOUT_MS: integer(1, 3_600_000, 5000),
  S3_ENDPOINT: url(['http:', 'https:']),
  S3_BUCKET: optionalText,
  S3_REGION: optionalText,
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  S3_FORCE_PATH_STYLE: flag,
  REDIS_URL: url(['redis:', 'rediss:']),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional()
    .default('info'),
  MAX_UPLOAD_BYTES: quantity(UNITS, 'byte count', 2 * GIB),
  RATE_LIMIT_MAX: integer(1, 10_000_000, 1000),
  RATE_LIMIT_WINDOW: quantity(DURATION_UNITS, 'duration in ms', 60_000),
});

/**
 * Reads and checks the service configuration.
 * Defaults: PORT 8000, HOST 127.0.0.1, DATA_DIR ./var (PGlite in DATA_DIR/pg,
 * objects in DATA_DIR/objects, in-process cache), LOG_LEVEL info,
 * MAX_UPLOAD_BYTES 2 GiB, DB_STATEMENT_TIMEOUT_MS 5000, RATE_LIMIT_MAX 1000
 * per RATE_LIMIT_WINDOW of 1 minute. Sizes take units (`500MiB`), windows
 * take durations (`30s`, `1 minute`).
 * Throws one ScgraphError ('invalid-parameter') naming every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServiceConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const message =
        issue.code === 'invalid_value'
          ? `expected one of ${issue.values.join(', ')}, found '${env[name]}'`
          : issue.message;
      return { name, message };
    });
    throw configError(problems);
  }
  const e = parsed.data;

  const problems: { name: string; message: string }[] = [];
  if (e.S3_ENDPOINT && !e.S3_BUCKET) {
    problems.push({ name: 'S3_BUCKET', message: 'is required when S3_ENDPOINT is set' });
  }
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
    const missing = e.S3_ACCESS_KEY_ID ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID';
    problems.push({ name: missing, message: 'is required when the other S3 key is set' });
  }
  if (problems.length) throw configError(problems);

  const dataDir = resolve(e.DATA_DIR ?? './var');
  const storage: StorageConfig = e.S3_BUCKET
    ? {
        kind: 's3',
        endpoint: e.S3_ENDPOINT ?? null,
        bucket: e.S3_BUCKET,
        region: e.S3_REGION ?? 'us-east-1',
        accessKeyId: e.S3_ACCESS_KEY_ID ?? null,
        secretAccessKey: e.S3_SECRET_ACCESS_KEY ?? null,
        // MinIO and s3rver need path-style URLs; AWS itself prefers virtual hosts.
        forcePathStyle: e.S3_FORCE_PATH_STYLE ?? Boolean(e.S3_ENDPOINT),
      }
    : { kind: 'local', root: resolve(dataDir, 'objects') };

  return {
    port: e.PORT,
    host: e.HOST ?? '127.0.0.1',
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'pglite', dataDir: resolve(dataDir, 'pg') },
    statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    storage,
    cache: e.REDIS_URL ? { kind: 'redis', url: e.REDIS_URL } : { kind: 'memory' },
    logLevel: e.LOG_LEVEL,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW },
  };
}

/** One error for all problems: the first variable is the field, the others are named inline. */
function configError(problems: { name: string; message: string }[]): ScgraphError {
  const [first, ...rest] = problems;
  const text = [first!.message, ...rest.map((p) => `${p.name} ${p.message}`)].join('; ');
  return new ScgraphError('invalid-parameter', text, {
    field: problems[0]!.name,
    details: { variables: problems.map((p) => p.name) },
  });
}

/** A copy safe to log or show in /health/detailed: passwords and secret keys masked. */
export function redactedConfig(config: ServiceConfig): ServiceConfig {
  const database: DatabaseConfig =
    config.database.kind === 'postgres'
      ? { kind: 'postgres', url: redactUrl(config.database.url) }
      : { ...config.database };
  const storage: StorageConfig =
    config.storage.kind === 's3'
      ? {
          ...config.storage,
          accessKeyId: config.storage.accessKeyId && '***',
          secretAccessKey: config.storage.secretAccessKey && '***',
        }
      : { ...config.storage };
  const cache: CacheConfig =
    config.cache.kind === 'redis'
      ? { kind: 'redis', url: redactUrl(config.cache.url) }
      : { kind: 'memory' };
  return { ...config, database, storage, cache, rateLimit: { ...config.rateLimit } };
}

function redactUrl(raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '***';
  }
}
