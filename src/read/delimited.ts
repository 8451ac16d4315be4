/**
 * Reader for expression matrices stored as delimited text (CSV or TSV,
 * optionally gzipped), with genes as rows or cells as rows.
 *
 * @example
 * const data = await readDelimited('lung_expression.csv.gz', { cellMetadata: 'lung_cells.csv' });
 */
import { basename } from 'node:path';
import { invalidInput } from '../errors.ts';
import { readLineBatches } from '../io/text.ts';
import type { CsrMatrix } from '../matrix/csr.ts';
import { joinCellMetadata } from './cell-metadata.ts';
import { columnFromStrings } from './column-from-strings.ts';
import type { ExpressionData, ReadOptions, Table } from './dataset.ts';
import { isMissingToken, parseNumber } from './parse-number.ts';
import { separatorFor, splitFields } from './split-fields.ts';

/** How many leading data rows decide which columns hold text. */
const SAMPLE_ROWS = 200;

type Orientation = 'genes-as-rows' | 'cells-as-rows';

/**
 * Reads a CSV/TSV matrix. The first column always holds the row ids (gene or
 * cell names); further columns whose values are not numbers are annotations
 * of the rows (var columns when rows are genes, obs columns when rows are
 * cells). Orientation is detected (see `detectOrientation`) unless
 * `options.orientation` sets it; `options.cellMetadata` joins a separate
 * cell table by id. A column is text when at least half of its first 200
 * values are not numbers. In the numeric columns, a missing value (empty, NA,
 * NaN), an infinity or any other non-number is an error naming the line and
 * column of the file.
 */
export async function readDelimited(
  path: string,
  options: ReadOptions = {},
): Promise<ExpressionData> {
  const parsed = await parseDelimited(path);
  const warnings: string[] = [];

  let orientation: Orientation;
  if (options.orientation && options.orientation !== 'auto') {
    orientation = options.orientation;
  } else {
    const decision = detectOrientation(parsed);
    orientation = decision.orientation;
    if (decision.weak) {
      warnings.push(
        `${basename(path)}: read as ${orientation} (${decision.reason}); pass orientation to override`,
      );
    }
  }

  const rowIds = parsed.rowIds;
  const columnIds = parsed.numericColumns.map((c) => parsed.header[c]);
  const annotations: Table = new Map(
    parsed.textColumns.map((c, k) => [
      parsed.header[c] || `column_${c + 1}`,
      columnFromStrings(parsed.text[k]),
    ]),
  );
  const genesAsRows = orientation === 'genes-as-rows';
  const cellIds = genesAsRows ? columnIds : rowIds;
  const geneIds = genesAsRows ? rowIds : columnIds;
  checkUnique(path, cellIds, 'cell', genesAsRows ? 'header' : 'column 1');
  checkUnique(path, geneIds, 'gene', genesAsRows ? 'column 1' : 'header');

  let data: ExpressionData = {
    format: 'delimited',
    source: path,
    X: genesAsRows ? transpose(parsed.matrix) : parsed.matrix,
    matrixName: 'matrix',
    cellIds,
    geneIds,
    obs: genesAsRows ? new Map() : annotations,
    var: genesAsRows ? annotations : new Map(),
    obsm: new Map(),
    obsp: new Map(),
    warnings,
  };
  if (options.cellMetadata) data = await joinCellMetadata(data, options.cellMetadata);
  return data;
}

/** A delimited matrix as read, before its orientation is decided. */
export interface ParsedDelimited {
  /** Header names, one per column; '' for an unnamed row-id column. */
  readonly header: readonly string[];
  readonly rowIds: readonly string[];
  /** Column numbers (0-based, in the file) holding numbers, and holding text. */
  readonly numericColumns: readonly number[];
  readonly textColumns: readonly number[];
  /** text[k][r]: row r of textColumns[k]. */
  readonly text: readonly string[][];
  /** rows × numeric columns, as stored in the file. */
  readonly matrix: CsrMatrix;
}

/** Reads the file once: header, row ids, text columns and the numeric part as CSR. */
export async function parseDelimited(path: string): Promise<ParsedDelimited> {
  let header: string[] | undefined;
  let sep: string | undefined;
  let sample: { fields: string[]; line: number }[] | undefined = [];
  let layout: Layout | undefined;
  const builder = new RowBuilder();
  let lineNo = 0;

  for await (const batch of readLineBatches(path)) {
    for (const line of batch) {
      lineNo++;
      if (line.trim() === '') continue;
      if (header === undefined) {
        sep = separatorFor(path, line);
        if (sep === undefined) {
          throw invalidInput(
            path,
            'cannot tell the column separator: no tab, comma or semicolon in the header line',
          );
        }
        header = splitFields(line, sep);
        continue;
      }
      const fields = splitFields(line, sep as string);
      if (layout === undefined && sample !== undefined) {
        sample.push({ fields, line: lineNo });
        if (sample.length < SAMPLE_ROWS) continue;
        layout = decideLayout(path, header, sample);
        for (const row of sample) builder.add(path, layout, row.fields, row.line);
        sample = undefined;
        continue;
      }
      builder.add(path, layout as Layout, fields, lineNo);
    }
  }
  if (header === undefined) throw invalidInput(path, 'file is empty');
  if (layout === undefined) {
    if (!sample || sample.length === 0) throw invalidInput(path, 'no data rows below the header');
    layout = decideLayout(path, header, sample);
    for (const row of sample) builder.add(path, layout, row.fields, row.line);
  }
  return {
    header: layout.header,
    rowIds: builder.rowIds,
    numericColumns: layout.numeric,
    textColumns: layout.text,
    text: builder.text,
    matrix: builder.finish(layout.numeric.length),
  };
}

interface Layout {
  readonly header: string[];
  readonly numeric: number[];
  readonly text: number[];
  /** For each file column, its position among numeric (>= 0) or text (-1 - k) columns. */
  readonly slot: Int32Array;
}

/**
 * Fixes the header width and which columns hold text, from the first rows.
 * Column 1 is always the row id. A header one field shorter than the rows is
 * R's write.table layout (the row-name column has no name).
 */
function decideLayout(
  path: string,
  headerFields: string[],
  sample: { fields: string[]; line: number }[],
): Layout {
  const width = sample[0].fields.length;
  const header = headerFields.length === width - 1 ? ['', ...headerFields] : headerFields;
  if (header.length !== width) {
    throw invalidInput(
      path,
      `line ${sample[0].line}: ${width} fields, but the header has ${headerFields.length}`,
    );
  }
  if (width < 2) throw invalidInput(path, 'only one column: expected row ids followed by values');
  // Numeric cell metadata (n_counts, batch 1/2) in a cells-as-rows table reads as genes: no way to tell.
  // A column is text when at least half of its sampled values are not numbers; a
  // stray word in a column of numbers is a bad value, reported with its line,
  // rather than a reason to turn a cell or gene into an annotation.
  const numbers = new Int32Array(width);
  const words = new Int32Array(width);
  for (const { fields } of sample) {
    if (fields.length !== width) continue; // reported with its line number when the row is added
    for (let c = 1; c < width; c++) {
      if (parseNumber(fields[c]) === undefined) words[c]++;
      else numbers[c]++;
    }
  }
  const isText = Array.from({ length: width }, (_, c) => words[c] > 0 && words[c] >= numbers[c]);
  const numeric: number[] = [];
  const text: number[] = [];
  const slot = new Int32Array(width);
  for (let c = 1; c < width; c++) {
    if (isText[c]) {
      slot[c] = -1 - text.length;
      text.push(c);
    } else {
      slot[c] = numeric.length;
      numeric.push(c);
    }
  }
  if (numeric.length === 0) throw invalidInput(path, 'no numeric columns: every column holds text');
  return { header, numeric, text, slot };
}

/** Accumulates rows into CSR arrays that grow by doubling. */
class RowBuilder {
  readonly rowIds: string[] = [];
  text: string[][] = [];
  private indptr: number[] = [0];
  private indices = new Int32Array(1024);
  private data = new Float32Array(1024);
  private nnz = 0;

  add(path: string, layout: Layout, fields: string[], line: number): void {
    if (fields.length !== layout.header.length) {
      throw invalidInput(
        path,
        `line ${line}: ${fields.length} fields, expected ${layout.header.length} like the header`,
      );
    }
    if (this.text.length !== layout.text.length) this.text = layout.text.map(() => []);
    this.rowIds.push(fields[0]);
    for (let c = 1; c < fields.length; c++) {
      const s = layout.slot[c];
      if (s < 0) {
        this.text[-1 - s].push(fields[c]);
        continue;
      }
      const token = fields[c];
      // Fast path for the zeros that dominate expression tables.
      if (token === '0') continue;
      const value = parseNumber(token);
      if (value === undefined || !Number.isFinite(value)) {
        const name = layout.header[c] ? ` ('${layout.header[c]}')` : '';
        const shown = token.slice(0, 40);
        const problem =
          value === undefined
            ? `'${shown}' is not a number`
            : isMissingToken(token)
              ? `${token.trim() === '' ? 'empty field' : `'${shown}'`}: a missing value; every field of the matrix needs a number`
              : `'${shown}' is not a finite number`;
        throw invalidInput(path, `line ${line}, column ${c + 1}${name}: ${problem}`, {
          found: shown,
        });
      }
      if (value === 0) continue;
      this.push(s, value);
    }
    this.indptr.push(this.nnz);
  }

  finish(nCols: number): CsrMatrix {
    return {
      nRows: this.rowIds.length,
      nCols,
      indptr: Float64Array.from(this.indptr),
      indices: this.indices.slice(0, this.nnz),
      data: this.data.slice(0, this.nnz),
    };
  }

  private push(column: number, value: number): void {
    if (this.nnz === this.indices.length) {
      const indices = new Int32Array(this.indices.length * 2);
      indices.set(this.indices);
      this.indices = indices;
      const data = new Float32Array(this.data.length * 2);
      data.set(this.data);
      this.data = data;
    }
    this.indices[this.nnz] = column;
    this.data[this.nnz] = value;
    this.nnz++;
  }
}

const GENE_HEADER = new Set([
  'gene',
  'genes',
  'geneid',
  'geneids',
  'genesymbol',
  'genesymbols',
  'genename',
  'genenames',
  'geneshortname',
  'symbol',
  'symbols',
  'ensembl',
  'ensemblid',
  'ensemblgeneid',
  'feature',
  'features',
  'featureid',
  'featurename',
  'idref',
  'entrez',
  'entrezid',
  'varnames',
  'biotype',
  'genebiotype',
  'chromosome',
  'chr',
  'description',
]);
const CELL_HEADER = new Set([
  'cell',
  'cells',
  'cellid',
  'cellids',
  'cellname',
  'cellnames',
  'barcode',
  'barcodes',
  'cellbarcode',
  'obsnames',
  'spot',
  'spots',
  'spotid',
]);
const CELL_ANNOTATION = new Set([
  'stage',
  'cluster',
  'clusters',
  'celltype',
  'batch',
  'donor',
  'condition',
  'group',
  'groups',
  'label',
  'labels',
  'time',
  'age',
  'treatment',
  'sample',
  'tissue',
  'sex',
  'replicate',
]);
const GENE_ID = /^(ENS[A-Z]*G\d{6,}|FBgn\d+|WBGene\d+)/;
const BARCODE = /(^|[-_:.])[ACGTN]{8,}([-_.]\d+)?$/;

/**
 * Decides whether rows are genes or cells. Evidence, summed as a score
 * (positive = genes as rows):
 * - the name of the row-id column: gene words (gene_id, symbol, feature ...)
 *   +4, cell words (cell, barcode ...) -4;
 * - names of the other text columns, which annotate the rows: gene
 *   annotations (gene_symbol, biotype) +2 each, cell annotations (stage,
 *   cluster, batch ...) -1 each;
 * - what the ids look like: Ensembl/FlyBase/WormBase gene ids among the row
 *   ids +4 or among the header's column names -4; cell barcodes (ACGT runs)
 *   among the row ids -4 or among the column names +4;
 * - shape, weakly: rows more than twice the columns +1, the other way -1
 *   (tables usually list the larger set down the page, but qPCR panels
 *   do not, so shape alone only breaks ties).
 * No evidence at all means genes as rows, the layout GEO matrices use.
 */
export function detectOrientation(parsed: ParsedDelimited): {
  orientation: Orientation;
  reason: string;
  weak: boolean;
} {
  const reasons: string[] = [];
  let score = 0;
  const add = (points: number, why: string) => {
    score += points;
    reasons.push(why);
  };
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const indexName = norm(parsed.header[0]);
  if (GENE_HEADER.has(indexName)) add(4, `row-id column '${parsed.header[0]}' names genes`);
  if (CELL_HEADER.has(indexName)) add(-4, `row-id column '${parsed.header[0]}' names cells`);
  for (const c of parsed.textColumns) {
    const name = norm(parsed.header[c]);
    if (GENE_HEADER.has(name)) add(2, `text column '${parsed.header[c]}' annotates genes`);
    if (CELL_HEADER.has(name) || CELL_ANNOTATION.has(name))
      add(-1, `text column '${parsed.header[c]}' annotates cells`);
  }
  const share = (ids: readonly string[], pattern: RegExp) => {
    const n = Math.min(ids.length, 500);
    let hits = 0;
    for (let i = 0; i < n; i++) if (pattern.test(ids[i])) hits++;
    return n > 0 ? hits / n : 0;
  };
  const columnNames = parsed.numericColumns.map((c) => parsed.header[c]);
  if (share(parsed.rowIds, GENE_ID) > 0.5) add(4, 'row ids are gene ids');
  if (share(columnNames, GENE_ID) > 0.5) add(-4, 'column names are gene ids');
  if (share(parsed.rowIds, BARCODE) > 0.5) add(-4, 'row ids are cell barcodes');
  if (share(columnNames, BARCODE) > 0.5) add(4, 'column names are cell barcodes');

  const strong = score !== 0;
  const rows = parsed.rowIds.length;
  const cols = parsed.numericColumns.length;
  if (rows > 2 * cols) add(1, `${rows} rows vs ${cols} value columns`);
  else if (cols > 2 * rows) add(-1, `${rows} rows vs ${cols} value columns`);
  const orientation = score < 0 ? 'cells-as-rows' : 'genes-as-rows';
  const reason =
    reasons.length > 0
      ? reasons.join('; ')
      : 'no names or shape to go by; genes as rows is the common layout';
  return { orientation, reason, weak: !strong };
}

function checkUnique(
  path: string,
  ids: readonly string[],
  what: string,
  where: 'header' | 'column 1',
): void {
  const seen = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const earlier = seen.get(ids[i]);
    if (earlier !== undefined) {
      const at =
        where === 'header'
          ? `header columns ${earlier} and ${i + 2}`
          : `column 1, data rows ${earlier} and ${i + 1}`;
      throw invalidInput(path, `duplicate ${what} id '${ids[i]}' (${at})`, { found: ids[i] });
    }
    seen.set(ids[i], where === 'header' ? i + 2 : i + 1);
  }
}

/** CSR transpose by counting sort; rows of the result come out sorted. */
function transpose(m: CsrMatrix): CsrMatrix {
  const indptr = new Float64Array(m.nCols + 1);
  const nnz = m.indptr[m.nRows];
  for (let k = 0; k < nnz; k++) indptr[m.indices[k] + 1]++;
  for (let c = 0; c < m.nCols; c++) indptr[c + 1] += indptr[c];
  const next = indptr.slice(0, m.nCols);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const at = next[m.indices[k]]++;
      indices[at] = r;
      data[at] = m.data[k];
    }
  }
  return { nRows: m.nCols, nCols: m.nRows, indptr, indices, data };
}
