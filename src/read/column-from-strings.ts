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
  const categories = [...new Set(values.filter((v) => !isMissingToken(v)))].sort(naturalCompare);
  const index = new Map(categories.map((c, i) => [c, i]));
  return {
    kind: 'categorical',
    categories,
    codes: Int32Array.from(values, (v) => index.get(v) ?? -1),
  };
}

/**
 * Orders text the way people number things: runs of digits compare by their
 * value, so '2C' < '8C' < '16C' and 'cluster 9' < 'cluster 10'; other text by
 * UTF-16 code units (no locale, so the same order on every machine). Strings
 * equal in that order ('01' and '1') fall back to plain code-unit order.
 */
export function naturalCompare(a: string, b: string): number {
  const chunks = /(\d+|\D+)/g;
  const x = a.match(chunks) ?? [];
  const y = b.match(chunks) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    const digits = /^\d/.test(p) && /^\d/.test(q);
    if (digits) {
      const u = p.replace(/^0+(?=\d)/, '');
      const v = q.replace(/^0+(?=\d)/, '');
      if (u.length !== v.length) return u.length - v.length;
      if (u !== v) return u < v ? -1 : 1;
    } else {
      return p < q ? -1 : 1;
    }
  }
  if (x.length !== y.length) return x.length - y.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
