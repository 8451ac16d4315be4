/**
 * The closed set of errors the hub raises on purpose. Every one names what it
 * is about (a file, a field, a parameter) and what was wrong, so the CLI can
 * print it as one line and the service can map `kind` to an HTTP status in
 * exactly one place.
 */
export type ErrorKind =
  | 'invalid-input' // a file that cannot be read as the format it claims, or bad content
  | 'unsupported' // a valid file using a feature we do not handle
  | 'invalid-parameter' // a user-given option is out of range or names nothing
  | 'empty-result' // a pipeline step left nothing to work with (no cells after QC)
  | 'integrity' // a hash or size does not match what was recorded
  | 'not-found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'too-large'
  | 'gone'
  | 'rate-limited'
  | 'unavailable'; // a dependency (database, storage, cache) is down

export interface ErrorContext {
  /** The file the problem is in, as the user named it. */
  file?: string;
  /** The field, column, dataset path or parameter the problem is about. */
  field?: string;
  expected?: string;
  found?: string;
  /** Extra structured detail safe to show to a client. */
  details?: Record<string, unknown>;
}

export class ScgraphError extends Error {
  readonly kind: ErrorKind;
  readonly file?: string;
  readonly field?: string;
  readonly expected?: string;
  readonly found?: string;
  readonly details?: Record<string, unknown>;
  /** The message without the file and field it is prefixed with (for callers that name them their own way). */
  readonly reason: string;

  constructor(kind: ErrorKind, message: string, context: ErrorContext = {}, cause?: unknown) {
    super(formatMessage(message, context), cause === undefined ? undefined : { cause });
    this.name = 'ScgraphError';
    this.kind = kind;
    this.reason = message;
    this.file = context.file;
    this.field = context.field;
    this.expected = context.expected;
    this.found = context.found;
    this.details = context.details;
  }
}

function formatMessage(message: string, { file, field }: ErrorContext): string {
  const where = [file, field && `'${field}'`].filter(Boolean).join(': ');
  return where ? `${where}: ${message}` : message;
}

/** Bad content in a named file. */
export function invalidInput(
  file: string,
  message: string,
  context: Omit<ErrorContext, 'file'> = {},
  cause?: unknown,
): ScgraphError {
  return new ScgraphError('invalid-input', message, { ...context, file }, cause);
}

/** A user-given option that is out of range or names nothing. */
export function invalidParameter(
  parameter: string,
  message: string,
  context: Omit<ErrorContext, 'field'> = {},
): ScgraphError {
  return new ScgraphError('invalid-parameter', message, { ...context, field: parameter });
}

export function isScgraphError(error: unknown): error is ScgraphError {
  return error instanceof ScgraphError;
}
