/**
 * A separate cell metadata table (CSV/TSV, one row per cell, the cell id in
 * the first column) joined onto an expression matrix by cell id.
 *
 * @example
 * const data = await joinCellMetadata(await readTenxMtx(dir), 'cells.csv');
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { invalidInput } from '../errors.ts';
import { readAllLines } from '../io/text.ts';
import { columnFromStrings } from './column-from-strings.ts';
import type { Column, ExpressionData } from './dataset.ts';
import { separatorFor, splitFields } from './split-fields.ts';

/** A metadata table as text: one id per row and named text columns. */
export interface TextTable {
  /** Header name of each column, the id column first. */
  readonly names: readonly string[];
  /** columns[c][r]: the text of row r in column c; column 0 is the id. */
  readonly columns: readonly string[][];
}

/** Reads a small delimited table fully as text, checking that rows are even. */
export async function readTextTable(path: string): Promise<TextTable> {
  if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    throw invalidInput(path, 'is a folder; a cell metadata table is one CSV/TSV file');
  }
  const lines = (await readAllLines(path)).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw invalidInput(path, 'table is empty');
  const sep = separatorFor(path, lines[0]);
  if (sep === undefined)
    throw invalidInput(
      path,
      'cannot tell the column separator (no tab, comma or semicolon in the header)',
    );

  const names = splitFields(lines[0], sep);
  const width = lines.length > 1 ? splitFields(lines[1], sep).length : names.length;
  // R's write.table leaves the row-name column unnamed: one header field fewer.
  if (names.length === width - 1) names.unshift('');
  const columns: string[][] = names.map(() => []);
  for (let i = 1; i < lines.length; i++) {
    const fields = splitFields(lines[i], sep);
    if (fields.length !== names.length) {
      throw invalidInput(
        path,
        `line ${i + 1}: ${fields.length} fields, but the header has ${names.length}`,
      );
    }
    for (let c = 0; c < fields.length; c++) columns[c].push(fields[c]);
  }
  return { names, columns };
}

/**
 * Adds the columns of a metadata table to `data.obs`, matched by cell id.
 * The id column is the first one, or failing any match there, whichever
 * column matches the most cell ids. Matrix cells absent from the table get
 * missing values and a warning; a table whose ids match no cell is an error.
 * Columns are typed by `columnFromStrings`; a name already in obs is replaced.
 * `read` is the table when the caller has already read it from `path`.
 */
export async function joinCellMetadata(
  data: ExpressionData,
  path: string,
  read?: TextTable,
): Promise<ExpressionData> {
  const table = read ?? (await readTextTable(path));
  const warnings = [...data.warnings];
  const file = basename(path);
  const cellIndex = new Map(data.cellIds.map((id, i) => [id, i]));

  const idColumn = chooseIdColumn(table, cellIndex);
  if (idColumn < 0) {
    const ours = data.cellIds.slice(0, 3).join(', ');
    const theirs = table.columns[0].slice(0, 3).join(', ');
    throw invalidInput(
      path,
      `no row matches a cell of ${data.source} by id (cells look like: ${ours}; the table's first column holds: ${theirs})`,
    );
  }
  if (idColumn > 0) {
    warnings.push(
      `${file}: matched cells by column '${table.names[idColumn]}' (the first column matched none)`,
    );
  }

  const ids = table.columns[idColumn];
  const rowOfCell = new Int32Array(data.cellIds.length).fill(-1);
  const firstLine = new Map<string, number>();
  let unused = 0;
  for (let r = 0; r < ids.length; r++) {
    const earlier = firstLine.get(ids[r]);
    if (earlier !== undefined) {
      throw invalidInput(path, `duplicate cell id '${ids[r]}' on lines ${earlier} and ${r + 2}`, {
        found: ids[r],
      });
    }
    firstLine.set(ids[r], r + 2);
    const cell = cellIndex.get(ids[r]);
    if (cell === undefined) unused++;
    else rowOfCell[cell] = r;
  }

  const missing = data.cellIds.filter((_, i) => rowOfCell[i] < 0);
  if (missing.length > 0) {
    warnings.push(
      `${file}: ${missing.length} of ${data.cellIds.length} cells have no metadata row and get missing values (e.g. ${missing.slice(0, 3).join(', ')})`,
    );
  }
  if (unused > 0)
    warnings.push(`${file}: ${unused} metadata rows name no cell of the matrix and were ignored`);

  const obs = new Map<string, Column>(data.obs);
  for (let c = 0; c < table.names.length; c++) {
    if (c === idColumn) continue;
    const name = joinedName(table, c);
    if (obs.has(name))
      warnings.push(`${file}: column '${name}' replaces the obs column of the same name`);
    const column = table.columns[c];
    obs.set(name, columnFromStrings(Array.from(rowOfCell, (r) => (r < 0 ? '' : column[r]))));
  }
  return { ...data, obs, warnings };
}

/** The obs name column c of a metadata table gets when joined. */
export function joinedName(table: TextTable, c: number): string {
  return table.names[c] || `column_${c + 1}`;
}

function chooseIdColumn(table: TextTable, cellIndex: ReadonlyMap<string, number>): number {
  const matches = (c: number) =>
    table.columns[c].reduce((n, id) => n + (cellIndex.has(id) ? 1 : 0), 0);
  if (matches(0) > 0) return 0;
  let best = -1;
  let bestCount = 0;
  for (let c = 1; c < table.columns.length; c++) {
    const n = matches(c);
    if (n > bestCount) {
      best = c;
      bestCount = n;
    }
  }
  return best;
}
