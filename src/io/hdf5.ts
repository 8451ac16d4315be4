/**
 * HDF5 access for the readers (h5ad, 10x HDF5, Loom) on top of h5wasm.
 *
 * h5wasm keeps everything in a wasm heap capped at 4 GiB, so large datasets
 * are read in slices of at most `SLICE_VALUES` values. A dataset whose
 * compression filter is not available would corrupt the wasm module when
 * read, so every read checks the filters first and refuses cleanly.
 *
 * @example
 * const names = await withHdf5('pbmc.h5ad', (file) => readStrings(file, dataset(file, 'obs/_index')));
 */
import { access, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset, Entity, Group, File as H5File } from 'h5wasm/node';
import h5wasm from 'h5wasm/node';
import { invalidInput, ScgraphError } from '../errors.ts';
import type { CsrMatrix } from '../matrix/csr.ts';
import { sortRowByColumn } from '../matrix/csr-ops.ts';
import { allocate, type BlockKernel, planRowBlocks, runRowBlocks } from '../matrix/row-blocks.ts';

export type { Dataset, Group, H5File };

/** Values per slice: 4M values keeps a float64 slice at 32 MiB of wasm heap. */
export const SLICE_VALUES = 4 * 1024 * 1024;

const SIGNATURE = Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a);

// Filters built into h5wasm's HDF5 plus those shipped by h5wasm-plugins.
const KNOWN_FILTERS = new Map<number, string>([
  [1, 'gzip'],
  [2, 'shuffle'],
  [3, 'fletcher32'],
  [4, 'szip'],
  [5, 'nbit'],
  [6, 'scaleoffset'],
  [307, 'bzip2'],
  [32000, 'lzf'],
  [32001, 'blosc'],
  [32004, 'lz4'],
  [32008, 'bitshuffle'],
  [32013, 'zfp'],
  [32015, 'zstd'],
  [32017, 'bitgroom'],
  [32019, 'jpeg'],
  [32022, 'bitround'],
  [32026, 'blosc2'],
]);

let setup: Promise<void> | undefined;

/** The subset of the Emscripten module the direct numeric read uses. */
interface WasmModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  get_dataset_data(
    fileId: bigint,
    path: string,
    count: bigint[] | null,
    offset: bigint[] | null,
    strides: bigint[] | null,
    ptr: bigint,
  ): number;
}
let wasm: WasmModule | undefined;

/** Loads h5wasm once: errors thrown (not printed), compression plugins on the search path. */
function ensureReady(): Promise<void> {
  setup ??= h5wasm.ready.then((module) => {
    wasm = module as unknown as WasmModule;
    module.activate_throwing_error_handler();
    const pluginsIndex = fileURLToPath(import.meta.resolve('h5wasm-plugins'));
    module.insert_plugin_search_path(resolve(dirname(pluginsIndex), 'plugins'), 0);
  });
  return setup;
}

/**
 * Opens an HDF5 file read-only after checking it exists and carries the HDF5
 * signature (at offset 0; user blocks are not supported). Failures become
 * ScgraphError('invalid-input') naming the file. The caller must close it;
 * prefer `withHdf5`.
 */
export async function openHdf5(path: string): Promise<H5File> {
  await ensureReady();
  const absolute = resolve(path);
  try {
    await access(absolute);
  } catch (cause) {
    throw invalidInput(path, 'file does not exist or cannot be read', {}, cause);
  }
  const head = new Uint8Array(8);
  const handle = await open(absolute, 'r');
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  if (!head.every((byte, i) => byte === SIGNATURE[i])) {
    throw invalidInput(path, 'not an HDF5 file (missing HDF5 signature)');
  }
  try {
    const file = new h5wasm.File(absolute, 'r');
    // Messages name the file as the user gave it; h5wasm only keeps this for display.
    file.filename = path;
    return file;
  } catch (cause) {
    throw invalidInput(path, `cannot open HDF5 file (${hdf5Reason(cause)})`, {}, cause);
  }
}

/**
 * Opens `path`, runs `read` on it and always closes the file. Non-ScgraphError
 * failures inside `read` (a truncated dataset, a bad chunk) become
 * invalid-input errors naming the file.
 */
export async function withHdf5<T>(
  path: string,
  read: (file: H5File) => T | Promise<T>,
): Promise<T> {
  const file = await openHdf5(path);
  try {
    return await read(file);
  } catch (error) {
    if (error instanceof ScgraphError) {
      const aboutFile = error.kind === 'invalid-input' || error.kind === 'unsupported';
      throw aboutFile && !error.file ? withFile(error, path) : error;
    }
    throw invalidInput(path, `cannot read HDF5 data (${hdf5Reason(error)})`, {}, error);
  } finally {
    file.close();
  }
}

/** Dataset-level helpers know only the dataset path; this adds the file the user named. */
function withFile(error: ScgraphError, path: string): ScgraphError {
  const prefix = error.field ? `'${error.field}': ` : '';
  const message = error.message.startsWith(prefix)
    ? error.message.slice(prefix.length)
    : error.message;
  const { kind, field, expected, found, details } = error;
  return new ScgraphError(
    kind,
    message,
    { file: path, field, expected, found, details },
    error.cause,
  );
}

/** The most specific line of an HDF5 error stack, not the whole trace. */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const frames = [...text.matchAll(/#\d+: .*? in [\w]+\(\): (.*)$/gm)];
  const last = frames.at(-1)?.[1]?.trim();
  return last || text.split('\n')[0].slice(0, 200);
}

/** The entity at `path`, or undefined when nothing is there. */
export function entityAt(file: H5File, path: string): Entity | undefined {
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  if (parent && !isGroup(entityAt(file, parent))) return undefined;
  const base = parent ? (file.get(parent) as Group) : file;
  if (!base.keys().includes(path.slice(path.lastIndexOf('/') + 1))) return undefined;
  return file.get(path) ?? undefined;
}

export function isGroup(entity: Entity | null | undefined): entity is Group {
  return entity instanceof h5wasm.Group;
}

export function isDataset(entity: Entity | null | undefined): entity is Dataset {
  return entity instanceof h5wasm.Dataset;
}

/** The dataset at `path`; throws invalid-input naming the path when it is missing. */
export function dataset(file: H5File, path: string): Dataset {
  const entity = entityAt(file, path);
  if (!isDataset(entity)) {
    throw invalidInput(file.filename, 'expected an HDF5 dataset here', { field: path });
  }
  return entity;
}

/** An attribute's value as plain JS (strings decoded, numbers as numbers), or undefined. */
export function attribute(entity: Dataset | Group, name: string): unknown {
  if (!Object.hasOwn(entity.attrs, name)) return undefined;
  const value = entity.get_attribute(name, false);
  return plain(value);
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
    return Array.from(value, Number);
  }
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'string') return value.replace(/\0+$/, '');
  return value;
}

/** The dataset's shape (an empty array for a scalar). */
export function shapeOf(ds: Dataset): number[] {
  return ds.shape ?? [];
}

/** True for string datasets (fixed or variable length). */
export function isStringDataset(ds: Dataset): boolean {
  return ds.metadata.type === 3;
}

/** Refuses, before any read, a dataset compressed with a filter h5wasm cannot decode. */
function checkFilters(ds: Dataset): void {
  for (const filter of ds.filters) {
    if (!KNOWN_FILTERS.has(filter.id)) {
      throw new ScgraphError(
        'unsupported',
        `compressed with HDF5 filter ${filter.id} (${filter.name || 'unknown'}), which this reader cannot decode; re-save it with gzip`,
        { field: ds.path },
      );
    }
  }
}

type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** Reads values [start, end) along the first axis (all of the other axes). */
function sliceRaw(ds: Dataset, start: number, end: number): unknown {
  checkFilters(ds);
  const rank = shapeOf(ds).length;
  if (rank === 0) return ds.value;
  const ranges: [number, number][] = [[start, end]];
  for (let axis = 1; axis < rank; axis++) ranges.push([0, shapeOf(ds)[axis]]);
  return ds.slice(ranges);
}

function asNumbers(ds: Dataset, raw: unknown): NumericArray {
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) return raw as NumericArray;
  if (typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean') {
    return Float64Array.of(Number(raw));
  }
  throw new ScgraphError('invalid-input', 'expected numeric values', { field: ds.path });
}

/**
 * Reads rows [start, end) of a numeric dataset (all values when omitted) as
 * the stored typed array. 64-bit integers come back as BigInt64Array.
 */
export function readNumeric(ds: Dataset, start = 0, end = shapeOf(ds)[0] ?? 1): NumericArray {
  return asNumbers(ds, sliceRaw(ds, start, end));
}

/** Values per first-axis row of a dataset (1 for 1-D). */
function rowWidth(ds: Dataset): number {
  return shapeOf(ds)
    .slice(1)
    .reduce((a, b) => a * b, 1);
}

/**
 * Calls `visit` with consecutive slices of a dataset along its first axis,
 * each of at most about `sliceValues` values (default `SLICE_VALUES`), and
 * the first row of each.
 */
export function forEachSlice(
  ds: Dataset,
  visit: (values: NumericArray, firstRow: number) => void,
  start = 0,
  end = shapeOf(ds)[0] ?? 1,
  sliceValues = SLICE_VALUES,
): void {
  const rowsPerSlice = Math.max(1, Math.floor(sliceValues / Math.max(1, rowWidth(ds))));
  for (let row = start; row < end; row += rowsPerSlice) {
    visit(readNumeric(ds, row, Math.min(end, row + rowsPerSlice)), row);
  }
}

/** A whole numeric 1-D dataset (or range) as Float64Array, read in slices. */
export function readFloat64(ds: Dataset, start = 0, end = shapeOf(ds)[0] ?? 1): Float64Array {
  return readInto(ds, new Float64Array((end - start) * rowWidth(ds)), start, end);
}

/** A whole numeric dataset (or range) as Float32Array, read in slices (shared memory when large). */
export function readFloat32(ds: Dataset, start = 0, end = shapeOf(ds)[0] ?? 1): Float32Array {
  return readInto(ds, allocate(Float32Array, (end - start) * rowWidth(ds)), start, end);
}

/** A whole integer dataset (or range) as Int32Array, read in slices (shared memory when large). */
export function readInt32(ds: Dataset, start = 0, end = shapeOf(ds)[0] ?? 1): Int32Array {
  return readInto(ds, allocate(Int32Array, (end - start) * rowWidth(ds)), start, end);
}

/**
 * Fills `out` with rows [start, end) of a numeric dataset, slice by slice.
 * Little-endian integers and floats of up to 32 bits, and float64, are read
 * by HDF5 into one reused wasm buffer and converted straight into `out`:
 * h5wasm's own slice() copies each slice out of the heap first, which on a
 * 200k-cell matrix was a third of the read time. Anything else goes through
 * slice().
 */
function readInto<T extends Float64Array | Float32Array | Int32Array>(
  ds: Dataset,
  out: T,
  start: number,
  end: number,
): T {
  const width = rowWidth(ds);
  const view = heapView(ds);
  if (!view || !wasm || ds.metadata.vlen || end <= start) {
    forEachSlice(ds, (values, row) => copyInto(out, values, (row - start) * width), start, end);
    return out;
  }
  checkFilters(ds);
  const module = wasm;
  const shape = shapeOf(ds);
  const rowsPerSlice = Math.max(1, Math.floor(SLICE_VALUES / Math.max(1, width)));
  const bytes = Math.min(rowsPerSlice, end - start) * width * view.BYTES_PER_ELEMENT;
  const ptr = module._malloc(bytes);
  if (ptr === 0) throw new ScgraphError('invalid-input', 'out of wasm memory', { field: ds.path });
  try {
    for (let row = start; row < end; row += rowsPerSlice) {
      const rows = Math.min(end, row + rowsPerSlice) - row;
      const count = [BigInt(rows), ...shape.slice(1).map(BigInt)];
      const offset = [BigInt(row), ...shape.slice(1).map(() => 0n)];
      const strides = shape.map(() => 1n);
      module.get_dataset_data(ds.file_id, ds.path, count, offset, strides, BigInt(ptr));
      // The heap may have grown (and moved) during the read: take the buffer afterwards.
      out.set(
        new view(module.HEAPU8.buffer as ArrayBuffer, ptr, rows * width),
        (row - start) * width,
      );
    }
  } finally {
    module._free(ptr);
  }
  return out;
}

type HeapArray =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** The typed array matching the dataset's stored numbers, or undefined for other types. */
function heapView(ds: Dataset): HeapArray | undefined {
  const { type, size, signed, littleEndian, shape } = ds.metadata;
  if (!littleEndian || !shape || shape.length === 0) return undefined;
  if (type === 1) return size === 4 ? Float32Array : size === 8 ? Float64Array : undefined;
  if (type !== 0) return undefined;
  if (size === 1) return signed ? Int8Array : Uint8Array;
  if (size === 2) return signed ? Int16Array : Uint16Array;
  if (size === 4) return signed ? Int32Array : Uint32Array;
  return undefined;
}

function copyInto(
  out: Float64Array | Float32Array | Int32Array,
  values: NumericArray,
  offset: number,
): void {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) out[offset + i] = Number(values[i]);
  } else {
    out.set(values, offset);
  }
}

/**
 * A string dataset as UTF-8 strings (fixed or variable length; trailing NUL
 * padding removed, never "b'...'").
 */
export function readStrings(ds: Dataset): string[] {
  checkFilters(ds);
  if (!isStringDataset(ds)) {
    throw new ScgraphError('invalid-input', 'expected a string dataset', { field: ds.path });
  }
  const raw = ds.value;
  const values = Array.isArray(raw) ? raw : [raw];
  return values.map(decodeString);
}

const utf8 = new TextDecoder('utf-8');

/** One stored string value as text: h5wasm gives strings, byte arrays are decoded. */
export function decodeString(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\0+$/, '');
  if (value instanceof Uint8Array) return utf8.decode(value).replace(/\0+$/, '');
  if (value === null || value === undefined) return '';
  return String(value);
}

/** Reads a compound dataset (e.g. a pre-0.7 obs table) as rows of field values. */
export function readCompound(ds: Dataset): { fields: string[]; rows: unknown[][] } {
  checkFilters(ds);
  const members = ds.metadata.compound_type?.members ?? [];
  const raw = ds.value;
  const rows = (Array.isArray(raw) ? raw : []) as unknown[][];
  return { fields: members.map((m) => m.name), rows };
}

/** Compound member metadata (name, HDF5 type class) of a compound dataset. */
export function compoundMembers(ds: Dataset): { name: string; type: number; size: number }[] {
  return (ds.metadata.compound_type?.members ?? []).map((m) => ({
    name: m.name,
    type: m.type,
    size: m.size,
  }));
}

/**
 * Reads a compressed-sparse matrix stored as data/indices/indptr datasets and
 * returns it as CSR. `major` is the number of compressed-axis entries (rows
 * for CSR, columns for CSC), `minor` the other axis. CSC input is transposed
 * on the fly, so the result is always `nRows × nCols` CSR.
 */
export function readCompressedSparse(
  file: H5File,
  group: string,
  layout: 'csr' | 'csc',
  nRows: number,
  nCols: number,
): CsrMatrix {
  const where = (name: string) => (group ? `${group}/${name}` : name);
  const dataDs = dataset(file, where('data'));
  const indicesDs = dataset(file, where('indices'));
  const [nMajor, nMinor] = layout === 'csr' ? [nRows, nCols] : [nCols, nRows];
  const indptr = readFloat64(dataset(file, where('indptr')));
  const nnz = shapeOf(dataDs)[0] ?? 0;
  checkPointers(file, where('indptr'), indptr, nMajor, nnz);
  if ((shapeOf(indicesDs)[0] ?? 0) !== nnz) {
    throw invalidInput(file.filename, `has ${shapeOf(indicesDs)[0]} entries but data has ${nnz}`, {
      field: where('indices'),
    });
  }
  const data = readFloat32(dataDs);
  const indices = readInt32(indicesDs);
  const field = where('indices');
  let csr: CsrMatrix;
  if (layout === 'csr') {
    csr = { nRows, nCols, indptr, indices, data };
  } else {
    // Transposing indexes by the stored row numbers, so they are checked first.
    for (let i = 0; i < nnz; i++) {
      if (indices[i] >>> 0 >= nMinor) throw outOfRange(file.filename, field, indices[i], nMinor);
    }
    // Transposing leaves each row in column order; a row index stored twice in one
    // column becomes a repeated column, which sorting finds and refuses.
    csr = transposeCompressed(indptr, indices, data, nCols, nRows);
  }
  // Range and order checked in one pass over the largest array a build reads.
  for (const r of checkRows(csr, file.filename, field)) sortRow(csr, r, file.filename, field);
  return csr;
}

function outOfRange(file: string, field: string, index: number, bound: number): ScgraphError {
  return invalidInput(file, `index ${index} out of range [0, ${bound})`, { field });
}

/**
 * Checks every column index of a CSR matrix against nCols (as one unsigned
 * comparison) and returns the rows whose indices are not strictly ascending,
 * over row blocks (on worker threads when the matrix lies in shared memory).
 * An index out of range is reported at its first position in row order.
 */
function checkRows(csr: CsrMatrix, file: string, field: string): number[] {
  const { nRows, nCols, indices } = csr;
  const { blocks, bounds, shared, indptr } = planRowBlocks(csr);
  const unsorted = allocate(Uint8Array, nRows, shared);
  const outside = allocate(Float64Array, blocks, shared);
  const arrays = { indptr, indices, unsorted, outside };
  runRowBlocks('checkRows', checkRowBlock, arrays, bounds, { nCols });
  for (let b = 0; b < blocks; b++) {
    if (outside[b] >= 0) throw outOfRange(file, field, indices[outside[b]], nCols);
  }
  const rows: number[] = [];
  for (let r = 0; r < nRows; r++) if (unsorted[r]) rows.push(r);
  return rows;
}

/**
 * Marks the rows first..last−1 whose indices do not ascend, and records the
 * block's first index out of range (−1 for none); runs in workers as is.
 */
const checkRowBlock: BlockKernel<{ nCols: number }> = (a, block, first, last, params) => {
  const { indptr, indices, unsorted, outside } = a;
  const { nCols } = params;
  outside[block] = -1;
  for (let r = first; r < last; r++) {
    const end = indptr[r + 1];
    let previous = -1;
    let sorted = true;
    for (let k = indptr[r]; k < end; k++) {
      const c = indices[k];
      if (c >>> 0 >= nCols) {
        outside[block] = k;
        return;
      }
      if (c <= previous) sorted = false;
      previous = c;
    }
    if (!sorted) unsorted[r] = 1;
  }
};

function checkPointers(
  file: H5File,
  field: string,
  indptr: Float64Array,
  nMajor: number,
  nnz: number,
): void {
  if (indptr.length !== nMajor + 1) {
    throw invalidInput(file.filename, `has ${indptr.length} entries, expected ${nMajor + 1}`, {
      field,
    });
  }
  if (indptr[0] !== 0 || indptr[nMajor] !== nnz) {
    throw invalidInput(file.filename, `must run from 0 to ${nnz} (the stored values)`, { field });
  }
  for (let i = 0; i < nMajor; i++) {
    if (indptr[i + 1] < indptr[i]) {
      throw invalidInput(file.filename, `decreases at position ${i + 1}`, { field });
    }
  }
}

/**
 * Transposes compressed-sparse parts (major × minor) into CSR with rows =
 * minor axis. Walking majors in order leaves each output row sorted.
 */
export function transposeCompressed(
  indptr: Float64Array,
  indices: Int32Array,
  data: Float32Array,
  nMajor: number,
  nMinor: number,
): CsrMatrix {
  const counts = new Float64Array(nMinor + 1);
  for (let i = 0; i < indices.length; i++) counts[indices[i] + 1]++;
  for (let r = 0; r < nMinor; r++) counts[r + 1] += counts[r];
  const outIndptr = Float64Array.from(counts);
  const next = counts;
  const outIndices = allocate(Int32Array, indices.length);
  const outData = allocate(Float32Array, indices.length);
  for (let major = 0; major < nMajor; major++) {
    for (let k = indptr[major]; k < indptr[major + 1]; k++) {
      const row = indices[k];
      const at = next[row]++;
      outIndices[at] = major;
      outData[at] = data[k];
    }
  }
  return { nRows: nMinor, nCols: nMajor, indptr: outIndptr, indices: outIndices, data: outData };
}

/** Sorts row r's column indices (and values); a column stored twice is refused. */
function sortRow(csr: CsrMatrix, r: number, file: string, field: string): void {
  const start = csr.indptr[r];
  const end = csr.indptr[r + 1];
  sortRowByColumn(csr.indices, csr.data, start, end);
  for (let k = start + 1; k < end; k++) {
    if (csr.indices[k] === csr.indices[k - 1]) {
      throw invalidInput(file, `row ${r} stores column ${csr.indices[k]} twice`, { field });
    }
  }
}

/**
 * Builds CSR from a dense 2-D dataset read in row slices. With `transpose`
 * the dataset is read as (cols × rows) and its columns become the rows (Loom
 * stores genes × cells).
 */
export function readDenseAsCsr(ds: Dataset, transpose: boolean): CsrMatrix {
  const [d0, d1] = shapeOf(ds);
  if (shapeOf(ds).length !== 2) {
    throw new ScgraphError('invalid-input', 'expected a 2-D matrix', { field: ds.path });
  }
  const parts = new GrowableCoo();
  forEachSlice(ds, (values, firstRow) => {
    const n = values.length;
    const bigint = values instanceof BigInt64Array || values instanceof BigUint64Array;
    for (let i = 0; i < n; i++) {
      const v = bigint ? Number(values[i]) : (values[i] as number);
      if (v !== 0) parts.push(firstRow + Math.floor(i / d1), i % d1, v);
    }
  });
  const { major, minor, values } = parts.finish();
  if (!transpose) {
    const indptr = new Float64Array(d0 + 1);
    for (let i = 0; i < major.length; i++) indptr[major[i] + 1]++;
    for (let r = 0; r < d0; r++) indptr[r + 1] += indptr[r];
    return { nRows: d0, nCols: d1, indptr, indices: minor, data: values };
  }
  // Entries arrive ordered by stored row, so bucket them by stored column.
  const majorPtr = new Float64Array(d0 + 1);
  for (let i = 0; i < major.length; i++) majorPtr[major[i] + 1]++;
  for (let r = 0; r < d0; r++) majorPtr[r + 1] += majorPtr[r];
  return transposeCompressed(majorPtr, minor, values, d0, d1);
}

/** Append-only (row, col, value) triples in typed arrays that double as they fill. */
class GrowableCoo {
  private major = new Int32Array(1024);
  private minor = new Int32Array(1024);
  private values = new Float32Array(1024);
  private length = 0;

  push(major: number, minor: number, value: number): void {
    if (this.length === this.major.length) {
      const size = this.length * 2;
      this.major = grow(this.major, new Int32Array(size));
      this.minor = grow(this.minor, new Int32Array(size));
      this.values = grow(this.values, new Float32Array(size));
    }
    this.major[this.length] = major;
    this.minor[this.length] = minor;
    this.values[this.length] = value;
    this.length++;
  }

  finish(): { major: Int32Array; minor: Int32Array; values: Float32Array } {
    return {
      major: this.major.slice(0, this.length),
      minor: this.minor.slice(0, this.length),
      values: this.values.slice(0, this.length),
    };
  }
}

function grow<T extends Int32Array | Float32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
