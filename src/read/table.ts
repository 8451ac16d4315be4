/**
 * Small builders for the Column/Table values every reader returns, so the
 * readers agree on how strings become categories and how ids are checked.
 */
import { invalidInput } from '../errors.ts';
import type { Column, Table } from './dataset.ts';

/** A numeric column; integer-valued sources may ask for kind 'integer'. */
export function numericColumn(values: ArrayLike<number>, integer = false): Column {
  return { kind: integer ? 'integer' : 'numeric', values: Float64Array.from(values) };
}

export function booleanColumn(values: ArrayLike<number | boolean>): Column {
  return { kind: 'boolean', values: Uint8Array.from(values, (v) => (v ? 1 : 0)) };
}

export function stringColumn(values: readonly string[]): Column {
  return { kind: 'string', values };
}

/**
 * A categorical column from stored codes and categories. Codes outside the
 * categories (anndata writes -1 for missing) become -1.
 */
export function categoricalColumn(codes: ArrayLike<number>, categories: readonly string[]): Column {
  const out = Int32Array.from(codes, (c) => (c >= 0 && c < categories.length ? c : -1));
  return { kind: 'categorical', codes: out, categories };
}

/**
 * A categorical column from per-row labels, categories in sorted order (as
 * pandas and anndata order them). `missing` labels get code -1.
 */
export function categoricalFromLabels(
  labels: readonly string[],
  missing: ReadonlySet<string> = new Set(),
): Column {
  const categories = [...new Set(labels)].filter((l) => !missing.has(l)).sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  const codes = Int32Array.from(labels, (l) => index.get(l) ?? -1);
  return { kind: 'categorical', codes, categories };
}

/** Number of rows in a column. */
export function columnLength(column: Column): number {
  return column.kind === 'categorical' ? column.codes.length : column.values.length;
}

/** A Table keeping the given order of columns. */
export function tableOf(columns: Iterable<readonly [string, Column]>): Table {
  return new Map(columns);
}

/** The first few values that occur more than once, in order of first repeat. */
export function firstDuplicates(ids: readonly string[], limit = 3): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) {
      repeated.add(id);
      if (repeated.size >= limit) break;
    }
    seen.add(id);
  }
  return [...repeated];
}

/** Throws invalid-input naming `field` and its first duplicates when ids repeat. */
export function requireUniqueIds(file: string, field: string, ids: readonly string[]): void {
  const repeated = firstDuplicates(ids);
  if (repeated.length > 0) {
    throw invalidInput(file, `ids must be unique; repeated: ${repeated.join(', ')}`, { field });
  }
}

/** Throws invalid-input when a column's length differs from the table's row count. */
export function requireLength(file: string, field: string, found: number, expected: number): void {
  if (found !== expected) {
    throw invalidInput(file, `has ${found} entries but the matrix has ${expected}`, {
      field,
      expected: String(expected),
      found: String(found),
    });
  }
}

/** The rows `index` of one column, in that order. */
export function takeColumn(column: Column, index: ArrayLike<number>): Column {
  switch (column.kind) {
    case 'numeric':
    case 'integer':
      return { kind: column.kind, values: Float64Array.from(index, (i) => column.values[i]) };
    case 'boolean':
      return { kind: 'boolean', values: Uint8Array.from(index, (i) => column.values[i]) };
    case 'string':
      return { kind: 'string', values: Array.from(index, (i) => column.values[i]) };
    case 'categorical':
      return {
        kind: 'categorical',
        codes: Int32Array.from(index, (i) => column.codes[i]),
        categories: column.categories,
      };
  }
}

/** The rows `index` of every column of a table. */
export function takeRows(table: Table, index: ArrayLike<number>): Map<string, Column> {
  const out = new Map<string, Column>();
  for (const [name, column] of table) out.set(name, takeColumn(column, index));
  return out;
}
