import { invalidInput } from '../errors.ts';
import type { CsrMatrix, DenseMatrix } from '../matrix/csr.ts';
import type { Table } from '../read/dataset.ts';
import type { GraphDataset } from './types.ts';

/**
 * Check that every array of a dataset has the length its shape promises, so
 * the writers never produce a file that a reader would reject or misread.
 * Throws an 'invalid-input' ScgraphError naming the dataset and the field.
 */
export function checkDataset(dataset: GraphDataset): void {
  const file = dataset.name || '(unnamed dataset)';
  const fail = (field: string, message: string) => invalidInput(file, message, { field });
  const n = dataset.X.nRows;
  const g = dataset.X.nCols;

  checkCsr(dataset.X, 'X', fail);
  if (dataset.cellIds.length !== n) {
    throw fail('cellIds', `${dataset.cellIds.length} cell ids for ${n} rows of X`);
  }
  if (new Set(dataset.cellIds).size !== n) throw fail('cellIds', 'cell ids are not unique');
  if (dataset.geneIds.length !== g) {
    throw fail('geneIds', `${dataset.geneIds.length} gene ids for ${g} columns of X`);
  }
  checkTable(dataset.obs, n, 'obs', fail);
  checkTable(dataset.var, g, 'var', fail);
  checkDense(dataset.features, n, 'features', fail);
  if (dataset.pca) checkDense(dataset.pca, n, 'pca', fail);
  if (dataset.spatial) {
    checkDense(dataset.spatial, n, 'spatial', fail);
    if (dataset.spatial.nCols !== 2) {
      throw fail('spatial', `spatial coordinates have ${dataset.spatial.nCols} columns, not 2`);
    }
  }
  for (const [key, graph] of [
    ['graph', dataset.graph],
    ['spatialGraph', dataset.spatialGraph],
  ] as const) {
    if (!graph) continue;
    checkCsr(graph.connectivities, `${key}.connectivities`, fail, n, n);
    checkCsr(graph.distances, `${key}.distances`, fail, n, n);
  }
  const primary = dataset.primaryGraph === 'spatial' ? 'spatialGraph' : 'graph';
  if (!dataset[primary]) {
    throw fail(
      'primaryGraph',
      `primary graph is '${dataset.primaryGraph}' but ${primary} is missing`,
    );
  }
  if (dataset.labels) checkLabels(dataset.labels, n, fail);
  if (dataset.split) {
    const { assignment } = dataset.split;
    if (assignment.length !== n) throw fail('split', `${assignment.length} entries for ${n} cells`);
    if (assignment.some((v) => v < -1 || v > 2)) {
      throw fail('split', 'assignment values must be -1, 0 (train), 1 (val) or 2 (test)');
    }
  }
}

type Fail = (field: string, message: string) => Error;

function checkLabels(labels: NonNullable<GraphDataset['labels']>, n: number, fail: Fail): void {
  if (labels.codes.length !== n)
    throw fail('labels', `${labels.codes.length} codes for ${n} cells`);
  const k = labels.names.length;
  if (labels.codes.some((c) => c < -1 || c >= k)) {
    throw fail('labels', `label codes must lie in -1..${k - 1}`);
  }
}

function checkTable(table: Table, n: number, name: string, fail: Fail): void {
  for (const [key, column] of table) {
    const length = column.kind === 'categorical' ? column.codes.length : column.values.length;
    if (length !== n) throw fail(`${name}.${key}`, `column has ${length} values, expected ${n}`);
    if (column.kind === 'categorical') {
      const k = column.categories.length;
      if (column.codes.some((c) => c < -1 || c >= k)) {
        throw fail(`${name}.${key}`, `categorical codes must lie in -1..${k - 1}`);
      }
    }
  }
}

function checkDense(m: DenseMatrix, n: number, name: string, fail: Fail): void {
  if (m.nRows !== n) throw fail(name, `${m.nRows} rows, expected ${n}`);
  if (m.data.length !== m.nRows * m.nCols) {
    throw fail(name, `${m.data.length} values for a ${m.nRows} × ${m.nCols} matrix`);
  }
}

function checkCsr(m: CsrMatrix, name: string, fail: Fail, nRows = m.nRows, nCols = m.nCols): void {
  if (m.nRows !== nRows || m.nCols !== nCols) {
    throw fail(name, `shape ${m.nRows} × ${m.nCols}, expected ${nRows} × ${nCols}`);
  }
  if (m.indptr.length !== m.nRows + 1) {
    throw fail(name, `indptr has ${m.indptr.length} entries, expected ${m.nRows + 1}`);
  }
  const nnz = m.indptr[m.nRows];
  if (m.indices.length !== nnz || m.data.length !== nnz) {
    throw fail(
      name,
      `indptr ends at ${nnz} but there are ${m.indices.length} indices and ${m.data.length} values`,
    );
  }
  for (let i = 0; i < m.nRows; i++) {
    if (m.indptr[i + 1] < m.indptr[i]) throw fail(name, `indptr decreases at row ${i}`);
  }
  // One unsigned comparison per stored value: X and the graphs are the largest arrays written.
  const { indices } = m;
  for (let p = 0; p < nnz; p++) {
    if (indices[p] >>> 0 >= m.nCols) {
      throw fail(name, `column index ${indices[p]} outside 0..${m.nCols - 1}`);
    }
  }
}
