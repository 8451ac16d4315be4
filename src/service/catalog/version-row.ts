/**
 * Mapping between the versions/files tables and VersionRecord. Both drivers
 * return jsonb parsed, but `pg` returns bigint as a string and PGlite as a
 * number, so every count goes through Number().
 */
import type { FileRecord, LabelSummary, VersionInput, VersionRecord } from '../contracts.ts';

/** Columns selected wherever a VersionRecord is built; `v` is versions, files come aggregated. */
export const VERSION_COLUMNS = `
  v.dataset, v.version, v.title, v.description, v.organism, v.tissue, v.modality,
  v.n_cells, v.n_genes, v.labels, v.tasks, v.graph_kind, v.split_kind, v.graph_params,
  v.graph_stats, v.license, v.citation, v.doi, v.source_sha256, v.manifest, v.status,
  v.retracted_reason, v.created_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
            'name', f.name, 'format', f.format, 'bytes', f.bytes,
            'sha256', f.sha256, 'storageKey', f.storage_key) ORDER BY f.name), '[]'::jsonb)
     FROM files f WHERE f.dataset = v.dataset AND f.version = v.version) AS files`;

export interface VersionRow {
  dataset: string;
  version: number;
  title: string;
  description: string;
  organism: string;
  tissue: string;
  modality: string;
  n_cells: number | string;
  n_genes: number | string;
  labels: LabelSummary[];
  tasks: string[];
  graph_kind: string;
  split_kind: string | null;
  graph_params: Record<string, unknown>;
  graph_stats: Record<string, unknown>;
  license: string;
  citation: string;
  doi: string | null;
  source_sha256: string;
  manifest: Record<string, unknown>;
  status: 'live' | 'retracted';
  retracted_reason: string | null;
  created_at: Date | string;
  files: (Omit<FileRecord, 'bytes'> & { bytes: number | string })[];
}

export function toVersionRecord(row: VersionRow): VersionRecord {
  return {
    dataset: row.dataset,
    version: Number(row.version),
    title: row.title,
    description: row.description,
    organism: row.organism,
    tissue: row.tissue,
    modality: row.modality,
    nCells: Number(row.n_cells),
    nGenes: Number(row.n_genes),
    labels: row.labels,
    tasks: row.tasks,
    graphKind: row.graph_kind,
    splitKind: row.split_kind,
    graphParams: row.graph_params,
    graphStats: row.graph_stats,
    license: row.license,
    citation: row.citation,
    doi: row.doi,
    sourceSha256: row.source_sha256,
    manifest: row.manifest,
    files: row.files.map((f) => ({ ...f, bytes: Number(f.bytes) })),
    createdAt: new Date(row.created_at).toISOString(),
    status: row.status,
    retractedReason: row.retracted_reason,
  };
}

/** Graph statistics under either spelling the manifest may use. */
function stat(stats: Record<string, unknown>, ...names: string[]): number | null {
  for (const name of names) {
    const value = stats[name];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return null;
}

/**
 * The searchable scalar columns derived from an input: edge count, mean
 * degree and homophily from graphStats (`nEdges`/`n_edges`,
 * `meanDegree`/`mean_degree`, `homophily`), and the class count of the first
 * (primary) label column.
 */
export function derivedColumns(input: VersionInput) {
  const stats = input.graphStats;
  const primary = input.labels[0];
  return {
    nEdges: stat(stats, 'nEdges', 'n_edges', 'edges'),
    meanDegree: stat(stats, 'meanDegree', 'mean_degree'),
    homophily: stat(stats, 'homophily', 'edgeHomophily', 'edge_homophily'),
    nClasses: primary ? Object.keys(primary.classes).length : null,
    labelTerms: input.labels
      .flatMap((label) => [label.column, ...Object.keys(label.classes)])
      .join(' '),
  };
}
