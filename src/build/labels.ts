import { invalidParameter } from '../errors.ts';
import { naturalCompare } from '../read/column-from-strings.ts';
import type { Column, Table } from '../read/dataset.ts';

/** A label column turned into class codes (-1 = unlabeled) and class names. */
export interface Labels {
  readonly column: string;
  readonly codes: Int32Array;
  readonly names: readonly string[];
}

/** A numeric column with more distinct values than this is treated as continuous. */
export const MAX_NUMERIC_CLASSES = 50;

/**
 * Looks a column up by name, with an error that lists what exists when it
 * does not. `parameter` is the option the user set (for the message).
 */
export function requireColumn(obs: Table, name: string, parameter: string): Column {
  const column = obs.get(name);
  if (column) return column;
  return missingColumn([...obs.keys()], name, parameter);
}

/** requireColumn by names alone, before the columns are read. */
export function requireColumnName(names: readonly string[], name: string, parameter: string): void {
  if (!names.includes(name)) missingColumn(names, name, parameter);
}

function missingColumn(available: readonly string[], name: string, parameter: string): never {
  // The message is all a CLI user sees, so it carries the choices (the first 30 of them).
  const listed = available.length
    ? `; available: ${available.slice(0, 30).join(', ')}${available.length > 30 ? `, … (${available.length - 30} more)` : ''}`
    : '; the input has no cell metadata columns';
  throw invalidParameter(parameter, `cell metadata has no column '${name}'${listed}`, {
    expected: available.length ? `one of: ${available.join(', ')}` : 'a cell metadata column',
    found: name,
    details: { available },
  });
}

/**
 * Class labels from a cell metadata column. Categorical columns keep their
 * category order; strings are sorted in natural order (2C before 16C); numbers with few distinct values
 * (hours 0/24/48/72) become classes in numeric order. Missing values
 * (NaN, empty strings, code -1) are unlabeled.
 */
export function labelsFromColumn(obs: Table, name: string): Labels {
  const column = requireColumn(obs, name, 'label');
  switch (column.kind) {
    case 'categorical': {
      const used = new Uint8Array(column.categories.length);
      for (const c of column.codes) if (c >= 0) used[c] = 1;
      // Drop categories no cell has (e.g. after QC) so class ids are dense.
      const remap = new Int32Array(column.categories.length).fill(-1);
      const names: string[] = [];
      column.categories.forEach((category, i) => {
        if (used[i]) {
          remap[i] = names.length;
          names.push(category);
        }
      });
      return { column: name, codes: column.codes.map((c) => (c >= 0 ? remap[c] : -1)), names };
    }
    case 'string':
      return fromStrings(name, column.values);
    case 'boolean':
      return fromStrings(
        name,
        Array.from(column.values, (v) => (v ? 'true' : 'false')),
      );
    case 'numeric':
    case 'integer': {
      const distinct = [...new Set(Array.from(column.values).filter(Number.isFinite))].sort(
        (a, b) => a - b,
      );
      if (distinct.length > MAX_NUMERIC_CLASSES) {
        throw invalidParameter(
          'label',
          `column '${name}' is continuous (${distinct.length} distinct values); a label needs classes`,
          {
            expected: `at most ${MAX_NUMERIC_CLASSES} distinct values`,
            found: String(distinct.length),
          },
        );
      }
      const index = new Map(distinct.map((v, i) => [v, i]));
      return {
        column: name,
        codes: Int32Array.from(column.values, (v) => index.get(v) ?? -1),
        names: distinct.map((v) => String(v)),
      };
    }
  }
}

function fromStrings(name: string, values: readonly string[]): Labels {
  const names = [...new Set(values.filter((v) => v !== ''))].sort(naturalCompare);
  const index = new Map(names.map((v, i) => [v, i]));
  return { column: name, codes: Int32Array.from(values, (v) => index.get(v) ?? -1), names };
}

/** Cells per class, keyed by class name. */
export function classCounts(labels: Labels): Record<string, number> {
  const counts = new Array<number>(labels.names.length).fill(0);
  for (const c of labels.codes) if (c >= 0) counts[c]++;
  return Object.fromEntries(labels.names.map((n, i) => [n, counts[i]]));
}

/** Group ids for a group-held-out split: every distinct value is a group. */
export function groupsFromColumn(obs: Table, name: string): { codes: Int32Array; names: string[] } {
  const column = requireColumn(obs, name, 'split-column');
  if (column.kind === 'numeric' || column.kind === 'integer') {
    const names = [...new Set(Array.from(column.values).filter(Number.isFinite))].sort(
      (a, b) => a - b,
    );
    const index = new Map(names.map((v, i) => [v, i]));
    return {
      codes: Int32Array.from(column.values, (v) => index.get(v) ?? -1),
      names: names.map(String),
    };
  }
  const labels = labelsFromColumn(new Map([[name, column]]), name);
  return { codes: labels.codes, names: [...labels.names] };
}

/** Order values for an ordered split: numbers as they are, categories by category order. */
export function timesFromColumn(obs: Table, name: string): Float64Array {
  const column = requireColumn(obs, name, 'split-column');
  switch (column.kind) {
    case 'numeric':
    case 'integer':
      return column.values;
    case 'categorical':
      return Float64Array.from(column.codes, (c) => (c >= 0 ? c : Number.NaN));
    default:
      throw invalidParameter(
        'split-column',
        `column '${name}' is not ordered (numeric or categorical)`,
        {
          found: column.kind,
        },
      );
  }
}
