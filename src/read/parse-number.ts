/**
 * Parses one numeric text token the way R, pandas and numpy write numbers.
 * Missing-value spellings (empty, NA, NaN, nan, N/A) give NaN and infinities
 * (Inf, -inf, Infinity) give ±Infinity, so that a later step can reject
 * non-finite values with its own message; anything else that is not a
 * number gives undefined, for the caller to report with file, line and column.
 */
export function parseNumber(token: string): number | undefined {
  const value = Number(token);
  // Number('') and Number('  ') are 0; an empty field is missing, not zero.
  if (!Number.isNaN(value) && token.trim() !== '') return value;
  return SPECIAL_VALUES.get(token.trim().toLowerCase());
}

const SPECIAL_VALUES = new Map<string, number>([
  ['', Number.NaN],
  ['na', Number.NaN],
  ['nan', Number.NaN],
  ['n/a', Number.NaN],
  ['inf', Number.POSITIVE_INFINITY],
  ['+inf', Number.POSITIVE_INFINITY],
  ['infinity', Number.POSITIVE_INFINITY],
  ['-inf', Number.NEGATIVE_INFINITY],
  ['-infinity', Number.NEGATIVE_INFINITY],
]);

/** Whether a token is one of the missing-value spellings `parseNumber` accepts. */
export function isMissingToken(token: string): boolean {
  const t = token.trim().toLowerCase();
  return t === '' || t === 'na' || t === 'nan' || t === 'n/a';
}
