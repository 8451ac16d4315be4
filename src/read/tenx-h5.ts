/**
 * Reader for Cell Ranger's HDF5 feature-barcode matrix, both layouts:
 * Cell Ranger 3+ (`matrix/` group with a `features/` table) and Cell Ranger 2
 * (one root group per genome). Both store genes × cells as CSC, which is the
 * same bytes as cells × genes CSR with `indptr` over cells.
 */
import { invalidInput, invalidParameter } from '../errors.ts';
import {
  dataset,
  entityAt,
  type H5File,
  isDataset,
  isGroup,
  readCompressedSparse,
  readInt32,
  readStrings,
  withHdf5,
} from '../io/hdf5.ts';
import type { CsrMatrix } from '../matrix/csr.ts';
import type { ExpressionData, ReadOptions } from './dataset.ts';
import { categoricalFromLabels, requireUniqueIds, stringColumn, tableOf } from './table.ts';

const DEFAULT_FEATURE_TYPES = ['Gene Expression'];

/** What one layout yields before feature filtering. */
interface Features {
  ids: string[];
  names: string[];
  types: string[];
  genomes: string[];
}

/**
 * Reads a 10x HDF5 matrix (`filtered_feature_bc_matrix.h5` or the Cell
 * Ranger 2 `filtered_gene_bc_matrices_h5.h5`).
 *
 * Keeps only 'Gene Expression' features unless `options.featureTypes` says
 * otherwise ('all' keeps every row). A Cell Ranger 2 file with several
 * genomes needs `options.genome`; for Cell Ranger 3+ files `options.genome`
 * keeps only that genome's features. Gene ids are the feature ids (Ensembl);
 * `var` holds gene_symbols, feature_types and genome.
 */
export async function readTenxH5(path: string, options: ReadOptions = {}): Promise<ExpressionData> {
  return withHdf5(path, (file) => {
    const modern = isGroup(entityAt(file, 'matrix'));
    const group = modern ? 'matrix' : pickGenomeGroup(file, path, options.genome);
    const [nGenes, nCells] = Array.from(readInt32(dataset(file, `${group}/shape`)));
    const barcodes = readStrings(dataset(file, `${group}/barcodes`));
    const features = modern ? readFeatures(file, group, nGenes) : readLegacyGenes(file, group);
    if (barcodes.length !== nCells) {
      throw invalidInput(path, `has ${barcodes.length} barcodes but shape says ${nCells} cells`, {
        field: `${group}/barcodes`,
      });
    }
    if (features.ids.length !== nGenes) {
      throw invalidInput(path, `has ${features.ids.length} features but shape says ${nGenes}`, {
        field: modern ? `${group}/features/id` : `${group}/genes`,
      });
    }
    requireUniqueIds(path, `${group}/barcodes`, barcodes);
    // Cell metadata comes only from a side table (readInput adds its columns).
    options.beforeMatrix?.({ obs: [], obsm: [], obsp: [] });

    // Genes × cells CSC is cells × genes CSR: indptr runs over cells.
    const full = readCompressedSparse(file, group, 'csr', nCells, nGenes);
    const warnings: string[] = [];
    const keep = selectFeatures(features, options, modern, warnings);
    const X = keep ? selectColumns(full, keep) : full;
    const kept = keep ? keep.filter((k) => k >= 0).length : nGenes;
    const pick = <T>(values: T[]): T[] => (keep ? values.filter((_, i) => keep[i] >= 0) : values);
    if (kept === 0) {
      const types = [...new Set(features.types)];
      throw invalidParameter('featureTypes', `no features left; ${path} has: ${types.join(', ')}`);
    }
    const geneIds = pick(features.ids);
    requireUniqueIds(path, modern ? `${group}/features/id` : `${group}/genes`, geneIds);

    return {
      format: '10x-h5',
      source: path,
      X,
      matrixName: group,
      cellIds: barcodes,
      geneIds,
      obs: tableOf([]),
      var: tableOf([
        ['gene_symbols', stringColumn(pick(features.names))],
        ['feature_types', categoricalFromLabels(pick(features.types))],
        ['genome', categoricalFromLabels(pick(features.genomes))],
      ]),
      obsm: new Map(),
      obsp: new Map(),
      warnings,
    };
  });
}

/** Cell Ranger 2: the root groups that look like a genome's matrix. */
function pickGenomeGroup(file: H5File, path: string, genome: string | undefined): string {
  const genomes = file
    .keys()
    .filter((key) => isGroup(entityAt(file, key)) && isDataset(entityAt(file, `${key}/indptr`)))
    .sort();
  if (genomes.length === 0) {
    throw invalidInput(path, "not a 10x HDF5 matrix: no 'matrix' group and no genome groups");
  }
  if (genome !== undefined) {
    if (!genomes.includes(genome)) {
      throw invalidParameter(
        'genome',
        `'${genome}' is not in ${path}; genomes: ${genomes.join(', ')}`,
      );
    }
    return genome;
  }
  if (genomes.length > 1) {
    throw invalidParameter(
      'genome',
      `${path} holds several genomes (${genomes.join(', ')}); choose one with the genome option`,
      { details: { genomes } },
    );
  }
  return genomes[0];
}

function readFeatures(file: H5File, group: string, nGenes: number): Features {
  const ids = readStrings(dataset(file, `${group}/features/id`));
  const optional = (name: string, fallback: string[]): string[] => {
    const entity = entityAt(file, `${group}/features/${name}`);
    return isDataset(entity) ? readStrings(entity) : fallback;
  };
  const names = optional('name', ids);
  const types = optional('feature_type', new Array<string>(nGenes).fill('Gene Expression'));
  const genomes = optional('genome', new Array<string>(nGenes).fill(''));
  return { ids, names, types, genomes };
}

function readLegacyGenes(file: H5File, group: string): Features {
  const ids = readStrings(dataset(file, `${group}/genes`));
  const namesEntity = entityAt(file, `${group}/gene_names`);
  const names = isDataset(namesEntity) ? readStrings(namesEntity) : ids;
  return {
    ids,
    names,
    types: ids.map(() => 'Gene Expression'),
    genomes: ids.map(() => group),
  };
}

/**
 * Maps each feature to its new column (or -1 when dropped); undefined keeps
 * everything. Records what was dropped in `warnings`.
 */
function selectFeatures(
  features: Features,
  options: ReadOptions,
  modern: boolean,
  warnings: string[],
): Int32Array | undefined {
  const wanted = options.featureTypes ?? DEFAULT_FEATURE_TYPES;
  const byGenome = modern && options.genome !== undefined ? options.genome : undefined;
  if (byGenome !== undefined && !features.genomes.includes(byGenome)) {
    const genomes = [...new Set(features.genomes)].join(', ');
    throw invalidParameter('genome', `'${byGenome}' is not in this file; genomes: ${genomes}`);
  }
  const keep = new Int32Array(features.ids.length);
  const dropped = new Map<string, number>();
  let next = 0;
  for (let i = 0; i < keep.length; i++) {
    const typeOk = wanted === 'all' || wanted.includes(features.types[i]);
    const genomeOk = byGenome === undefined || features.genomes[i] === byGenome;
    if (typeOk && genomeOk) {
      keep[i] = next++;
    } else {
      keep[i] = -1;
      const why = typeOk ? `genome ${features.genomes[i]}` : features.types[i];
      dropped.set(why, (dropped.get(why) ?? 0) + 1);
    }
  }
  if (dropped.size === 0) return undefined;
  const summary = [...dropped].map(([why, n]) => `${n} ${why}`).join(', ');
  warnings.push(`dropped ${keep.length - next} of ${keep.length} features (${summary})`);
  return keep;
}

/** Keeps the columns with `keep[c] >= 0`, renumbered to `keep[c]`. */
function selectColumns(m: CsrMatrix, keep: Int32Array): CsrMatrix {
  let nCols = 0;
  for (const k of keep) if (k >= 0) nCols++;
  const indptr = new Float64Array(m.nRows + 1);
  let count = 0;
  for (let k = 0; k < m.indices.length; k++) if (keep[m.indices[k]] >= 0) count++;
  const indices = new Int32Array(count);
  const data = new Float32Array(count);
  let at = 0;
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const c = keep[m.indices[k]];
      if (c < 0) continue;
      indices[at] = c;
      data[at++] = m.data[k];
    }
    indptr[r + 1] = at;
  }
  return { nRows: m.nRows, nCols, indptr, indices, data };
}
