/**
 * Reader for Loom files (loompy, SCopeLoomR). `/matrix` is genes × cells and
 * is transposed to cells × genes. Attributes the reader cannot use are
 * skipped with a warning naming them; one odd attribute never refuses the file.
 */

import { invalidInput, invalidParameter } from '../errors.ts';
import { csrFromEntries } from '../graph/edge-list.ts';
import {
  compoundMembers,
  type Dataset,
  dataset,
  entityAt,
  type H5File,
  isDataset,
  isGroup,
  isStringDataset,
  readCompound,
  readDenseAsCsr,
  readFloat64,
  readStrings,
  shapeOf,
  withHdf5,
} from '../io/hdf5.ts';
import type { CsrMatrix, DenseMatrix } from '../matrix/csr.ts';
import type { Column, ExpressionData, ReadOptions } from './dataset.ts';
import { numericColumn, requireUniqueIds, stringColumn, tableOf } from './table.ts';

/** Gene id attributes in order of preference. */
const GENE_ID_ATTRS = ['Gene', 'gene', 'var_names', 'Accession'];
/** Cell id attributes in order of preference. */
const CELL_ID_ATTRS = ['CellID', 'obs_names', 'cell_names'];

interface Attributes {
  columns: [string, Column][];
  /** 1-D compound and 2-D numeric attributes, n × fields. */
  matrices: Map<string, DenseMatrix>;
}

/**
 * Reads a Loom file. Gene ids come from the first of row attributes Gene,
 * gene, var_names, Accession; cell ids from CellID, obs_names, cell_names
 * (row/column numbers when none exists). Repeated gene ids are made unique
 * with '-1', '-2' suffixes (as anndata's var_names_make_unique does).
 * Compound column attributes (an Embedding with _X, _Y fields) become obsm,
 * col_graphs become obsp; `options.matrix` may pick a layer ('layers/spliced').
 */
export async function readLoom(path: string, options: ReadOptions = {}): Promise<ExpressionData> {
  return withHdf5(path, (file) => {
    const warnings: string[] = [];
    const matrixName = chooseMatrix(file, path, options.matrix);
    const matrix = dataset(file, matrixName);
    const [nGenes, nCells] = shapeOf(matrix);
    const rows = readAttributes(file, 'row_attrs', nGenes, warnings);
    const cols = readAttributes(file, 'col_attrs', nCells, warnings);
    for (const name of rows.matrices.keys()) {
      warnings.push(`skipped row attribute '${name}': multi-column gene attributes are not kept`);
    }
    const geneIds = makeUnique(
      takeIds(rows.columns, GENE_ID_ATTRS, nGenes, 'gene', warnings),
      warnings,
    );
    const cellIds = takeIds(cols.columns, CELL_ID_ATTRS, nCells, 'cell', warnings);
    requireUniqueIds(path, 'col_attrs (cell ids)', cellIds);
    const graphs = entityAt(file, 'col_graphs');
    const graphNames = isGroup(graphs) ? graphs.keys() : [];
    options.beforeMatrix?.({
      obs: cols.columns.map(([name]) => name),
      obsm: [...cols.matrices.keys()],
      obsp: graphNames,
    });
    const X = readDenseAsCsr(matrix, true);

    return {
      format: 'loom',
      source: path,
      X,
      matrixName,
      cellIds,
      geneIds,
      obs: tableOf(cols.columns),
      var: tableOf(rows.columns),
      obsm: cols.matrices,
      obsp: readColGraphs(file, graphNames, nCells, warnings),
      warnings,
    };
  });
}

/**
 * The dataset that is X: '/matrix' (the default; 'X' and 'matrix' name it
 * too) or 'layers/<name>' (velocyto's spliced/unspliced, for example), which
 * has the same genes × cells shape. Anything else is refused, listing what exists.
 */
function chooseMatrix(file: H5File, path: string, choice: string | undefined): string {
  const group = entityAt(file, 'layers');
  const layers = isGroup(group) ? group.keys().map((name) => `layers/${name}`) : [];
  if (choice === undefined || choice === 'X' || choice === 'matrix') return 'matrix';
  if (layers.includes(choice)) {
    const [layer, main] = [shapeOf(dataset(file, choice)), shapeOf(dataset(file, 'matrix'))];
    if (layer.join() !== main.join()) {
      throw invalidInput(path, `is ${layer.join(' × ')}, but /matrix is ${main.join(' × ')}`, {
        field: choice,
      });
    }
    return choice;
  }
  const available = ['matrix', ...layers];
  throw invalidParameter(
    'matrix',
    `'${choice}' is not in ${path}; available: ${available.join(', ')}`,
    {
      details: { available },
    },
  );
}

/**
 * Cell graphs under col_graphs/<name> (COO: a → b with weight w) as
 * cells × cells CSR. A graph that does not fit is skipped with a warning.
 */
function readColGraphs(
  file: H5File,
  names: readonly string[],
  nCells: number,
  warnings: string[],
): Map<string, CsrMatrix> {
  const out = new Map<string, CsrMatrix>();
  for (const name of names) {
    const where = `col_graphs/${name}`;
    try {
      const a = readFloat64(dataset(file, `${where}/a`));
      const b = readFloat64(dataset(file, `${where}/b`));
      const w = entityAt(file, `${where}/w`) ? readFloat64(dataset(file, `${where}/w`)) : undefined;
      if (a.length !== b.length || (w && w.length !== a.length)) {
        throw new Error(`a, b and w differ in length (${a.length}, ${b.length}, ${w?.length})`);
      }
      for (const v of [a, b]) {
        for (let e = 0; e < v.length; e++) {
          if (!(Number.isInteger(v[e]) && v[e] >= 0 && v[e] < nCells)) {
            throw new Error(`entry ${e} joins cell ${v[e]}, outside 0..${nCells - 1}`);
          }
        }
      }
      out.set(name, csrFromEntries(nCells, a, b, w ?? new Float64Array(a.length).fill(1)));
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      warnings.push(`skipped graph '${where}': ${reason}`);
    }
  }
  return out;
}

function readAttributes(file: H5File, group: string, n: number, warnings: string[]): Attributes {
  const out: Attributes = { columns: [], matrices: new Map() };
  const entity = entityAt(file, group);
  if (!isGroup(entity)) return out;
  for (const name of entity.keys()) {
    const where = `${group}/${name}`;
    try {
      const ds = entityAt(file, where);
      if (!isDataset(ds) || shapeOf(ds)[0] !== n) {
        warnings.push(
          `skipped attribute '${where}': not a dataset with one entry per ${group === 'row_attrs' ? 'gene' : 'cell'}`,
        );
        continue;
      }
      const shape = shapeOf(ds);
      if (ds.metadata.compound_type) {
        out.matrices.set(name, compoundToDense(ds));
      } else if (shape.length === 2 && !isStringDataset(ds)) {
        out.matrices.set(name, { nRows: shape[0], nCols: shape[1], data: readFloat64(ds) });
      } else if (shape.length === 1) {
        out.columns.push([name, readColumn(ds)]);
      } else {
        warnings.push(`skipped attribute '${where}': ${shape.length}-D attributes are not read`);
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      warnings.push(`skipped attribute '${where}': ${reason}`);
    }
  }
  return out;
}

function readColumn(ds: Dataset): Column {
  if (isStringDataset(ds)) return stringColumn(readStrings(ds));
  return numericColumn(readFloat64(ds), ds.metadata.type === 0);
}

/** A compound attribute (fields such as _X, _Y) as n × fields float64. */
function compoundToDense(ds: Dataset): DenseMatrix {
  const members = compoundMembers(ds);
  if (members.some((m) => m.type !== 0 && m.type !== 1)) {
    throw new Error('compound fields are not all numeric');
  }
  const { rows } = readCompound(ds);
  const data = new Float64Array(rows.length * members.length);
  rows.forEach((row, i) => {
    for (let j = 0; j < members.length; j++) data[i * members.length + j] = Number(row[j]);
  });
  return { nRows: rows.length, nCols: members.length, data };
}

/** Removes and returns the first preferred string attribute as ids; numbers when none. */
function takeIds(
  columns: [string, Column][],
  preferred: readonly string[],
  n: number,
  what: string,
  warnings: string[],
): string[] {
  for (const name of preferred) {
    const at = columns.findIndex(([key, column]) => key === name && column.kind === 'string');
    if (at >= 0) {
      const [, column] = columns.splice(at, 1)[0];
      if (column.kind === 'string') return [...column.values];
    }
  }
  warnings.push(
    `no ${what} id attribute (${preferred.join(', ')}); using positions as ${what} ids`,
  );
  return Array.from({ length: n }, (_, i) => String(i));
}

/** Suffixes repeats with -1, -2 ... so gene ids are unique. */
function makeUnique(ids: string[], warnings: string[]): string[] {
  const seen = new Map<string, number>();
  const taken = new Set(ids);
  let renamed = 0;
  const out = ids.map((id) => {
    const count = seen.get(id);
    if (count === undefined) {
      seen.set(id, 0);
      return id;
    }
    let next = count + 1;
    while (taken.has(`${id}-${next}`)) next++;
    seen.set(id, next);
    taken.add(`${id}-${next}`);
    renamed++;
    return `${id}-${next}`;
  });
  if (renamed) warnings.push(`${renamed} repeated gene ids made unique with -1, -2 suffixes`);
  return out;
}
