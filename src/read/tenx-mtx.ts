/**
 * Reader for 10x Genomics Cell Ranger MTX folders: `matrix.mtx`,
 * `features.tsv` (Cell Ranger 3+, with a feature-type column) or `genes.tsv`
 * (Cell Ranger 2), and `barcodes.tsv`, each gzipped or not, in any mix.
 *
 * @example
 * const data = await readTenxMtx('outs/filtered_feature_bc_matrix');
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { invalidInput, invalidParameter, ScgraphError } from '../errors.ts';
import { readAllLines, readLineBatches } from '../io/text.ts';
import type { CsrMatrix } from '../matrix/csr.ts';
import type { ExpressionData, ReadOptions } from './dataset.ts';
import { parseNumber } from './parse-number.ts';
import { categoricalFromLabels, stringColumn, tableOf } from './table.ts';

const DEFAULT_FEATURE_TYPES = ['Gene Expression'];

/** The three files of one MTX matrix. */
export interface TenxMtxFiles {
  readonly matrix: string;
  /** `features.tsv[.gz]` (Cell Ranger 3+) or `genes.tsv[.gz]` (Cell Ranger 2). */
  readonly features: string;
  readonly barcodes: string;
}

/**
 * Reads a Cell Ranger MTX folder (or the path of its `matrix.mtx[.gz]`).
 * The matrix is stored genes × cells; the result is cells × genes.
 * Only 'Gene Expression' features are kept unless `options.featureTypes`
 * says otherwise ('all' keeps every row); what was dropped is listed in
 * `warnings`. `geneIds` are the feature ids; `var` holds `gene_symbols` and
 * `feature_types`.
 */
export async function readTenxMtx(
  path: string,
  options: ReadOptions = {},
): Promise<ExpressionData> {
  const files = await locateTenxMtxFiles(path);
  const warnings: string[] = [];

  const features = await readFeatures(files.features);
  const barcodes = await readBarcodes(files.barcodes);
  const keep = selectFeatures(files.features, features, options.featureTypes, warnings);

  const keptIds: string[] = [];
  const keptSymbols: string[] = [];
  const keptTypes: string[] = [];
  const newIndex = new Int32Array(features.ids.length).fill(-1);
  for (let g = 0; g < features.ids.length; g++) {
    if (!keep[g]) continue;
    newIndex[g] = keptIds.length;
    keptIds.push(features.ids[g]);
    keptSymbols.push(features.symbols[g]);
    keptTypes.push(features.types[g]);
  }
  const geneIds = uniqueGeneIds(files.features, keptIds, keptSymbols, warnings);

  const X = await readMatrixMarket(
    files,
    features.ids.length,
    barcodes.length,
    newIndex,
    keptIds.length,
  );
  return {
    format: '10x-mtx',
    source: path,
    X,
    matrixName: 'matrix',
    cellIds: barcodes,
    geneIds,
    obs: new Map(),
    var: tableOf([
      ['gene_symbols', stringColumn(keptSymbols)],
      ['feature_types', categoricalFromLabels(keptTypes)],
    ]),
    obsm: new Map(),
    obsp: new Map(),
    warnings,
  };
}

/**
 * Finds the matrix, features and barcodes files of an MTX folder, or beside a
 * given `*matrix.mtx[.gz]`. A shared name prefix (GEO style,
 * `GSM123_matrix.mtx.gz` with `GSM123_barcodes.tsv.gz`) is followed.
 */
export async function locateTenxMtxFiles(path: string): Promise<TenxMtxFiles> {
  const info = await stat(path).catch((error) => {
    throw invalidInput(path, 'no such file or folder', {}, error);
  });
  let dir: string;
  let matrixName: string;
  if (info.isDirectory()) {
    dir = path;
    const names = await readdir(dir);
    const candidates = names.filter((n) => /matrix\.mtx(\.gz)?$/.test(n)).sort();
    const plain = candidates.find((n) => n === 'matrix.mtx.gz' || n === 'matrix.mtx');
    if (!plain && candidates.length !== 1) {
      const found = candidates.length ? `several candidates (${candidates.join(', ')})` : 'none';
      throw invalidInput(
        path,
        `not a 10x MTX folder: looked for matrix.mtx or matrix.mtx.gz, found ${found}`,
      );
    }
    matrixName = plain ?? candidates[0];
  } else {
    dir = dirname(path);
    matrixName = basename(path);
    if (!/\.mtx(\.gz)?$/.test(matrixName)) {
      throw invalidInput(path, 'expected a 10x MTX folder or a .mtx / .mtx.gz file');
    }
  }

  const prefix = matrixName.replace(/(matrix)?\.mtx(\.gz)?$/, '');
  const names = new Set(await readdir(dir));
  const pick = (stems: string[], what: string) => {
    const tried = stems.flatMap((s) => [`${prefix}${s}.gz`, `${prefix}${s}`]);
    const hit = tried.find((n) => names.has(n));
    if (!hit) {
      throw invalidInput(
        join(dir, matrixName),
        `${what} file is missing beside the matrix: looked for ${tried.join(', ')}`,
      );
    }
    return join(dir, hit);
  };
  return {
    matrix: join(dir, matrixName),
    features: pick(['features.tsv', 'genes.tsv'], 'features'),
    barcodes: pick(['barcodes.tsv'], 'barcodes'),
  };
}

interface Features {
  readonly ids: string[];
  readonly symbols: string[];
  readonly types: string[];
}

async function readFeatures(file: string): Promise<Features> {
  const ids: string[] = [];
  const symbols: string[] = [];
  const types: string[] = [];
  const lines = await readAllLines(file);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const fields = lines[i].split('\t');
    if (fields[0] === '') throw invalidInput(file, `line ${i + 1}: empty feature id`);
    ids.push(fields[0]);
    symbols.push(fields[1] ?? fields[0]);
    // Cell Ranger 2 genes.tsv has no type column: every row is a gene.
    types.push(fields[2] ?? 'Gene Expression');
  }
  return { ids, symbols, types };
}

async function readBarcodes(file: string): Promise<string[]> {
  const barcodes: string[] = [];
  const seen = new Map<string, number>();
  const lines = await readAllLines(file);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const barcode = lines[i].split('\t')[0];
    const earlier = seen.get(barcode);
    if (earlier !== undefined) {
      throw invalidInput(file, `duplicate barcode '${barcode}' on lines ${earlier} and ${i + 1}`, {
        found: barcode,
      });
    }
    seen.set(barcode, i + 1);
    barcodes.push(barcode);
  }
  return barcodes;
}

function selectFeatures(
  file: string,
  features: Features,
  wanted: ReadOptions['featureTypes'],
  warnings: string[],
): boolean[] {
  const counts = new Map<string, number>();
  for (const t of features.types) counts.set(t, (counts.get(t) ?? 0) + 1);
  if (wanted === 'all') return features.types.map(() => true);

  const keepTypes = new Set(wanted ?? DEFAULT_FEATURE_TYPES);
  const present = [...counts.keys()];
  if (!present.some((t) => keepTypes.has(t))) {
    const listing = present.map((t) => `'${t}' (${counts.get(t)})`).join(', ') || 'none';
    const message = `no features of type ${[...keepTypes].map((t) => `'${t}'`).join(', ')}; types present: ${listing}`;
    if (wanted) throw invalidParameter('featureTypes', `${message} in ${file}`);
    throw invalidInput(file, `${message}; pass featureTypes to choose`);
  }
  const dropped = present.filter((t) => !keepTypes.has(t));
  if (dropped.length > 0) {
    const listing = dropped.map((t) => `${counts.get(t)} '${t}'`).join(', ');
    warnings.push(
      `${basename(file)}: dropped ${listing} feature(s), kept ${[...keepTypes].join(', ')} (featureTypes: 'all' keeps every row)`,
    );
  }
  return features.types.map((t) => keepTypes.has(t));
}

/**
 * Feature ids are unique in real 10x output, so a repeat means a broken file.
 * One exception: a column that holds a single placeholder value for every
 * row (as Seurat's pbmc_small export does, 'ENSGXXXXXX') carries no ids at
 * all; the symbols are used instead, made unique as anndata does
 * (second 'X' becomes 'X-1').
 */
function uniqueGeneIds(
  file: string,
  ids: string[],
  symbols: string[],
  warnings: string[],
): string[] {
  const seen = new Set<string>();
  let duplicate: string | undefined;
  for (const id of ids) {
    if (seen.has(id)) {
      duplicate ??= id;
    }
    seen.add(id);
  }
  if (duplicate === undefined) return ids;
  if (seen.size > 1 || ids.length < 2) {
    throw invalidInput(
      file,
      `duplicate feature id '${duplicate}' (ids must be unique; symbols may repeat)`,
      {
        found: duplicate,
      },
    );
  }
  warnings.push(
    `${basename(file)}: every feature id is the placeholder '${duplicate}'; using gene symbols made unique as gene ids`,
  );
  return makeUnique(symbols);
}

/** anndata's var_names_make_unique: later repeats get '-1', '-2', ... */
export function makeUnique(names: readonly string[]): string[] {
  const taken = new Set(names);
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    let n = counts.get(name) ?? 0;
    let candidate: string;
    do {
      n++;
      candidate = `${name}-${n}`;
    } while (taken.has(candidate));
    counts.set(name, n);
    taken.add(candidate);
    return candidate;
  });
}

interface Header {
  readonly field: 'integer' | 'real' | 'pattern';
  readonly nRows: number;
  readonly nCols: number;
  readonly nnz: number;
}

/**
 * Reads the MatrixMarket coordinate file (genes × cells, 1-based) straight
 * into a cells × genes CSR, dropping rows whose `newIndex` is -1.
 */
async function readMatrixMarket(
  files: TenxMtxFiles,
  nFeatures: number,
  nBarcodes: number,
  newIndex: Int32Array,
  nGenes: number,
): Promise<CsrMatrix> {
  const file = files.matrix;
  let header: Header | undefined;
  let banner: string | undefined;
  let lineNo = 0;
  let count = 0;
  let cells = new Int32Array(0);
  let genes = new Int32Array(0);
  let values = new Float32Array(0);

  for await (const batch of readLineBatches(file)) {
    for (const line of batch) {
      lineNo++;
      if (header === undefined) {
        if (banner === undefined) {
          banner = line;
          continue;
        }
        if (line.startsWith('%') || line.trim() === '') continue;
        header = parseHeader(file, banner, line, lineNo);
        checkShape(files, header, nFeatures, nBarcodes);
        cells = new Int32Array(header.nnz);
        genes = new Int32Array(header.nnz);
        values = new Float32Array(header.nnz);
        continue;
      }
      if (line.length === 0 || line.charCodeAt(0) === 37 /* % */) continue;
      if (count === header.nnz) {
        throw invalidInput(
          file,
          `line ${lineNo}: more entries than the ${header.nnz} the size line declares`,
        );
      }
      const entry = fastEntry(line, header) ?? parseEntry(file, line, lineNo, header);
      genes[count] = entry.row;
      cells[count] = entry.col;
      values[count] = entry.value;
      count++;
    }
  }
  if (header === undefined) {
    throw invalidInput(
      file,
      'no MatrixMarket size line (rows cols entries) found; empty or truncated file',
    );
  }
  if (count < header.nnz) {
    throw invalidInput(
      file,
      `truncated: the size line declares ${header.nnz} entries, found ${count}`,
      {
        expected: String(header.nnz),
        found: String(count),
      },
    );
  }
  return tripletsToCsr(nBarcodes, nGenes, cells, genes, values, newIndex);
}

function parseHeader(file: string, banner: string, sizeLine: string, lineNo: number): Header {
  const words = banner.trim().toLowerCase().split(/\s+/);
  if (words[0] !== '%%matrixmarket' || words[1] !== 'matrix') {
    throw invalidInput(
      file,
      `line 1: not a MatrixMarket file (expected '%%MatrixMarket matrix coordinate ...', found '${banner.slice(0, 60)}')`,
    );
  }
  const [format, field, symmetry] = words.slice(2);
  if (format !== 'coordinate') {
    throw new ScgraphError(
      'unsupported',
      `MatrixMarket '${format}' format is not supported; 10x writes 'coordinate'`,
      { file },
    );
  }
  if (field !== 'integer' && field !== 'real' && field !== 'pattern') {
    throw new ScgraphError(
      'unsupported',
      `MatrixMarket field '${field}' is not supported (integer, real or pattern)`,
      { file },
    );
  }
  if (symmetry !== 'general') {
    throw new ScgraphError(
      'unsupported',
      `MatrixMarket symmetry '${symmetry}' is not supported; 10x writes 'general'`,
      { file },
    );
  }
  const size = sizeLine.trim().split(/\s+/).map(Number);
  if (size.length !== 3 || !size.every((n) => Number.isInteger(n) && n >= 0)) {
    throw invalidInput(
      file,
      `line ${lineNo}: expected the size line 'rows cols entries', found '${sizeLine.slice(0, 60)}'`,
    );
  }
  const [nRows, nCols, nnz] = size;
  if (nnz > nRows * nCols) {
    throw invalidInput(
      file,
      `line ${lineNo}: ${nnz} entries cannot fit a ${nRows} x ${nCols} matrix`,
    );
  }
  return { field, nRows, nCols, nnz };
}

function checkShape(
  files: TenxMtxFiles,
  header: Header,
  nFeatures: number,
  nBarcodes: number,
): void {
  const problems: string[] = [];
  if (header.nRows !== nFeatures) {
    problems.push(
      `${header.nRows} rows in ${basename(files.matrix)} but ${nFeatures} features in ${basename(files.features)}`,
    );
  }
  if (header.nCols !== nBarcodes) {
    problems.push(
      `${header.nCols} columns in ${basename(files.matrix)} but ${nBarcodes} barcodes in ${basename(files.barcodes)}`,
    );
  }
  if (problems.length > 0) {
    throw invalidInput(files.matrix, `shape mismatch: ${problems.join('; ')}`, {
      expected: `${nFeatures} x ${nBarcodes}`,
      found: `${header.nRows} x ${header.nCols}`,
    });
  }
}

const entry = { row: 0, col: 0, value: 0 };

/**
 * The common case, 'row col value' with plain decimal integers and single
 * blanks, parsed by character codes: several times faster than splitting.
 * Returns undefined for anything else, which `parseEntry` then parses or
 * reports with its line number.
 */
function fastEntry(line: string, header: Header): typeof entry | undefined {
  const n = line.length;
  let p = 0;
  let row = 0;
  let col = 0;
  let c = line.charCodeAt(p);
  if (c < 48 || c > 57) return undefined;
  for (; p < n && c >= 48 && c <= 57; c = line.charCodeAt(++p)) row = row * 10 + (c - 48);
  if (c !== 32 && c !== 9) return undefined;
  c = line.charCodeAt(++p);
  if (c < 48 || c > 57) return undefined;
  for (; p < n && c >= 48 && c <= 57; c = line.charCodeAt(++p)) col = col * 10 + (c - 48);
  if (row < 1 || row > header.nRows || col < 1 || col > header.nCols) return undefined;
  let value = 1;
  if (header.field !== 'pattern') {
    if (c !== 32 && c !== 9) return undefined;
    const start = ++p;
    c = line.charCodeAt(p);
    let v = 0;
    for (; p < n && c >= 48 && c <= 57; c = line.charCodeAt(++p)) v = v * 10 + (c - 48);
    if (p === start) return undefined;
    if (p < n) {
      // A decimal point or exponent: let Number() parse the whole token.
      if (c !== 46 && c !== 101 && c !== 69) return undefined;
      let end = p;
      while (end < n && line.charCodeAt(end) !== 32 && line.charCodeAt(end) !== 9) end++;
      if (end < n) return undefined;
      v = Number(line.slice(start, end));
      if (Number.isNaN(v)) return undefined;
    }
    value = v;
  } else if (p < n) {
    return undefined;
  }
  entry.row = row - 1;
  entry.col = col - 1;
  entry.value = value;
  return entry;
}

/** Parses 'row col [value]' into the shared `entry` (0-based indices). */
function parseEntry(file: string, line: string, lineNo: number, header: Header): typeof entry {
  const tokens = line.trim().split(/\s+/);
  const expected = header.field === 'pattern' ? 2 : 3;
  if (tokens.length !== expected) {
    throw invalidInput(
      file,
      `line ${lineNo}: expected ${expected} fields, found ${tokens.length} ('${line.slice(0, 60)}')`,
    );
  }
  const row = Number(tokens[0]);
  const col = Number(tokens[1]);
  if (!Number.isInteger(row) || row < 1 || row > header.nRows) {
    throw invalidInput(
      file,
      `line ${lineNo}: row index ${tokens[0]} is outside 1..${header.nRows}`,
    );
  }
  if (!Number.isInteger(col) || col < 1 || col > header.nCols) {
    throw invalidInput(
      file,
      `line ${lineNo}: column index ${tokens[1]} is outside 1..${header.nCols}`,
    );
  }
  let value = 1;
  if (expected === 3) {
    const parsed = parseNumber(tokens[2]);
    if (parsed === undefined) {
      throw invalidInput(file, `line ${lineNo}: value '${tokens[2]}' is not a number`);
    }
    value = parsed;
  }
  entry.row = row - 1;
  entry.col = col - 1;
  entry.value = value;
  return entry;
}

/**
 * Counting sort of (cell, gene, value) triplets by cell, then a per-row sort
 * only where a row is out of order; repeated coordinates are summed, as
 * scipy does when it converts COO to CSR.
 */
function tripletsToCsr(
  nCells: number,
  nGenes: number,
  cells: Int32Array,
  genes: Int32Array,
  values: Float32Array,
  newIndex: Int32Array,
): CsrMatrix {
  const counts = new Float64Array(nCells + 1);
  for (let k = 0; k < cells.length; k++) {
    if (newIndex[genes[k]] >= 0) counts[cells[k] + 1]++;
  }
  for (let i = 0; i < nCells; i++) counts[i + 1] += counts[i];
  const total = counts[nCells];
  const indices = new Int32Array(total);
  const data = new Float32Array(total);
  const next = counts.slice(0, nCells);
  for (let k = 0; k < cells.length; k++) {
    const g = newIndex[genes[k]];
    if (g < 0) continue;
    const at = next[cells[k]]++;
    indices[at] = g;
    data[at] = values[k];
  }
  return canonicalRows({ nRows: nCells, nCols: nGenes, indptr: counts, indices, data });
}

/** Sorts each row's columns and sums repeats; untouched when already canonical. */
function canonicalRows(m: CsrMatrix): CsrMatrix {
  let canonical = true;
  for (let r = 0; r < m.nRows && canonical; r++) {
    for (let k = m.indptr[r] + 1; k < m.indptr[r + 1]; k++) {
      if (m.indices[k] <= m.indices[k - 1]) {
        canonical = false;
        break;
      }
    }
  }
  if (canonical) return m;

  const indptr = new Float64Array(m.nRows + 1);
  const indices = new Int32Array(m.indices.length);
  const data = new Float32Array(m.data.length);
  let out = 0;
  for (let r = 0; r < m.nRows; r++) {
    const start = m.indptr[r];
    const end = m.indptr[r + 1];
    const order = Array.from({ length: end - start }, (_, i) => start + i);
    order.sort((a, b) => m.indices[a] - m.indices[b]);
    for (const k of order) {
      if (out > indptr[r] && indices[out - 1] === m.indices[k]) {
        data[out - 1] += m.data[k];
      } else {
        indices[out] = m.indices[k];
        data[out] = m.data[k];
        out++;
      }
    }
    indptr[r + 1] = out;
  }
  return {
    nRows: m.nRows,
    nCols: m.nCols,
    indptr,
    indices: indices.slice(0, out),
    data: data.slice(0, out),
  };
}
