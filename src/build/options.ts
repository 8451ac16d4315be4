import { z } from 'zod';
import { invalidParameter } from '../errors.ts';

const fractions = z
  .tuple([z.number().min(0), z.number().min(0), z.number().min(0)])
  .refine((f) => Math.abs(f[0] + f[1] + f[2] - 1) < 1e-9, 'fractions must add up to 1');

/**
 * Every build parameter, with its default. The parsed object is recorded
 * whole in the manifest, so a package says exactly how it was made.
 */
export const buildOptionsSchema = z
  .object({
    /** Dataset name (package and catalog); defaults to the input's base name. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, . _ - (max 64)')
      .optional(),
    /** Cell metadata column holding the class labels. */
    label: z.string().min(1).optional(),
    /** Input format; detected from content when absent. */
    format: z.enum(['h5ad', '10x-mtx', '10x-h5', 'loom', 'delimited', 'visium']).optional(),
    /** h5ad: 'X', 'raw' or 'layers/<name>'. */
    matrix: z.string().optional(),
    /** 10x: feature types kept; 'all' keeps every feature. */
    featureTypes: z
      .union([z.literal('all'), z.array(z.string()).min(1)])
      .default(['Gene Expression']),
    /** 10x HDF5 (Cell Ranger 2): genome group to read. */
    genome: z.string().optional(),
    /** Delimited text orientation. */
    orientation: z.enum(['auto', 'genes-as-rows', 'cells-as-rows']).default('auto'),
    /** Delimited text: separate cell metadata table joined by cell id. */
    cellMetadata: z.string().optional(),

    /** QC: a cell needs at least this many detected genes. */
    minGenes: z.number().int('must be a whole number').min(0, 'must be 0 or more').default(1),
    /** QC: a gene needs to be detected in at least this many cells. */
    minCells: z.number().int('must be a whole number').min(0, 'must be 0 or more').default(1),
    /** QC: drop cells whose mitochondrial fraction is above this (0–1). */
    maxMitoFraction: z
      .number()
      .min(0, 'is a fraction between 0 and 1 (0.2 for 20 %)')
      .max(1, 'is a fraction between 0 and 1 (0.2 for 20 %)')
      .optional(),
    /**
     * 'normalize-log1p' for counts (library size to 1e4, then log1p), 'log1p'
     * for values already normalized per cell (FPKM/TPM), 'none' for values
     * already on a log scale (qPCR −ΔCt, processed matrices).
     */
    transform: z.enum(['normalize-log1p', 'log1p', 'none']).default('normalize-log1p'),
    targetSum: z.number().positive().default(1e4),
    /** Number of highly variable genes (all genes when fewer). */
    nTopGenes: z
      .number()
      .int('must be a whole number')
      .positive('must be at least 1')
      .default(2000),
    /** PCA components (capped by data size). */
    nComponents: z
      .number()
      .int('must be a whole number')
      .positive('must be at least 1')
      .default(50),
    /** Use this obsm embedding instead of computing PCA. */
    useRep: z.string().optional(),
    /** Use this obsp graph instead of computing the kNN graph. */
    useGraph: z.string().optional(),
    /** Neighbours per cell, self included (as scanpy's n_neighbors). */
    k: z
      .number()
      .int('must be a whole number')
      .min(2, 'must be at least 2: it counts the cell itself, so 2 gives each cell one neighbour')
      .default(15),
    knnMethod: z.enum(['auto', 'exact', 'hnsw']).default('auto'),
    /** Which graph graph.npz carries: the expression kNN or the spatial graph. */
    graph: z.enum(['auto', 'expression', 'spatial']).default('auto'),
    /** Spatial graph kind; 'auto' is the Visium grid when array indices exist, else Delaunay. */
    spatialGraph: z.enum(['auto', 'visium-grid', 'knn', 'radius', 'delaunay']).default('auto'),
    spatialK: z.number().int('must be a whole number').min(1, 'must be at least 1').default(6),
    spatialRadius: z.number().positive("must be above 0 (in the coordinates' units)").optional(),
    /** Split kind; 'auto' is stratified when a label is given, else none. */
    split: z.enum(['auto', 'stratified', 'group', 'ordered', 'none']).default('auto'),
    /** Column for group-held-out or ordered splits. */
    splitColumn: z.string().optional(),
    fractions: fractions.default([0.6, 0.2, 0.2]),
    /** Node features in graph.npz: PCA embedding or processed HVG expression. */
    features: z.enum(['pca', 'hvg']).default('pca'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0),
  })
  .strict();

export type BuildOptions = z.input<typeof buildOptionsSchema> & { overwrite?: boolean };
export type ResolvedBuildOptions = z.output<typeof buildOptionsSchema>;

/** Validates build options; the first problem becomes an error naming the option. */
export function resolveBuildOptions(
  options: Omit<BuildOptions, 'overwrite'>,
): ResolvedBuildOptions {
  const parsed = buildOptionsSchema.safeParse(options);
  if (parsed.success) {
    checkCombinations(parsed.data);
    return parsed.data;
  }
  const issue = parsed.error.issues[0];
  const field = issue.path.join('.') || 'options';
  throw invalidParameter(field, issue.message);
}

/** Options that need another one, refused before any file is read. */
function checkCombinations(o: ResolvedBuildOptions): void {
  if (o.split === 'stratified' && !o.label) {
    throw invalidParameter('split', 'a stratified split needs --label');
  }
  if ((o.split === 'group' || o.split === 'ordered') && !o.splitColumn) {
    throw invalidParameter(
      'split-column',
      `${o.split === 'group' ? 'a group' : 'an ordered'} split needs --split-column`,
    );
  }
  if (o.spatialGraph === 'radius' && o.spatialRadius === undefined) {
    throw invalidParameter('spatial-radius', 'a radius graph (--spatial-graph radius) needs it');
  }
}
