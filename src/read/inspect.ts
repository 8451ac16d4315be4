/**
 * A JSON-able summary of what an input holds, for `scgraph inspect` and the
 * service's upload preview.
 *
 * @example
 * const summary = await inspectInput('data/guo/guo_qpcr.tsv');
 * summary.obs[0]; // { name: 'stage', kind: 'categorical', missing: 0, distinct: 7, counts: [...] }
 */
import type { Column, ExpressionData, InputFormat, Table } from './dataset.ts';
import { type ReadInputOptions, readInput } from './read-input.ts';

/** Columns with at most this many distinct values list their value counts. */
const MAX_COUNTED_VALUES = 50;

export interface ColumnSummary {
  readonly name: string;
  readonly kind: Column['kind'];
  /** NaN values, or categorical codes of -1. */
  readonly missing: number;
  /** Distinct present values (not for numeric columns). */
  readonly distinct?: number;
  /** Value counts in category order (sorted order for strings), when few. */
  readonly counts?: readonly { readonly value: string; readonly count: number }[];
  /** Range of numeric and integer columns, ignoring missing values. */
  readonly min?: number;
  readonly max?: number;
}

export interface InputSummary {
  readonly source: string;
  readonly format: InputFormat;
  readonly matrixName: string;
  readonly nCells: number;
  readonly nGenes: number;
  /** Stored (non-zero) values of X. */
  readonly nnz: number;
  readonly obs: readonly ColumnSummary[];
  readonly var: readonly ColumnSummary[];
  readonly obsm: readonly { readonly name: string; readonly shape: readonly [number, number] }[];
  readonly obsp: readonly {
    readonly name: string;
    readonly shape: readonly [number, number];
    readonly nnz: number;
  }[];
  readonly spatial: boolean;
  readonly warnings: readonly string[];
}

/**
 * Reads an input (any format `readInput` takes, same options) and
 * summarises it: shape, stored values, obs/var columns with kinds and, for
 * columns with few values, value counts; obsm/obsp names and shapes.
 */
export async function inspectInput(
  path: string,
  options: ReadInputOptions = {},
): Promise<InputSummary> {
  return summarize(await readInput(path, options));
}

/** The summary of data already read. */
export function summarize(data: ExpressionData): InputSummary {
  return {
    source: data.source,
    format: data.format,
    matrixName: data.matrixName,
    nCells: data.X.nRows,
    nGenes: data.X.nCols,
    nnz: data.X.indptr[data.X.nRows],
    obs: summarizeTable(data.obs),
    var: summarizeTable(data.var),
    obsm: [...data.obsm].map(([name, m]) => ({ name, shape: [m.nRows, m.nCols] as const })),
    obsp: [...data.obsp].map(([name, m]) => ({
      name,
      shape: [m.nRows, m.nCols] as const,
      nnz: m.indptr[m.nRows],
    })),
    spatial: data.spatial !== undefined,
    warnings: data.warnings,
  };
}

function summarizeTable(table: Table): ColumnSummary[] {
  return [...table].map(([name, column]) => summarizeColumn(name, column));
}

function summarizeColumn(name: string, column: Column): ColumnSummary {
  switch (column.kind) {
    case 'numeric':
    case 'integer': {
      let missing = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const v of column.values) {
        if (Number.isNaN(v)) missing++;
        else {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      const range = missing < column.values.length ? { min, max } : {};
      return { name, kind: column.kind, missing, ...range };
    }
    case 'boolean': {
      const trues = column.values.reduce((n, v) => n + (v ? 1 : 0), 0);
      const counts = [
        { value: 'false', count: column.values.length - trues },
        { value: 'true', count: trues },
      ].filter((c) => c.count > 0);
      return { name, kind: 'boolean', missing: 0, distinct: counts.length, counts };
    }
    case 'categorical': {
      const tally = new Array<number>(column.categories.length).fill(0);
      let missing = 0;
      for (const code of column.codes) {
        if (code < 0) missing++;
        else tally[code]++;
      }
      const counts = column.categories.map((value, i) => ({ value, count: tally[i] }));
      return withCounts(
        name,
        'categorical',
        missing,
        counts.filter((c) => c.count > 0),
      );
    }
    case 'string': {
      const tally = new Map<string, number>();
      for (const v of column.values) tally.set(v, (tally.get(v) ?? 0) + 1);
      const counts = [...tally.keys()]
        .sort()
        .map((value) => ({ value, count: tally.get(value) as number }));
      return withCounts(name, 'string', 0, counts);
    }
  }
}

function withCounts(
  name: string,
  kind: 'categorical' | 'string',
  missing: number,
  counts: { value: string; count: number }[],
): ColumnSummary {
  const few = counts.length <= MAX_COUNTED_VALUES;
  return { name, kind, missing, distinct: counts.length, ...(few ? { counts } : {}) };
}

/** Value counts shown per column in `formatSummary`; the rest are counted, not listed. */
const SHOWN_VALUES = 8;

/**
 * The summary as text for a terminal: one line per obs/var column (kind,
 * values or range, missing), one per embedding and graph, then warnings.
 */
export function formatSummary(s: InputSummary): string {
  const lines = [
    `format: ${s.format} (matrix: ${s.matrixName})`,
    `cells × genes: ${s.nCells} × ${s.nGenes} (${s.nnz} stored values)`,
  ];
  for (const [title, columns] of [
    ['obs', s.obs],
    ['var', s.var],
  ] as const) {
    if (columns.length === 0) {
      lines.push(`${title}: none`);
      continue;
    }
    lines.push(`${title} (${columns.length} columns):`);
    const width = Math.max(...columns.map((c) => c.name.length));
    for (const c of columns) lines.push(`  ${c.name.padEnd(width)}  ${describeColumn(c)}`);
  }
  lines.push(
    `obsm: ${s.obsm.map((m) => `${m.name} ${m.shape[0]} × ${m.shape[1]}`).join(', ') || 'none'}`,
    `obsp: ${s.obsp.map((m) => `${m.name} ${m.shape[0]} × ${m.shape[1]} (${m.nnz} stored)`).join(', ') || 'none'}`,
    `spatial coordinates: ${s.spatial ? 'yes' : 'no'}`,
  );
  if (s.warnings.length) lines.push('warnings:', ...s.warnings.map((w) => `  ${w}`));
  return lines.join('\n');
}

function describeColumn(c: ColumnSummary): string {
  const parts: string[] = [c.kind];
  if (c.min !== undefined && c.max !== undefined) parts.push(`${c.min} to ${c.max}`);
  if (c.counts) {
    const shown = c.counts.slice(0, SHOWN_VALUES).map((v) => `${v.value} (${v.count})`);
    const more = c.counts.length - shown.length;
    const values = c.distinct === 1 ? 'value' : 'values';
    parts.push(`${c.distinct} ${values}: ${shown.join(', ')}${more > 0 ? `, … ${more} more` : ''}`);
  } else if (c.distinct !== undefined) parts.push(`${c.distinct} distinct values`);
  if (c.missing > 0) parts.push(`${c.missing} missing`);
  return parts.join(', ');
}
