import type { Column } from './dataset.ts';
import { isMissingToken, parseNumber } from './parse-number.ts';

/**
 * Types a column of text values, as a metadata table's column is typed:
 * booleans when every value is TRUE/FALSE (any case); integer or numeric
 * when every present value parses as a number (missing values become NaN);
 * otherwise categorical with categories sorted by code point, as pandas
 * orders them, and missing values (empty, NA, NaN) coded -1.
 */
export function columnFromStrings(values: readonly string[]): Column {
  let present = 0;
  let allBoolean = true;
  let allNumeric = true;
  let allInteger = true;
  const numbers = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isMissingToken(v)) {
      numbers[i] = Number.NaN;
      allBoolean = false;
      continue;
    }
    present++;
    const lower = v.toLowerCase();
    if (lower !== 'true' && lower !== 'false') allBoolean = false;
    if (allNumeric) {
      const n = parseNumber(v);
      if (n === undefined) allNumeric = false;
      else {
        numbers[i] = n;
        if (!Number.isInteger(n)) allInteger = false;
      }
    }
  }
  if (present > 0 && allBoolean) {
    return {
      kind: 'boolean',
      values: Uint8Array.from(values, (v) => (v.toLowerCase() === 'true' ? 1 : 0)),
    };
  }
  if (present > 0 && allNumeric) {
    return { kind: allInteger ? 'integer' : 'numeric', values: numbers };
  }
  const categories = [...new Set(values.filter((v) => !isMissingToken(v)))].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  return {
    kind: 'categorical',
    categories,
    codes: Int32Array.from(values, (v) => index.get(v) ?? -1),
  };
}
