/**
 * Structured JSON logs (pino). Every request line carries the request id
 * (Fastify binds it as `reqId`); credentials never reach the log: the auth
 * headers are redacted and passwords/keys in URLs are masked.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type DestinationStream, type Logger, pino } from 'pino';

const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'authorization',
  'apiKey',
  'password',
  '*.password',
];

/** Masks `user:password@` in connection URLs and secret-looking query values. */
export function maskUrl(url: string): string {
  return url
    .replace(/\/\/([^/@:\s]*):([^/@\s]*)@/g, '//$1:***@')
    .replace(/([?&](?:password|pass|pwd|key|api_key|apikey|token|secret)=)[^&#\s]*/gi, '$1***');
}

/**
 * Creates the service logger. Level defaults to LOG_LEVEL or 'info'; pass a
 * destination to capture lines (tests).
 */
export function createLogger(
  options: { level?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'scgraph' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        req(req: { method?: string; url?: string; ip?: string; id?: string }) {
          return { method: req.method, url: maskUrl(req.url ?? ''), remoteAddress: req.ip };
        },
        res(res: { statusCode?: number }) {
          return { statusCode: res.statusCode };
        },
        err: pino.stdSerializers.err,
      },
    },
    options.destination,
  );
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes a well-formed incoming X-Request-Id (so ids follow a call across proxies), else a UUID. */
export function requestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}
