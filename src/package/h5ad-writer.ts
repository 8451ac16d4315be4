import { rmSync } from 'node:fs';
import type { Group } from 'h5wasm/node';
import h5wasm from 'h5wasm/node';
import { invalidInput } from '../errors.ts';
import type { CsrMatrix, DenseMatrix } from '../matrix/csr.ts';
import type { Column, Table } from '../read/dataset.ts';
import { checkDataset } from './check-dataset.ts';
import { BOOL_PLACEHOLDER_DTYPE, patchBooleanPlaceholders } from './hdf5-bool.ts';
import type { CellGraph, GraphDataset } from './types.ts';
import { SPLIT_NAMES } from './types.ts';

/**
 * Write a dataset as an `.h5ad` file in the AnnData on-disk format that
 * anndata >= 0.8 reads (every element carries `encoding-type` and
 * `encoding-version`): X as csr_matrix, obs/var dataframes (label column and
 * 'split' as categoricals), obsm X_pca/spatial, obsp (connectivities,
 * distances, spatial_connectivities, spatial_distances), and uns with
 * scanpy's 'neighbors', squidpy's 'spatial_neighbors' and our 'scgraph'
 * build parameters. Numeric arrays are gzip-compressed (level 1) in chunks of
 * about 1 MiB whose shape depends only on the array shape, except float
 * embeddings and graph weights, which barely compress and are stored as is.
 *
 * The bytes depend only on the dataset: see `withFixedClock` for the one
 * source of time HDF5 has. On error the file is removed.
 */
export async function writeH5ad(
  path: string,
  dataset: GraphDataset,
  options: { sliceBytes?: number } = {},
): Promise<void> {
  checkDataset(dataset);
  return writeCheckedH5ad(path, dataset, options);
}

/** writeH5ad for a dataset the caller has already passed through `checkDataset`. */
export async function writeCheckedH5ad(
  path: string,
  dataset: GraphDataset,
  options: { sliceBytes?: number } = {},
): Promise<void> {
  await h5wasm.ready;
  try {
    withFixedClock(() => {
      const file = new h5wasm.File(path, 'w');
      sliceBytes = options.sliceBytes ?? SLICE_BYTES;
      try {
        writeAnnData(file, dataset);
      } finally {
        sliceBytes = SLICE_BYTES;
        file.close();
      }
    });
    patchBooleanPlaceholders(path);
  } catch (error) {
    rmSync(path, { force: true });
    throw error;
  }
}

/**
 * HDF5 stamps every object header with access/modification/change/birth
 * times, and h5wasm exposes no switch for it: `H5Pset_obj_track_times` is not
 * among the wasm exports (only ~40 H5* symbols are; checked in h5wasm 0.10.3),
 * File options offer only `track_order` and `libver`, and no library-version
 * bound avoids the stamps (v1 object headers get a modification-time message
 * instead). The wasm clock is `Date.now()` (emscripten's `time()` →
 * `clock_time_get` → `_emscripten_date_now`), and all h5wasm calls are
 * synchronous, so pinning `Date.now` for the duration of the write makes every
 * stamp this constant without affecting any other code: nothing else can run
 * until the synchronous block returns. The determinism test catches it should
 * a future h5wasm take time from elsewhere.
 */
const FIXED_TIME_MS = 0;

function withFixedClock(write: () => void): void {
  const realNow = Date.now;
  Date.now = () => FIXED_TIME_MS;
  try {
    write();
  } finally {
    Date.now = realNow;
  }
}

function writeAnnData(file: Group, dataset: GraphDataset): void {
  const name = dataset.name;
  setEncoding(file, 'anndata', '0.1.0');
  writeCsr(file, 'X', dataset.X, true);
  writeDataframe(file, 'obs', dataset.cellIds, obsTable(dataset), name);
  writeDataframe(file, 'var', dataset.geneIds, dataset.var, name);

  const obsm = dictGroup(file, 'obsm');
  if (dataset.pca) writeDense(obsm, 'X_pca', dataset.pca);
  if (dataset.spatial) writeDense(obsm, 'spatial', dataset.spatial);

  const obsp = dictGroup(file, 'obsp');
  if (dataset.graph) {
    writeCsr(obsp, 'connectivities', dataset.graph.connectivities, false);
    writeCsr(obsp, 'distances', dataset.graph.distances, false);
  }
  if (dataset.spatialGraph) {
    writeCsr(obsp, 'spatial_connectivities', dataset.spatialGraph.connectivities, false);
    writeCsr(obsp, 'spatial_distances', dataset.spatialGraph.distances, false);
  }
  for (const key of ['varm', 'varp', 'layers']) dictGroup(file, key);

  const uns = dictGroup(file, 'uns');
  if (dataset.graph) writeDict(uns, 'neighbors', neighborsUns(dataset.graph, dataset), name);
  if (dataset.spatialGraph) {
    writeDict(uns, 'spatial_neighbors', spatialNeighborsUns(dataset.spatialGraph), name);
  }
  writeDict(uns, 'scgraph', dataset.uns, name);
}

/** obs as given, plus the label column and 'split' as categoricals when the dataset has them. */
function obsTable(dataset: GraphDataset): Table {
  const table = new Map<string, Column>(dataset.obs);
  const { labels, split } = dataset;
  if (labels && !table.has(labels.column)) {
    table.set(labels.column, {
      kind: 'categorical',
      codes: labels.codes,
      categories: labels.names,
    });
  }
  if (split) {
    // The assignment is the source of truth; an existing 'split' column is replaced in place.
    table.set('split', {
      kind: 'categorical',
      codes: Int32Array.from(split.assignment),
      categories: SPLIT_NAMES,
    });
  }
  return table;
}

/** What scanpy's `pp.neighbors` records, so `sc.tl.umap`/`leiden` find the graph. */
function neighborsUns(graph: CellGraph, dataset: GraphDataset): Record<string, unknown> {
  const p = graph.params;
  return {
    connectivities_key: 'connectivities',
    distances_key: 'distances',
    params: {
      n_neighbors: p.n_neighbors ?? p.k ?? null,
      method: p.method ?? 'umap',
      metric: p.metric ?? 'euclidean',
      n_pcs: p.n_pcs ?? dataset.pca?.nCols ?? null,
      random_state: p.random_state ?? p.seed ?? 0,
    },
  };
}

/** What squidpy's `gr.spatial_neighbors` records. */
function spatialNeighborsUns(graph: CellGraph): Record<string, unknown> {
  return {
    connectivities_key: 'spatial_connectivities',
    distances_key: 'spatial_distances',
    params: { kind: graph.kind, ...graph.params },
  };
}

function setEncoding(
  group: Group | ReturnType<Group['create_dataset']>,
  type: string,
  version: string,
) {
  group.create_attribute('encoding-type', type);
  group.create_attribute('encoding-version', version);
}

function dictGroup(parent: Group, key: string): Group {
  const group = parent.create_group(key);
  setEncoding(group, 'dict', '0.1.0');
  return group;
}

type NumericArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array;

/** Aim for chunks of about this many bytes; whole rows, so the shape depends only on the array's. */
const CHUNK_BYTES = 1 << 20;
// Level 1: on the 50k HVG matrix zlib deflates 2.2× faster than at 4 for files 13-17% larger.
const GZIP_LEVEL = 1;

/**
 * Arrays above this many bytes go into the wasm heap a slice at a time: h5wasm
 * copies whatever it writes into its heap, which cannot hold a 1M-cell X.
 */
const SLICE_BYTES = 1 << 28;
/** SLICE_BYTES, or a test's smaller value for the duration of one (synchronous) write. */
let sliceBytes = SLICE_BYTES;

function writeArray(
  group: Group,
  key: string,
  data: NumericArray,
  shape: number[],
  deflate = true,
): void {
  const layout = compression(shape, data.BYTES_PER_ELEMENT, deflate);
  if (data.byteLength <= sliceBytes || !layout.chunks) {
    // Contiguous when not deflated: chunks only serve the filter (and slicing, below).
    const dataset = group.create_dataset({ name: key, data, shape, ...(deflate ? layout : {}) });
    setEncoding(dataset, 'array', '0.2.0');
    return;
  }
  // Whole chunks per slice, so no chunk is compressed twice.
  const rowValues = shape.slice(1).reduce((a, b) => a * b, 1);
  const chunkRows = layout.chunks[0];
  const sliceRows =
    chunkRows *
    Math.max(1, Math.floor(sliceBytes / (data.BYTES_PER_ELEMENT * rowValues * chunkRows)));
  const rows = shape[0];
  const first = Math.min(rows, sliceRows);
  const dataset = group.create_dataset({
    name: key,
    data: data.subarray(0, first * rowValues),
    shape: [first, ...shape.slice(1)],
    maxshape: shape,
    ...layout,
  });
  dataset.resize(shape);
  for (let start = first; start < rows; start += sliceRows) {
    const end = Math.min(rows, start + sliceRows);
    dataset.write_slice(
      [[start, end], ...shape.slice(1).map((d): [number, number] => [0, d])],
      data.subarray(start * rowValues, end * rowValues),
    );
  }
  setEncoding(dataset, 'array', '0.2.0');
}

/** Chunks of about CHUNK_BYTES, deflated or not; none for empty arrays and scalars. */
function compression(
  shape: readonly number[],
  itemSize: number,
  deflate: boolean,
): { chunks?: number[]; compression?: 'gzip'; compression_opts?: number } {
  // HDF5 cannot chunk an empty array; scalars have nothing to compress.
  if (shape.length === 0 || shape.some((d) => d === 0)) return {};
  const rowBytes = itemSize * shape.slice(1).reduce((a, b) => a * b, 1);
  const rows = Math.max(1, Math.min(shape[0], Math.floor(CHUNK_BYTES / rowBytes)));
  const chunks = [rows, ...shape.slice(1)];
  return deflate ? { chunks, compression: 'gzip', compression_opts: GZIP_LEVEL } : { chunks };
}

function writeStringArray(group: Group, key: string, values: readonly string[]): void {
  const dataset = group.create_dataset({
    name: key,
    data: [...values],
    shape: [values.length],
    dtype: 'S',
  });
  setEncoding(dataset, 'string-array', '0.2.0');
}

function writeBoolArray(group: Group, key: string, values: Uint8Array): void {
  const dataset = group.create_dataset({
    name: key,
    data: new Map([[BOOL_PLACEHOLDER_DTYPE[0][0], Array.from(values, (v) => (v ? 1 : 0))]]),
    shape: [values.length],
    dtype: BOOL_PLACEHOLDER_DTYPE,
  });
  setEncoding(dataset, 'array', '0.2.0');
}

/**
 * `deflateData`: false for graph weights and distances, whose float32 values
 * deflate to only ~86% of their size (50k synthetic cells) at ~17 ms per MB.
 */
function writeCsr(parent: Group, key: string, m: CsrMatrix, deflateData: boolean): void {
  const group = parent.create_group(key);
  setEncoding(group, 'csr_matrix', '0.1.0');
  group.create_attribute('shape', BigInt64Array.of(BigInt(m.nRows), BigInt(m.nCols)), [2]);
  const nnz = m.indptr[m.nRows];
  writeArray(group, 'data', m.data, [nnz], deflateData);
  // One index type for both, as scipy keeps it: mixed int32/int64 breaks tocoo() and nonzero().
  if (nnz <= INT32_MAX && m.nCols <= INT32_MAX) {
    writeArray(group, 'indices', m.indices, [nnz]);
    writeArray(group, 'indptr', Int32Array.from(m.indptr), [m.nRows + 1]);
  } else {
    writeArray(group, 'indices', toInt64(Float64Array.from(m.indices)), [nnz]);
    writeArray(group, 'indptr', toInt64(m.indptr), [m.nRows + 1]);
  }
}

const INT32_MAX = 2 ** 31 - 1;

/** Non-negative whole numbers below 2^53 as int64, written as (low, high) words: no BigInt per value. */
function toInt64(values: Float64Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    words[2 * i] = v % 0x100000000;
    words[2 * i + 1] = Math.floor(v / 0x100000000);
  }
  return out;
}

/** Stored without deflate: embeddings shrink to only ~93% (X_pca, 50k cells) at ~35 ms per MB. */
function writeDense(parent: Group, key: string, m: DenseMatrix): void {
  writeArray(parent, key, m.data, [m.nRows, m.nCols], false);
}

function writeDataframe(
  parent: Group,
  key: string,
  index: readonly string[],
  table: Table,
  file: string,
): void {
  const group = parent.create_group(key);
  setEncoding(group, 'dataframe', '0.2.0');
  group.create_attribute('_index', '_index');
  const names = [...table.keys()];
  for (const name of names) checkKey(name, `${key}.${name}`, file);
  if (names.includes('_index')) {
    throw invalidInput(file, "'_index' is reserved by AnnData for the row names", { field: key });
  }
  if (names.length > 0) {
    group.create_attribute('column-order', names, [names.length], 'S');
  } else {
    // h5wasm cannot write an empty string attribute (HDF5 gets a NULL buffer); h5py writes
    // an empty list as an empty float64 array too, and anndata reads either as no columns.
    group.create_attribute('column-order', new Float64Array(0), [0]);
  }
  writeStringArray(group, '_index', index);
  for (const [name, column] of table) writeColumn(group, name, column);
}

function writeColumn(group: Group, name: string, column: Column): void {
  switch (column.kind) {
    case 'numeric':
      writeArray(group, name, column.values, [column.values.length]);
      return;
    case 'integer': {
      const { values } = column;
      // A missing value has no int64 form; such a column stays float64 with NaN, as pandas would.
      const whole = values.every((v) => Number.isSafeInteger(v));
      const data = whole ? BigInt64Array.from(values, (v) => BigInt(v)) : values;
      writeArray(group, name, data, [values.length]);
      return;
    }
    case 'boolean':
      writeBoolArray(group, name, column.values);
      return;
    case 'string':
      writeStringArray(group, name, column.values);
      return;
    case 'categorical':
      writeCategorical(group, name, column.codes, column.categories);
      return;
  }
}

function writeCategorical(
  parent: Group,
  key: string,
  codes: Int32Array,
  categories: readonly string[],
): void {
  const group = parent.create_group(key);
  setEncoding(group, 'categorical', '0.2.0');
  group.create_attribute('ordered', placeholderBool(false), [], BOOL_PLACEHOLDER_DTYPE);
  // The narrowest signed type that holds the codes, as pandas stores them.
  const k = categories.length;
  const narrow = k < 0x80 ? Int8Array.from(codes) : k < 0x8000 ? Int16Array.from(codes) : codes;
  writeArray(group, 'codes', narrow, [codes.length]);
  writeStringArray(group, 'categories', categories);
}

function placeholderBool(value: boolean): Map<string, number[]> {
  return new Map([[BOOL_PLACEHOLDER_DTYPE[0][0], [value ? 1 : 0]]]);
}

/**
 * A nested record as an AnnData 'dict': strings become 'string' scalars,
 * numbers and booleans 'numeric-scalar', arrays of one kind 'array' or
 * 'string-array', records nested dicts. null and undefined are left out
 * (AnnData has no None); anything else is stored as its JSON text.
 */
function writeDict(
  parent: Group,
  key: string,
  record: Readonly<Record<string, unknown>>,
  file: string,
) {
  checkKey(key, key, file);
  const group = dictGroup(parent, key);
  for (const [name, value] of Object.entries(record)) writeValue(group, name, value, file);
}

function writeValue(group: Group, key: string, value: unknown, file: string): void {
  if (value === null || value === undefined) return;
  checkKey(key, key, file);
  if (typeof value === 'string') {
    writeString(group, key, value);
  } else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    writeScalar(group, key, value);
  } else if (isNumericArray(value)) {
    writeArray(group, key, value, [value.length]);
  } else if (Array.isArray(value) && value.length > 0 && writeList(group, key, value)) {
    // written as an array of one kind
  } else if (isRecord(value)) {
    writeDict(group, key, value, file);
  } else {
    // Mixed or empty lists and other shapes have no AnnData element; keep them readable as JSON.
    writeString(group, key, JSON.stringify(value));
  }
}

/** A list whose items are all strings, all numbers or all booleans; false for anything else. */
function writeList(group: Group, key: string, list: unknown[]): boolean {
  if (list.every((v) => typeof v === 'string')) {
    writeStringArray(group, key, list);
  } else if (list.every((v) => typeof v === 'number')) {
    const data = list.every(Number.isSafeInteger)
      ? BigInt64Array.from(list, (v) => BigInt(v))
      : Float64Array.from(list);
    writeArray(group, key, data, [list.length]);
  } else if (list.every((v) => typeof v === 'boolean')) {
    writeBoolArray(group, key, Uint8Array.from(list, Number));
  } else {
    return false;
  }
  return true;
}

function writeString(group: Group, key: string, value: string): void {
  const dataset = group.create_dataset({ name: key, data: value, shape: [], dtype: 'S' });
  setEncoding(dataset, 'string', '0.2.0');
}

function isNumericArray(value: unknown): value is NumericArray {
  return (
    value instanceof Float32Array ||
    value instanceof Float64Array ||
    value instanceof Int8Array ||
    value instanceof Int16Array ||
    value instanceof Int32Array ||
    value instanceof BigInt64Array
  );
}

function writeScalar(group: Group, key: string, value: number | bigint | boolean): void {
  let dataset: ReturnType<Group['create_dataset']>;
  if (typeof value === 'boolean') {
    dataset = group.create_dataset({
      name: key,
      data: placeholderBool(value),
      shape: [],
      dtype: BOOL_PLACEHOLDER_DTYPE,
    });
  } else if (typeof value === 'bigint' || Number.isSafeInteger(value)) {
    dataset = group.create_dataset({ name: key, data: BigInt64Array.of(BigInt(value)), shape: [] });
  } else {
    dataset = group.create_dataset({ name: key, data: Float64Array.of(value), shape: [] });
  }
  setEncoding(dataset, 'numeric-scalar', '0.2.0');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map)
  );
}

/** HDF5 reads '/' as a path separator, so a key holding one would land somewhere else. */
function checkKey(key: string, field: string, file: string): void {
  if (key === '' || key.includes('/')) {
    throw invalidInput(file, `name '${key}' cannot be an HDF5 key (empty or containing '/')`, {
      field,
    });
  }
}
