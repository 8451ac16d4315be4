import { basename, extname } from 'node:path';
import { invalidInput, invalidParameter, isScgraphError, ScgraphError } from '../errors.ts';
import { fuzzyConnectivities, knnDistanceMatrix } from '../graph/connectivities.ts';
import { knn } from '../graph/knn.ts';
import { delaunayGraph, spatialKnn, spatialRadius, visiumGrid } from '../graph/spatial.ts';
import { graphStats } from '../graph/stats.ts';
import { checkValues, firstNonInteger } from '../matrix/check-values.ts';
import { type CsrMatrix, type DenseMatrix, emptyCsr } from '../matrix/csr.ts';
import { isSymmetric } from '../matrix/csr-ops.ts';
import { takeDenseRows } from '../matrix/dense-ops.ts';
import { emptyGeneMoments, highlyVariableGenes } from '../matrix/hvg.ts';
import { transformExpression } from '../matrix/normalize.ts';
import { pca } from '../matrix/pca.ts';
import {
  maskToIndices,
  mitoMaskFromSymbols,
  qcFilter,
  subsetCsr,
  subsetCsrInPlace,
} from '../matrix/qc.ts';
import { hashSource, startSourceHash } from '../package/source-hash.ts';
import type { CellGraph, GraphDataset } from '../package/types.ts';
import { SPLIT_NAMES } from '../package/types.ts';
import { checkOutputFolder, writePackage } from '../package/write-package.ts';
import type { Column, ExpressionData, MetadataNames, Table } from '../read/dataset.ts';
import { metadataNames, readInput } from '../read/index.ts';
import { takeRows } from '../read/table.ts';
import { groupSplit, orderedSplit, type SplitReport, stratifiedSplit } from '../split/splits.ts';
import {
  classCounts,
  groupsFromColumn,
  labelsFromColumn,
  requireColumnName,
  timesFromColumn,
} from './labels.ts';
import type { BuildOptions, ResolvedBuildOptions } from './options.ts';
import { resolveBuildOptions } from './options.ts';

/** One progress report: which step runs and how far it is (0–1). */
export interface ProgressEvent {
  step: BuildStep;
  fraction: number;
  message?: string;
}

export const BUILD_STEPS = [
  'read',
  'qc',
  'normalize',
  'hvg',
  'pca',
  'knn',
  'connectivities',
  'spatial',
  'split',
  'stats',
  'write',
] as const;
export type BuildStep = (typeof BUILD_STEPS)[number];

export interface BuildHooks {
  onProgress?(event: ProgressEvent): void;
  signal?: AbortSignal;
}

export interface BuildResult {
  manifest: Record<string, unknown>;
  dir: string;
  /** Wall seconds per step (not written into the package: timings are not deterministic). */
  timings: Partial<Record<BuildStep, number>>;
  warnings: string[];
}

/**
 * Reads a single-cell file, builds its cell graph(s), labels and split, and
 * writes a dataset package (graph.npz, dataset.h5ad, manifest.json) to
 * `outDir` atomically.
 *
 * @example
 * await buildPackage('data/pbmc_small/pbmc_small.loom', 'out/pbmc', { label: 'cluster' });
 */
export async function buildPackage(
  input: string,
  outDir: string,
  options: BuildOptions = {},
  hooks: BuildHooks = {},
): Promise<BuildResult> {
  const { overwrite, ...rest } = options;
  const params = resolveBuildOptions(rest);
  // writePackage checks this too, but only after the whole build; fail before the work.
  checkOutputFolder(outDir, overwrite ?? false, [input, params.cellMetadata]);
  // The input's sha256 (2.6 GB at 200k cells) is computed beside the pipeline.
  const sourceHash = startSourceHash(input);
  let built: BuiltDataset;
  try {
    built = await buildDataset(input, params, hooks);
  } catch (error) {
    sourceHash.cancel();
    throw error;
  }
  const write = timed(built.timings, 'write', hooks);
  const { manifest, dir } = await writePackage(
    outDir,
    built.dataset,
    {
      source: {
        path: input,
        ...(await sourceHash.result.catch((error: unknown) => {
          throw invalidInput(input, 'cannot read the source file to hash it', {}, error);
        })),
      },
      parameters: await recordedParameters(params),
      graphStats: built.stats,
      warnings: built.warnings,
      toolVersion: TOOL_VERSION,
    },
    { overwrite },
  );
  write.done();
  return {
    manifest: manifest as unknown as Record<string, unknown>,
    dir,
    timings: built.timings,
    warnings: built.warnings,
  };
}

/**
 * The parameters as the manifest records them: a side file is recorded by its
 * name and sha256, not by its path, so the package does not depend on where
 * the files lay.
 */
export async function recordedParameters(
  params: ResolvedBuildOptions,
): Promise<Record<string, unknown>> {
  const recorded: Record<string, unknown> = { ...params };
  if (params.cellMetadata) recorded.cellMetadata = await hashSource(params.cellMetadata);
  return recorded;
}

/** The tool version written into manifests (from package.json). */
export const TOOL_VERSION: string = (await import('../../package.json', { with: { type: 'json' } }))
  .default.version;

interface BuiltDataset {
  dataset: GraphDataset;
  stats: unknown;
  timings: Partial<Record<BuildStep, number>>;
  warnings: string[];
}

/** Every option that names a cell metadata column or an obsm/obsp entry names one that exists. */
function checkReferences(input: string, params: ResolvedBuildOptions, found: MetadataNames): void {
  try {
    if (params.label) requireColumnName(found.obs, params.label, 'label');
    if (params.splitColumn) requireColumnName(found.obs, params.splitColumn, 'split-column');
    if (params.useRep && !found.obsm.includes(params.useRep)) {
      throw invalidParameter('use-rep', `no embedding '${params.useRep}' in obsm`, {
        expected: found.obsm.join(', ') || 'an obsm entry',
        found: params.useRep,
      });
    }
    if (params.useGraph && !found.obsp.includes(params.useGraph)) {
      throw invalidParameter('use-graph', `no graph '${params.useGraph}' in obsp`, {
        expected: found.obsp.join(', ') || 'an obsp entry',
        found: params.useGraph,
      });
    }
  } catch (error) {
    throw withFile(error, input);
  }
}

/** A parameter error that names no file, re-made to name `file` (what the option refers into). */
function withFile(error: unknown, file: string): unknown {
  if (!isScgraphError(error) || error.file) return error;
  return new ScgraphError(error.kind, error.reason, {
    file,
    field: error.field,
    expected: error.expected,
    found: error.found,
    details: error.details,
  });
}

/** The in-memory part of a build: everything but writing files. */
export async function buildDataset(
  input: string,
  params: ResolvedBuildOptions,
  hooks: BuildHooks = {},
): Promise<BuiltDataset> {
  const timings: Partial<Record<BuildStep, number>> = {};
  const warnings: string[] = [];
  const step = (name: BuildStep) => {
    hooks.signal?.throwIfAborted();
    return timed(timings, name, hooks);
  };

  // ---- read
  let s = step('read');
  let data = await readInput(input, {
    format: params.format,
    matrix: params.matrix,
    featureTypes: params.featureTypes,
    genome: params.genome,
    orientation: params.orientation,
    cellMetadata: params.cellMetadata,
    // Option references are checked before the matrix is read (h5ad, Loom, 10x HDF5): a typo fails fast.
    beforeMatrix: (found) => checkReferences(input, params, found),
  });
  warnings.push(...data.warnings);
  // Again on what was kept: a reader may skip an entry it named (an obsm of the wrong shape).
  checkReferences(input, params, metadataNames(data));
  // The columns the labels and split are made from must also be usable as such: find out now,
  // not after the graph is built (the same calls run again on the cells QC keeps).
  try {
    if (params.label) requireClasses(labelsFromColumn(data.obs, params.label), input);
    if (params.splitColumn && params.split === 'group') {
      groupsFromColumn(data.obs, params.splitColumn);
    }
    if (params.splitColumn && params.split === 'ordered') {
      timesFromColumn(data.obs, params.splitColumn);
    }
  } catch (error) {
    throw withFile(error, input);
  }
  // A stored graph's weights become edge_weight and obsp['connectivities'] of an undirected graph.
  if (params.useGraph && !isSymmetric(data.obsp.get(params.useGraph)!)) {
    throw invalidParameter(
      'use-graph',
      `obsp['${params.useGraph}'] is not symmetric (kNN distances, or a directed graph?); --use-graph takes a symmetric weighted cell graph such as scanpy's 'connectivities'`,
      { file: input, found: params.useGraph },
    );
  }
  if (!data.spatial && (params.spatialGraph !== 'auto' || params.graph === 'spatial')) {
    const option = params.graph === 'spatial' ? 'graph' : 'spatial-graph';
    throw invalidParameter(option, `'${input}' has no spatial coordinates`, {
      found: params.graph === 'spatial' ? 'spatial' : params.spatialGraph,
    });
  }
  checkValues(data.X, {
    file: input,
    allowNegative: params.transform === 'none',
    cellIds: data.cellIds,
    geneIds: data.geneIds,
  });
  if (params.transform === 'normalize-log1p') {
    const fraction = firstNonInteger(data.X, FRACTION_SAMPLE);
    if (fraction) {
      const cell = data.cellIds[fraction.row];
      warnings.push(
        `${basename(input)}: values are not whole numbers (${Number(fraction.value.toPrecision(6))} in cell '${cell}'), but --transform normalize-log1p expects counts: ` +
          "for FPKM/TPM use --transform log1p, for log-scale values --transform none; an h5ad's counts may be in 'raw' or a layer (--matrix, see scgraph inspect)",
      );
    }
  }
  s.done();

  // ---- QC
  s = step('qc');
  const symbols = geneSymbols(data);
  const mitoGenes = mitoMaskFromSymbols(symbols.values);
  if (params.maxMitoFraction !== undefined && !mitoGenes.includes(1)) {
    warnings.push(
      `--max-mito: no gene in ${symbols.source} starts with MT- (any case), so no cell was removed for its mitochondrial share`,
    );
  }
  let qc: ReturnType<typeof qcFilter>;
  try {
    qc = qcFilter(data.X, {
      minGenes: params.minGenes,
      minCells: params.minCells,
      maxMitoFraction: params.maxMitoFraction,
      mitoGenes,
    });
  } catch (error) {
    // qcFilter does not know the file; name it so the message says which input came out empty.
    if (isScgraphError(error) && error.kind === 'empty-result' && !error.file) {
      throw new ScgraphError('empty-result', error.message, {
        file: input,
        details: error.details,
      });
    }
    throw error;
  }
  const cellIndex = maskToIndices(qc.cellMask);
  const geneIndex = maskToIndices(qc.geneMask);
  if (cellIndex.length === 0) {
    throw new ScgraphError('empty-result', 'no cells left after QC', {
      file: input,
      details: {
        minGenes: params.minGenes,
        minCells: params.minCells,
        maxMitoFraction: params.maxMitoFraction ?? null,
      },
    });
  }
  if (geneIndex.length === 0) {
    throw new ScgraphError('empty-result', 'no genes left after QC', { file: input });
  }
  // A graph from the file is over all its cells; it cannot survive dropping some.
  if (params.useGraph && cellIndex.length !== data.X.nRows) {
    throw invalidParameter(
      'use-graph',
      `QC removed ${data.X.nRows - cellIndex.length} cells, so the stored graph no longer fits; relax QC (--min-genes 0) to use it`,
    );
  }
  // The full matrix is the largest thing a build holds (2.6 GB at 200k cells):
  // subset and normalize it in place, and drop it once the HVG matrix exists.
  let counts: CsrMatrix | undefined = subsetCsrInPlace(data.X, cellIndex, geneIndex);
  const obs = takeRows(data.obs, cellIndex);
  const cellIds = Array.from(cellIndex, (i) => data.cellIds[i]);
  s.done();

  // ---- normalize
  s = step('normalize');
  // The per-gene sums HVG selection needs are gathered in the same pass.
  const moments = emptyGeneMoments(counts.nCols);
  let X: CsrMatrix | undefined = transformExpression(counts, params.transform, {
    targetSum: params.targetSum,
    inPlace: true,
    momentsInto: moments,
  });
  counts = undefined;
  s.done();

  // ---- highly variable genes
  s = step('hvg');
  const hvg = highlyVariableGenes(X, { nTop: params.nTopGenes, moments });
  const Xh = subsetCsr(X, null, hvg.indices, hvg.selectedNnz);
  X = undefined;
  data = { ...data, X: emptyCsr(data.X.nRows, data.X.nCols) };
  const hvgGeneIndex = Int32Array.from(hvg.indices, (j) => geneIndex[j]);
  const geneIds = Array.from(hvgGeneIndex, (j) => data.geneIds[j]);
  const varTable = takeRows(data.var, hvgGeneIndex);
  varTable.set('means', {
    kind: 'numeric',
    values: Float64Array.from(hvg.indices, (j) => hvg.means[j]),
  });
  varTable.set('dispersions', {
    kind: 'numeric',
    values: Float64Array.from(hvg.indices, (j) => hvg.dispersions[j]),
  });
  varTable.set('dispersions_norm', {
    kind: 'numeric',
    values: Float64Array.from(hvg.indices, (j) => hvg.dispersionsNorm[j]),
  });
  s.done();

  // ---- PCA (or a stored embedding)
  s = step('pca');
  let embedding: DenseMatrix;
  let pcaInfo: Record<string, unknown>;
  if (params.useRep) {
    embedding = takeDenseRows(data.obsm.get(params.useRep)!, cellIndex);
    pcaInfo = { useRep: params.useRep, nComponents: embedding.nCols };
  } else {
    const result = pca(Xh, { nComponents: params.nComponents, seed: params.seed });
    embedding = result.embedding;
    pcaInfo = {
      nComponents: result.nComponents,
      explainedVarianceRatio: Array.from(result.explainedVarianceRatio, (v) => round(v, 6)),
    };
    if (result.nComponents < params.nComponents) {
      warnings.push(
        `PCA: ${params.nComponents} components asked, ${result.nComponents} possible for ${Xh.nRows} cells × ${Xh.nCols} genes`,
      );
    }
  }
  s.done();

  // ---- expression graph
  const spatial = data.spatial
    ? {
        coords: takeDenseRows(data.spatial.coords, cellIndex),
        arrayRow:
          data.spatial.arrayRow && Int32Array.from(cellIndex, (i) => data.spatial!.arrayRow![i]),
        arrayCol:
          data.spatial.arrayCol && Int32Array.from(cellIndex, (i) => data.spatial!.arrayCol![i]),
      }
    : undefined;
  const primary: 'expression' | 'spatial' =
    params.graph === 'auto' ? (spatial ? 'spatial' : 'expression') : params.graph;
  if (primary === 'spatial' && !spatial) {
    throw invalidParameter('graph', `'${input}' has no spatial coordinates`, { found: 'spatial' });
  }

  let graph: CellGraph;
  if (params.useGraph) {
    s = step('knn');
    const stored = data.obsp.get(params.useGraph)!;
    const distKey = params.useGraph === 'connectivities' ? 'distances' : undefined;
    graph = {
      kind: 'from-file',
      connectivities: stored,
      distances: (distKey && data.obsp.get(distKey)) || stored,
      params: { useGraph: params.useGraph },
    };
    s.done();
  } else {
    s = step('knn');
    const k = Math.min(params.k, embedding.nRows);
    if (k < params.k) {
      warnings.push(
        `kNN: k = ${params.k} asked, but there are ${embedding.nRows} cells; using k = ${k} (every cell joined to every other)`,
      );
    }
    const neighbours = knn(embedding, {
      k,
      method: params.knnMethod,
      seed: params.seed,
      // The step's own end reports 1; the search itself reports below that.
      onProgress: (done: number, total: number) =>
        hooks.onProgress?.({ step: 'knn', fraction: Math.min(0.99, done / Math.max(1, total)) }),
    });
    s.done();
    s = step('connectivities');
    graph = {
      kind: 'knn',
      connectivities: fuzzyConnectivities(neighbours, embedding.nRows),
      distances: knnDistanceMatrix(neighbours, embedding.nRows),
      params: {
        n_neighbors: k,
        method: 'umap',
        metric: 'euclidean',
        knn_method: neighbours.method,
        n_pcs: embedding.nCols,
        use_rep: params.useRep ?? 'X_pca',
        random_state: params.seed,
      },
    };
    s.done();
  }

  // ---- spatial graph
  let spatialGraph: CellGraph | undefined;
  if (spatial) {
    s = step('spatial');
    const kind =
      params.spatialGraph === 'auto'
        ? spatial.arrayRow && spatial.arrayCol
          ? 'visium-grid'
          : 'delaunay'
        : params.spatialGraph;
    let g: { connectivities: CsrMatrix; distances: CsrMatrix };
    const sparams: Record<string, string | number | boolean | null> = {};
    if (kind === 'visium-grid') {
      if (!spatial.arrayRow || !spatial.arrayCol) {
        throw invalidParameter('spatial-graph', `'${input}' has no Visium array_row/array_col`, {
          found: kind,
        });
      }
      g = visiumGrid(spatial.arrayRow, spatial.arrayCol, spatial.coords);
    } else if (kind === 'knn') {
      g = spatialKnn(spatial.coords, { k: params.spatialK });
      sparams.k = params.spatialK;
    } else if (kind === 'radius') {
      if (params.spatialRadius === undefined)
        throw invalidParameter('spatial-radius', 'required for a radius graph');
      g = spatialRadius(spatial.coords, { radius: params.spatialRadius });
      sparams.radius = params.spatialRadius;
    } else {
      g = delaunayGraph(spatial.coords, {});
    }
    spatialGraph = {
      kind: kind === 'knn' ? 'spatial-knn' : kind === 'radius' ? 'spatial-radius' : kind,
      ...g,
      params: sparams,
    };
    s.done();
  }

  // ---- labels and split
  s = step('split');
  const labels = params.label ? labelsFromColumn(obs, params.label) : undefined;
  if (labels) requireClasses(labels, input);
  const splitKind = params.split === 'auto' ? (labels ? 'stratified' : 'none') : params.split;
  let split: GraphDataset['split'];
  let splitReport: SplitReport | undefined;
  if (splitKind === 'stratified') {
    if (!labels) throw invalidParameter('split', 'a stratified split needs --label');
    const r = stratifiedSplit(labels.codes, {
      fractions: params.fractions,
      seed: params.seed,
      names: labels.names,
    });
    split = { kind: 'stratified', assignment: r.assignment };
    splitReport = r.report;
  } else if (splitKind === 'group' || splitKind === 'ordered') {
    if (!params.splitColumn)
      throw invalidParameter(
        'split-column',
        `${splitKind === 'group' ? 'a group' : 'an ordered'} split needs --split-column`,
      );
    const r =
      splitKind === 'group'
        ? groupSplit(groupsFromColumn(obs, params.splitColumn).codes, {
            fractions: params.fractions,
            seed: params.seed,
          })
        : orderedSplit(timesFromColumn(obs, params.splitColumn), { fractions: params.fractions });
    split = { kind: splitKind, assignment: r.assignment };
    splitReport = r.report;
  }
  const report = splitReport;
  const emptyParts = report
    ? SPLIT_NAMES.filter((part, p) => params.fractions[p] > 0 && report.counts[part] === 0)
    : [];
  if (report && emptyParts.length > 0) {
    // A benchmark split with an empty part it was asked to fill cannot serve; say how to ask for fewer.
    throw invalidParameter(
      'split',
      `the ${splitKind} split leaves ${emptyParts.join(' and ')} empty (${report.warnings.join('; ')}); ` +
        `give ${emptyParts.length > 1 ? 'them' : 'it'} a fraction of 0 in --fractions, or choose another split`,
      { file: input, found: splitKind },
    );
  }
  if (split) {
    obs.set('split', {
      kind: 'categorical',
      codes: Int32Array.from(split.assignment),
      categories: [...SPLIT_NAMES],
    } satisfies Column);
    if (splitReport) warnings.push(...splitReport.warnings);
  }
  s.done();

  // ---- statistics
  s = step('stats');
  const stats = {
    expression: {
      kind: graph.kind,
      ...graphStats(graph.connectivities, labels && { codes: labels.codes, names: labels.names }),
    },
    ...(spatialGraph && {
      spatial: {
        kind: spatialGraph.kind,
        ...graphStats(
          spatialGraph.connectivities,
          labels && { codes: labels.codes, names: labels.names },
        ),
      },
    }),
    primary,
  };
  s.done();

  const name = params.name ?? defaultName(input);
  const dataset: GraphDataset = {
    name,
    cellIds,
    obs,
    geneIds,
    var: varTable,
    X: Xh,
    features: params.features === 'pca' ? embedding : denseFromCsr(Xh),
    pca: params.useRep ? undefined : embedding,
    spatial: spatial?.coords,
    graph,
    spatialGraph,
    primaryGraph: primary,
    labels: labels && { column: labels.column, codes: labels.codes, names: labels.names },
    split,
    // The writer nests this under uns['scgraph'].
    uns: {
      name,
      matrix: data.matrixName,
      qc: {
        cellsIn: data.X.nRows,
        genesIn: data.X.nCols,
        cellsKept: cellIds.length,
        genesKept: geneIndex.length,
      },
      hvg: { nTop: params.nTopGenes, selected: geneIds.length },
      pca: pcaInfo,
      labels: labels ? { column: labels.column, classes: classCounts(labels) } : null,
      split: split ? { kind: split.kind, report: splitReport } : null,
    },
  };
  return { dataset, stats, timings, warnings };
}

function timed(timings: Partial<Record<BuildStep, number>>, name: BuildStep, hooks: BuildHooks) {
  const start = performance.now();
  hooks.onProgress?.({ step: name, fraction: 0 });
  return {
    done() {
      timings[name] = (performance.now() - start) / 1000;
      hooks.onProgress?.({ step: name, fraction: 1 });
    },
  };
}

/** Stored values looked at for fractions: enough to see FPKM or log data, cheap at any size. */
const FRACTION_SAMPLE = 1 << 20;

/** Refuses a label with fewer than two classes among its cells: nothing to classify. */
function requireClasses(labels: ReturnType<typeof labelsFromColumn>, input: string): void {
  if (labels.names.length >= 2) return;
  const unlabeled = labels.codes.filter((c) => c < 0).length;
  const found = labels.names.length === 0 ? 'no class at all' : `one class ('${labels.names[0]}')`;
  throw invalidParameter(
    'label',
    `column '${labels.column}' has ${found} among ${labels.codes.length} cells; a label needs at least two classes` +
      (unlabeled > 0 ? ` (${unlabeled} cells have no value: does the metadata cover them?)` : ''),
    { file: input, found: labels.column },
  );
}

/**
 * var columns that hold gene symbols in the files people exchange: 10x
 * (gene_symbols), Monocle (gene_short_name), CELLxGENE (feature_name), others.
 */
const SYMBOL_COLUMNS = [
  'gene_symbols',
  'gene_symbol',
  'gene_short_name',
  'feature_name',
  'gene_name',
  'gene_names',
  'symbol',
  'Symbol',
  'name',
];

/** Gene symbols for the mitochondrial filter, and where they came from. */
function geneSymbols(data: ExpressionData): { values: readonly string[]; source: string } {
  for (const name of SYMBOL_COLUMNS) {
    const column = data.var.get(name);
    if (column?.kind === 'string') return { values: column.values, source: `var['${name}']` };
    if (column?.kind === 'categorical') {
      const values = Array.from(column.codes, (c) => (c >= 0 ? column.categories[c] : ''));
      return { values, source: `var['${name}']` };
    }
  }
  return { values: data.geneIds, source: 'the gene ids' };
}

function denseFromCsr(m: CsrMatrix): DenseMatrix {
  const out = new Float32Array(m.nRows * m.nCols);
  for (let r = 0; r < m.nRows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) out[r * m.nCols + m.indices[p]] = m.data[p];
  }
  return { nRows: m.nRows, nCols: m.nCols, data: out };
}

function defaultName(input: string): string {
  const base = basename(input.replace(/\/+$/, ''));
  const stem = base.replace(/\.gz$/, '').replace(extname(base.replace(/\.gz$/, '')), '');
  const name = stem
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  if (!name) throw invalidInput(input, 'cannot derive a dataset name from the path; pass --name');
  return name.slice(0, 64);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export type { Table };
