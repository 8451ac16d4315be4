/**
 * Maps a built package's manifest plus the curator's metadata onto the
 * catalog's VersionInput. The manifest is the builder's record; this reads
 * it leniently so a field the builder renames shows up as 0/empty rather
 * than failing a publish.
 */
import type { FileRecord, LabelSummary, VersionInput } from '../contracts.ts';

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
  /** When given, replaces the tasks the manifest lists. */
  tasks?: string[];
}

type Obj = Record<string, unknown>;

function at(obj: unknown, ...paths: string[]): unknown {
  for (const path of paths) {
    let cur: unknown = obj;
    for (const part of path.split('.')) {
      cur = cur && typeof cur === 'object' ? (cur as Obj)[part] : undefined;
    }
    if (cur !== undefined && cur !== null) return cur;
  }
  return undefined;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Builds the catalog record for a new version of `dataset`. */
export function versionInput(
  dataset: string,
  manifest: Obj,
  meta: DatasetMetadata,
  files: FileRecord[],
): VersionInput {
  const graph = obj(at(manifest, 'graph'));
  const split = at(manifest, 'split.kind', 'split');
  const tasks = meta.tasks ?? at(manifest, 'tasks');
  return {
    dataset,
    ...meta,
    nCells: num(at(manifest, 'nCells', 'n_cells', 'cells', 'shape.0')),
    nGenes: num(at(manifest, 'nGenes', 'n_genes', 'genes', 'shape.1')),
    labels: labelSummaries(at(manifest, 'labels', 'label')),
    tasks: Array.isArray(tasks) ? tasks.map(String) : [],
    graphKind: String(at(graph, 'kind') ?? at(manifest, 'graphKind') ?? 'unknown'),
    splitKind: typeof split === 'string' && split !== 'none' ? split : null,
    graphParams: obj(at(graph, 'params') ?? at(manifest, 'graphParams', 'parameters')),
    graphStats: obj(at(manifest, 'graphStats', 'stats', 'graph.stats')),
    sourceSha256: String(at(manifest, 'source.sha256', 'sourceSha256') ?? ''),
    manifest,
    files,
  };
}

function labelSummaries(value: unknown): LabelSummary[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.flatMap((entry) => {
    const e = obj(entry);
    const column = at(e, 'column', 'name');
    if (typeof column !== 'string') return [];
    const classes = obj(at(e, 'classes', 'classCounts', 'counts'));
    return [
      {
        column,
        classes: Object.fromEntries(Object.entries(classes).map(([k, v]) => [k, num(v)])),
      },
    ];
  });
}
