/**
 * The one place errors become HTTP responses. Every answer is JSON
 * `{error, message, details}`; a 5xx tells the client only "internal error"
 * and the request id, while the log gets the stack.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorKind, isScgraphError } from '../../errors.ts';

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  'invalid-input': 400,
  'invalid-parameter': 400,
  unsupported: 422,
  'empty-result': 422,
  'not-found': 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  'too-large': 413,
  gone: 410,
  'rate-limited': 429,
  integrity: 500,
  unavailable: 503,
};

export interface ErrorBody {
  error: string;
  message: string;
  details: Record<string, unknown>;
}

/** JSON schema of ErrorBody, for the OpenAPI document. */
export const errorBodySchema = {
  $id: 'Error',
  type: 'object',
  required: ['error', 'message', 'details'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

/** Turns any thrown value into (status, body), logging server faults at ERROR with the stack. */
export function describeError(
  error: unknown,
  request: FastifyRequest,
): { status: number; body: ErrorBody } {
  if (isScgraphError(error)) {
    const status = STATUS_BY_KIND[error.kind];
    if (status < 500 || status === 503) {
      const details: Record<string, unknown> = { ...error.details };
      for (const key of ['file', 'field', 'expected', 'found'] as const) {
        if (error[key] !== undefined) details[key] = error[key];
      }
      if (status >= 500) request.log.warn({ err: error }, 'dependency unavailable');
      return { status, body: { error: error.kind, message: error.message, details } };
    }
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (fastifyError.validation) {
    return {
      status: 400,
      body: {
        error: 'invalid-parameter',
        message: withAllowedValues(fastifyError),
        details: {
          context: fastifyError.validationContext,
          issues: fastifyError.validation.map((v) => ({
            path: v.instancePath,
            message: v.message,
            params: v.params,
          })),
        },
      },
    };
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      status,
      body: {
        error: clientErrorName(status),
        message: fastifyError.message ?? 'bad request',
        details: fastifyError.code ? { code: fastifyError.code } : {},
      },
    };
  }
  request.log.error({ err: error }, 'request failed');
  return {
    status: 500,
    body: { error: 'internal', message: 'internal error', details: { requestId: request.id } },
  };
}

function clientErrorName(status: number): string {
  const kind = (Object.entries(STATUS_BY_KIND) as [ErrorKind, number][]).find(
    ([, s]) => s === status,
  );
  return kind ? kind[0] : 'bad-request';
}

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply: FastifyReply) => {
    const { status, body } = describeError(error, request);
    // Headers set before the failure (Content-Length of a download) no longer apply.
    reply.removeHeader('content-length');
    reply.removeHeader('content-range');
    reply.removeHeader('etag');
    reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: 'not-found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
      details: {},
    } satisfies ErrorBody);
  });
}

/** A validation message with the allowed values of an enum spelt out (ajv keeps them in params). */
function withAllowedValues(error: Partial<FastifyError>): string {
  const message = error.message ?? 'invalid request';
  const allowed = error.validation?.find((v) => v.keyword === 'enum')?.params?.allowedValues;
  return Array.isArray(allowed) ? `${message}: ${allowed.join(', ')}` : message;
}
