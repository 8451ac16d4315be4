import type { Column, Table } from '../read/dataset.ts';

/** The rows `index` of one column, in that order. */
export function takeColumn(column: Column, index: Int32Array): Column {
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
export function takeRows(table: Table, index: Int32Array): Map<string, Column> {
  const out = new Map<string, Column>();
  for (const [name, column] of table) out.set(name, takeColumn(column, index));
  return out;
}
