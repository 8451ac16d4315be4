import type { CsrMatrix, DenseMatrix } from '../matrix/csr.ts';

/**
 * One column of a cell (obs) or gene (var) table. Categorical columns keep
 * their category order as stored; a code of -1 means missing.
 */
export type Column =
  | { readonly kind: 'numeric'; readonly values: Float64Array }
  | { readonly kind: 'integer'; readonly values: Float64Array }
  | { readonly kind: 'boolean'; readonly values: Uint8Array }
  | { readonly kind: 'string'; readonly values: readonly string[] }
  | {
      readonly kind: 'categorical';
      readonly codes: Int32Array;
      readonly categories: readonly string[];
    };

/** Named columns in a stable (file) order. */
export type Table = ReadonlyMap<string, Column>;

/** The input formats the hub reads. */
export type InputFormat = 'h5ad' | '10x-mtx' | '10x-h5' | 'loom' | 'delimited' | 'visium';

/**
 * Spatial positions of cells or spots. `coords` is n × 2 (x = column pixel,
 * y = row pixel for Visium, in full-resolution pixels). `arrayRow`/`arrayCol`
 * are the Visium grid indices when the source has them.
 */
export interface Spatial {
  readonly coords: DenseMatrix;
  readonly arrayRow?: Int32Array;
  readonly arrayCol?: Int32Array;
}

/**
 * What every reader returns: an expression matrix with cells as rows and
 * genes as columns, plus whatever annotations the file carried.
 */
export interface ExpressionData {
  readonly format: InputFormat;
  /** The path the user gave. */
  readonly source: string;
  /** cells × genes; raw counts or whatever the file's chosen matrix holds. */
  readonly X: CsrMatrix;
  /** Which matrix of the file X is ('X', 'raw.X', 'layers/counts', 'matrix', ...). */
  readonly matrixName: string;
  readonly cellIds: readonly string[];
  readonly geneIds: readonly string[];
  /** Cell metadata, one entry per row of X. */
  readonly obs: Table;
  /** Gene metadata, one entry per column of X (gene_symbols, feature_types, genome ...). */
  readonly var: Table;
  /** Cell embeddings already in the file (X_pca, X_umap, spatial ...). */
  readonly obsm: ReadonlyMap<string, DenseMatrix>;
  /** Cell × cell graphs already in the file (connectivities, distances ...). */
  readonly obsp: ReadonlyMap<string, CsrMatrix>;
  readonly spatial?: Spatial;
  /** Non-fatal notes for the user (skipped attributes, dropped features). */
  readonly warnings: readonly string[];
}

/** Options every reader understands; a reader ignores those that do not apply. */
export interface ReadOptions {
  /** h5ad: which matrix to use as X: 'X' (default), 'raw', or 'layers/<name>'; Loom: 'matrix' (default) or 'layers/<name>'. */
  matrix?: string;
  /** 10x: feature types to keep (default ['Gene Expression']); 'all' keeps every row. */
  featureTypes?: readonly string[] | 'all';
  /** 10x HDF5 v2: which genome group to read; required when there are several. */
  genome?: string;
  /** Delimited text: 'auto' (default), 'genes-as-rows' or 'cells-as-rows'. */
  orientation?: 'auto' | 'genes-as-rows' | 'cells-as-rows';
  /** Delimited text: a separate cell metadata table joined by cell id. */
  cellMetadata?: string;
  /**
   * Called once with the names of the cell metadata columns and of the
   * obsm/obsp entries. h5ad, Loom and 10x HDF5 call it before they read the expression
   * matrix, so a caller can reject an option naming a column that does not
   * exist before the heavy work; `readInput` calls it after the read for the
   * other formats. The names may include entries the reader later skips.
   */
  beforeMatrix?: (found: MetadataNames) => void;
}

/** What an input's cell metadata and stored embeddings and graphs are called. */
export interface MetadataNames {
  readonly obs: readonly string[];
  readonly obsm: readonly string[];
  readonly obsp: readonly string[];
}
