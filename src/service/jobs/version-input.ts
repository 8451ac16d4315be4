/**
 * Maps a built package's manifest (src/package/manifest.ts) plus the
 * curator's metadata onto the catalog's VersionInput.
 */
import type { Manifest } from '../../package/manifest.ts';
import type { FileRecord, VersionInput } from '../contracts.ts';

/** What a curator says about a dataset (form fields of POST /datasets). */
export interface DatasetMetadata {
  title: string;
  description: string;
  organism: string;
  tissue: string;
  modality: string;
  license: string;
  citation: string;
  doi: string | null;
  /** When given, replaces the tasks inferred from the package. */
  tasks?: string[];
}

const EXPRESSION_PARAMS = [
  'k',
  'knnMethod',
  'nComponents',
  'nTopGenes',
  'useRep',
  'useGraph',
  'seed',
];
const SPATIAL_PARAMS = ['spatialGraph', 'spatialK', 'spatialRadius'];

/** Builds the catalog record for a new version of `dataset`. */
export function versionInput(
  dataset: string,
  rawManifest: Record<string, unknown>,
  meta: DatasetMetadata,
  files: FileRecord[],
): VersionInput {
  const manifest = rawManifest as unknown as Manifest;
  const params = manifest.parameters ?? {};
  const stats = (manifest.graphStats ?? {}) as Record<string, unknown>;
  const primary = stats.primary === 'spatial' ? 'spatial' : 'expression';
  const primaryStats = (stats[primary] ?? {}) as Record<string, unknown>;
  const { tasks: taskOverride, ...metadata } = meta;
  const labels = manifest.labels
    ? [{ column: manifest.labels.column, classes: { ...manifest.labels.classCounts } }]
    : [];
  return {
    dataset,
    ...metadata,
    nCells: manifest.counts?.cells ?? 0,
    nGenes: manifest.counts?.genes ?? 0,
    labels,
    tasks: taskOverride ?? (labels.length ? ['node-classification'] : []),
    graphKind:
      typeof primaryStats.kind === 'string' ? primaryStats.kind : graphKind(primary, params),
    splitKind: manifest.split?.kind ?? null,
    graphParams: pick(params, primary === 'spatial' ? SPATIAL_PARAMS : EXPRESSION_PARAMS),
    // The primary graph's numbers at top level (what search filters on); each graph's in full beside.
    graphStats: { ...primaryStats, ...stats },
    sourceSha256: manifest.source?.sha256 ?? '',
    manifest: rawManifest,
    files,
  };
}

// Manifests from before the stats carried the resolved kind record only the options.
function graphKind(primary: 'expression' | 'spatial', params: Record<string, unknown>): string {
  if (primary === 'expression') return params.useGraph ? 'from-file' : 'knn';
  const kind = params.spatialGraph;
  return typeof kind === 'string' && kind !== 'auto' ? `spatial-${kind}` : 'spatial';
}

function pick(from: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
}
