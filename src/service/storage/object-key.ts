import { invalidParameter } from '../../errors.ts';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.=+-]*$/;

/**
 * Checks an object key and returns its '/'-separated segments. Keys are
 * relative paths of plain names: no '..', no leading '/', no empty or hidden
 * segments (the local driver keeps its temp and metadata files hidden).
 */
export function objectKeySegments(key: string): string[] {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) {
    throw invalidParameter('key', 'must be a non-empty string of at most 1024 characters');
  }
  if (key.startsWith('/') || key.includes('\\')) {
    throw invalidParameter('key', `must be a relative path with '/' separators, found '${key}'`);
  }
  const segments = key.split('/');
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) {
      throw invalidParameter(
        'key',
        `segment '${segment}' of '${key}' must be a plain name (letters, digits, '_', '.', '=', '+', '-', not starting with '.' or '-')`,
      );
    }
  }
  return segments;
}

/** Checks an inclusive byte range against an object's size; returns it with `end` clamped. */
export function checkRange(
  key: string,
  range: { start: number; end: number },
  size: number,
): { start: number; end: number } {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw invalidParameter('range', `bytes ${start}-${end} of '${key}' is not a valid range`);
  }
  if (start >= size) {
    throw invalidParameter(
      'range',
      `bytes ${start}-${end} start past the end of '${key}' (${size} bytes)`,
      {
        details: { size },
      },
    );
  }
  return { start, end: Math.min(end, size - 1) };
}
