/**
 * Reader for AnnData `.h5ad` files, from the 2018 layout (compound obs/var
 * tables, `h5sparse_format` matrices, categories in `uns`, `raw.X`) through
 * the 0.7 layout (`__categories`) to the current encoding-type layout.
 *
 * @example
 * const data = await readH5ad('pbmc.h5ad', { matrix: 'layers/counts' });
 */
import { invalidInput, invalidParameter } from '../errors.ts';
import {
  attribute,
  compoundMembers,
  type Dataset,
  dataset,
  entityAt,
  type Group,
  type H5File,
  isDataset,
  isGroup,
  isStringDataset,
  readCompound,
  readCompressedSparse,
  readDenseAsCsr,
  readFloat32,
  readFloat64,
  readStrings,
  shapeOf,
  withHdf5,
} from '../io/hdf5.ts';
import type { CsrMatrix, DenseMatrix } from '../matrix/csr.ts';
import type { Column, ExpressionData, ReadOptions, Table } from './dataset.ts';
import {
  booleanColumn,
  categoricalColumn,
  columnLength,
  numericColumn,
  requireLength,
  requireUniqueIds,
  stringColumn,
  tableOf,
} from './table.ts';

/** An obs/var table: row names plus columns in file order. */
interface Frame {
  readonly index: string[];
  readonly columns: Table;
}

/**
 * Reads an h5ad file into cells × genes CSR.
 *
 * `options.matrix` picks X: 'X' (default), 'raw' (raw/X with raw/var, or the
 * old root keys 'raw.X'/'raw.var'), or 'layers/<name>'. obsm keeps dense 2-D
 * embeddings; obsp keeps sparse or dense cell graphs, including the pre-0.7
 * graph under uns/neighbors.
 */
export async function readH5ad(path: string, options: ReadOptions = {}): Promise<ExpressionData> {
  return withHdf5(path, (file) => {
    const warnings: string[] = [];
    const choice = options.matrix ?? 'X';
    const { matrixPath, varPath } = locateMatrix(file, choice);
    const obs = readFrame(file, 'obs', warnings);
    const vars = readFrame(file, varPath, warnings);
    const obsm = entityAt(file, 'obsm');
    options.beforeMatrix?.({
      obs: [...obs.columns.keys()],
      obsm: isGroup(obsm) ? obsm.keys() : [],
      obsp: obspSources(file).map(([name]) => name),
    });
    const X = readMatrix(file, matrixPath);
    requireLength(path, 'obs', obs.index.length, X.nRows);
    requireLength(path, varPath, vars.index.length, X.nCols);
    requireUniqueIds(path, 'obs index (cell ids)', obs.index);
    requireUniqueIds(path, `${varPath} index (gene ids)`, vars.index);

    return {
      format: 'h5ad',
      source: path,
      X,
      matrixName: matrixPath,
      cellIds: obs.index,
      geneIds: vars.index,
      obs: obs.columns,
      var: vars.columns,
      obsm: readObsm(file, X.nRows, warnings),
      obsp: readObsp(file, X.nRows, warnings),
      warnings,
    };
  });
}

/** Where the chosen matrix and its gene table live; a bad choice lists what exists. */
function locateMatrix(file: H5File, choice: string): { matrixPath: string; varPath: string } {
  const rawGroup = isGroup(entityAt(file, 'raw')) && entityAt(file, 'raw/X') !== undefined;
  const rawOld = entityAt(file, 'raw.X') !== undefined;
  const layers = isGroup(entityAt(file, 'layers')) ? (file.get('layers') as Group).keys() : [];
  const available = [
    ...(entityAt(file, 'X') !== undefined ? ['X'] : []),
    ...(rawGroup || rawOld ? ['raw'] : []),
    ...layers.map((name) => `layers/${name}`),
  ];
  if (choice === 'X' && available.includes('X')) return { matrixPath: 'X', varPath: 'var' };
  if (choice === 'raw' && rawGroup) return { matrixPath: 'raw/X', varPath: 'raw/var' };
  if (choice === 'raw' && rawOld) return { matrixPath: 'raw.X', varPath: 'raw.var' };
  if (choice.startsWith('layers/') && layers.includes(choice.slice(7))) {
    return { matrixPath: choice, varPath: 'var' };
  }
  throw invalidParameter(
    'matrix',
    `'${choice}' is not in ${file.filename}; available: ${available.join(', ') || 'none'}`,
    { details: { available } },
  );
}

/** A matrix in any h5ad encoding (CSR/CSC group, old h5sparse group, dense dataset) as CSR. */
function readMatrix(file: H5File, path: string): CsrMatrix {
  const entity = entityAt(file, path);
  if (isDataset(entity)) {
    if (shapeOf(entity).length !== 2) {
      throw invalidInput(file.filename, 'expected a 2-D matrix', { field: path });
    }
    return readDenseAsCsr(entity, false);
  }
  if (!isGroup(entity)) throw invalidInput(file.filename, 'matrix not found', { field: path });
  const encoding = attribute(entity, 'encoding-type') ?? attribute(entity, 'h5sparse_format');
  const shape = (attribute(entity, 'shape') ?? attribute(entity, 'h5sparse_shape')) as
    | number[]
    | undefined;
  const layout =
    encoding === 'csr_matrix' || encoding === 'csr'
      ? 'csr'
      : encoding === 'csc_matrix' || encoding === 'csc'
        ? 'csc'
        : undefined;
  if (!layout || !Array.isArray(shape) || shape.length !== 2) {
    throw invalidInput(file.filename, `unsupported matrix encoding '${String(encoding)}'`, {
      field: path,
    });
  }
  return readCompressedSparse(file, path, layout, shape[0], shape[1]);
}

/** Reads obs/var (or raw/var, raw.var) in either the group or the compound layout. */
function readFrame(file: H5File, path: string, warnings: string[]): Frame {
  const entity = entityAt(file, path);
  if (isDataset(entity)) return readCompoundFrame(file, entity, warnings);
  if (!isGroup(entity)) {
    throw invalidInput(file.filename, 'table is missing', { field: path });
  }
  const indexName = String(attribute(entity, '_index') ?? '_index');
  const index = readIndex(file, `${path}/${indexName}`);
  const order = attribute(entity, 'column-order');
  const listed =
    typeof order === 'string' ? [order] : Array.isArray(order) ? order.map(String) : [];
  const names = listed.length
    ? listed
    : entity.keys().filter((k) => k !== indexName && k !== '__categories');
  const columns: [string, Column][] = [];
  for (const name of names) {
    const column = readFrameColumn(file, entity, name, index.length, warnings);
    if (column) columns.push([name, column]);
  }
  return { index, columns: tableOf(columns) };
}

function readIndex(file: H5File, path: string): string[] {
  const entity = entityAt(file, path);
  if (!isDataset(entity)) throw invalidInput(file.filename, 'index is missing', { field: path });
  if (isStringDataset(entity)) return readStrings(entity);
  return Array.from(readFloat64(entity), String);
}

/** One dataframe column in any anndata encoding, or undefined (with a warning) when unreadable. */
function readFrameColumn(
  file: H5File,
  frame: Group,
  name: string,
  nRows: number,
  warnings: string[],
): Column | undefined {
  const path = `${frame.path.replace(/^\//, '')}/${name}`;
  const entity = entityAt(file, path);
  let column: Column | undefined;
  if (isGroup(entity)) {
    const encoding = attribute(entity, 'encoding-type');
    if (encoding === 'categorical') {
      const codes = readFloat64(dataset(file, `${path}/codes`));
      column = categoricalColumn(codes, readLabels(dataset(file, `${path}/categories`)));
    } else if (encoding === 'nullable-string-array') {
      // Masked (missing) strings become empty strings; string columns have no missing marker.
      const values = readStrings(dataset(file, `${path}/values`));
      const mask = readFloat64(dataset(file, `${path}/mask`));
      column = stringColumn(values.map((v, i) => (mask[i] ? '' : v)));
    } else if (encoding === 'nullable-integer' || encoding === 'nullable-boolean') {
      const values = readFloat64(dataset(file, `${path}/values`));
      const mask = readFloat64(dataset(file, `${path}/mask`));
      column =
        encoding === 'nullable-integer'
          ? numericColumn(values.map((v, i) => (mask[i] ? Number.NaN : v)))
          : categoricalColumn(
              values.map((v, i) => (mask[i] ? -1 : v ? 1 : 0)),
              ['False', 'True'],
            );
    }
  } else if (isDataset(entity) && shapeOf(entity).length === 1) {
    column = readPlainColumn(file, frame, entity, name);
  }
  if (!column || columnLength(column) !== nRows) {
    warnings.push(`skipped column '${path}': ${column ? 'wrong length' : 'unsupported encoding'}`);
    return undefined;
  }
  return column;
}

/** A 1-D column dataset: strings, booleans, numbers, or codes whose categories live elsewhere. */
function readPlainColumn(file: H5File, frame: Group, ds: Dataset, name: string): Column {
  if (isStringDataset(ds)) return stringColumn(readStrings(ds));
  if (isBooleanEnum(ds)) return booleanColumn(readFloat64(ds));
  const values = readFloat64(ds);
  const integer = ds.metadata.type === 0;
  // anndata 0.7 keeps labels in <frame>/__categories/<name> (its 'categories'
  // attribute is an object reference, which h5wasm cannot follow safely);
  // older files keep them in uns/<name>_categories.
  const inFrame = entityAt(file, `${frame.path.replace(/^\//, '')}/__categories/${name}`);
  const inUns = entityAt(file, `uns/${name}_categories`);
  const categories = isDataset(inFrame) ? inFrame : isDataset(inUns) ? inUns : undefined;
  if (integer && categories) return categoricalColumn(values, readLabels(categories));
  return numericColumn(values, integer);
}

function isBooleanEnum(ds: Dataset): boolean {
  const members = ds.metadata.enum_type?.members;
  return members !== undefined && 'TRUE' in members && 'FALSE' in members;
}

/** Category labels; numeric categories (e.g. hours 0/24/48) become their decimal text. */
function readLabels(ds: Dataset): string[] {
  return isStringDataset(ds) ? readStrings(ds) : Array.from(readFloat64(ds), String);
}

/** The pre-0.7 obs/var layout: one compound dataset, 'index' field = row names. */
function readCompoundFrame(file: H5File, ds: Dataset, warnings: string[]): Frame {
  const { fields, rows } = readCompound(ds);
  const members = compoundMembers(ds);
  // Row names are the 'index' field, or the first field when none is named so.
  const at = Math.max(fields.indexOf('index'), 0);
  const index = rows.map((row) => String(row[at]).replace(/\0+$/, ''));
  const columns: [string, Column][] = [];
  members.forEach((member, i) => {
    if (i === at) return;
    const values = rows.map((row) => row[i]);
    if (member.type === 3) {
      columns.push([member.name, stringColumn(values.map((v) => String(v).replace(/\0+$/, '')))]);
      return;
    }
    if (member.type !== 0 && member.type !== 1) {
      warnings.push(`skipped column '${ds.path}/${member.name}': unsupported field type`);
      return;
    }
    const numbers = values.map(Number);
    const categories = entityAt(file, `uns/${member.name}_categories`);
    columns.push([
      member.name,
      isDataset(categories)
        ? categoricalColumn(numbers, readLabels(categories))
        : numericColumn(numbers, member.type === 0),
    ]);
  });
  return { index, columns: tableOf(columns) };
}

/** Dense 2-D obsm entries; dataframes, sparse and mis-sized entries are skipped with a warning. */
function readObsm(file: H5File, nCells: number, warnings: string[]): Map<string, DenseMatrix> {
  const out = new Map<string, DenseMatrix>();
  const group = entityAt(file, 'obsm');
  if (!isGroup(group)) return out;
  for (const name of group.keys()) {
    const entity = entityAt(file, `obsm/${name}`);
    const shape = isDataset(entity) ? shapeOf(entity) : [];
    if (!isDataset(entity) || shape.length !== 2 || isStringDataset(entity)) {
      const what = isGroup(entity)
        ? String(attribute(entity, 'encoding-type') ?? 'group')
        : 'entry';
      warnings.push(`skipped obsm '${name}': ${what} is not a dense 2-D array`);
      continue;
    }
    if (shape[0] !== nCells) {
      warnings.push(`skipped obsm '${name}': ${shape[0]} rows for ${nCells} cells`);
      continue;
    }
    const float32 = entity.metadata.type === 1 && entity.metadata.size === 4;
    const data = float32 ? readFloat32(entity) : readFloat64(entity);
    out.set(name, { nRows: shape[0], nCols: shape[1], data });
  }
  return out;
}

/** Each obsp graph's name and path, with the pre-0.7 uns/neighbors graphs that obsp lacks. */
function obspSources(file: H5File): [string, string][] {
  const sources: [string, string][] = [];
  const group = entityAt(file, 'obsp');
  if (isGroup(group)) for (const name of group.keys()) sources.push([name, `obsp/${name}`]);
  for (const name of ['connectivities', 'distances']) {
    const legacy = `uns/neighbors/${name}`;
    if (!sources.some(([n]) => n === name) && entityAt(file, legacy) !== undefined) {
      sources.push([name, legacy]);
    }
  }
  return sources;
}

/** obsp graphs (sparse or dense) plus the pre-0.7 uns/neighbors graphs when obsp lacks them. */
function readObsp(file: H5File, nCells: number, warnings: string[]): Map<string, CsrMatrix> {
  const out = new Map<string, CsrMatrix>();
  for (const [name, path] of obspSources(file)) {
    try {
      const graph = readMatrix(file, path);
      if (graph.nRows !== nCells || graph.nCols !== nCells) {
        warnings.push(
          `skipped graph '${path}': shape ${graph.nRows}×${graph.nCols}, not cells×cells`,
        );
        continue;
      }
      out.set(name, graph);
    } catch (error) {
      warnings.push(`skipped graph '${path}': ${error instanceof Error ? error.message : error}`);
    }
  }
  return out;
}
