/**
 * Catalog records shaped after the bundled datasets (metadata from their
 * papers, counts rounded): enough variety for search, facets and ranges.
 */
import { createHash } from 'node:crypto';
import type { VersionInput } from '../../src/service/contracts.ts';

export function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function files(dataset: string, version: string) {
  return ['graph.npz', 'dataset.h5ad', 'manifest.json'].map((name, i) => ({
    name,
    format: name.split('.').pop()!,
    bytes: 1000 * (i + 1),
    sha256: sha(`${dataset}/${version}/${name}`),
    storageKey: `datasets/${dataset}/${version}/${name}`,
  }));
}

function base(dataset: string): Omit<VersionInput, 'title' | 'description'> {
  return {
    dataset,
    organism: 'Homo sapiens',
    tissue: 'blood',
    modality: 'scRNA-seq',
    nCells: 100,
    nGenes: 2000,
    labels: [],
    tasks: ['node-classification'],
    graphKind: 'knn',
    splitKind: 'stratified',
    graphParams: { k: 15, nPcs: 50, metric: 'euclidean' },
    graphStats: {},
    license: 'CC-BY-4.0',
    citation: 'unknown',
    doi: null,
    sourceSha256: sha(dataset),
    manifest: { name: dataset },
    files: files(dataset, 'v'),
  };
}

export const HSMM: VersionInput = {
  ...base('hsmm_myoblasts'),
  title: 'HSMM skeletal muscle myoblast differentiation time course',
  description:
    'Primary human skeletal muscle myoblasts switched to differentiation medium and profiled by ' +
    'single-cell RNA-seq at 0, 24, 48 and 72 hours as they fuse into myotubes.',
  tissue: 'skeletal muscle',
  modality: 'scRNA-seq (SMART-seq)',
  nCells: 271,
  nGenes: 47192,
  labels: [
    { column: 'hours', classes: { '0': 69, '24': 74, '48': 65, '72': 63 } },
    { column: 'media', classes: { GM: 69, DM: 202 } },
  ],
  tasks: ['node-classification', 'trajectory'],
  graphStats: { nEdges: 5420, meanDegree: 20.0, homophily: 0.71 },
  citation: 'Trapnell et al. 2014, Nature Biotechnology',
  doi: '10.1038/nbt.2859',
};

export const TREUTLEIN: VersionInput = {
  ...base('treutlein_lung'),
  title: 'Distal lung epithelium development in mouse',
  description:
    'Single-cell transcriptomes of mouse distal lung epithelium from embryonic day 14.5 to adult, ' +
    'resolving alveolar type 1 and type 2 cell lineages; mesenchymal and smooth muscle cells excluded.',
  organism: 'Mus musculus',
  tissue: 'lung',
  modality: 'scRNA-seq (SMART-seq)',
  nCells: 80,
  nGenes: 959,
  labels: [{ column: 'Time', classes: { E14: 45, E16: 27, E18: 8 } }],
  graphStats: { nEdges: 1200, meanDegree: 15.0, homophily: 0.64 },
  citation: 'Treutlein et al. 2014, Nature',
  doi: '10.1038/nature13173',
};

export const GUO: VersionInput = {
  ...base('guo_embryo'),
  title: 'Mouse preimplantation embryo qPCR',
  description:
    'Expression of 48 genes measured by single-cell qPCR in mouse embryos from the zygote to the ' +
    '64-cell blastocyst stage.',
  organism: 'Mus musculus',
  tissue: 'embryo',
  modality: 'qPCR',
  nCells: 428,
  nGenes: 48,
  labels: [
    {
      column: 'stage',
      classes: { '1': 9, '2': 19, '4': 23, '8': 44, '16': 75, '32': 112, '64': 146 },
    },
  ],
  tasks: ['node-classification', 'trajectory'],
  graphStats: { n_edges: 6420, mean_degree: 15.0, homophily: 0.55 },
  citation: 'Guo et al. 2010, Developmental Cell',
  doi: '10.1016/j.devcel.2010.02.012',
};

export const PBMC: VersionInput = {
  ...base('pbmc_small'),
  title: 'Peripheral blood mononuclear cells (small)',
  description:
    'A small subset of 10x Genomics peripheral blood mononuclear cells from a healthy donor, ' +
    'with Seurat cluster labels.',
  tissue: 'blood',
  modality: 'scRNA-seq (10x)',
  nCells: 80,
  nGenes: 230,
  labels: [{ column: 'cluster', classes: { '0': 36, '1': 25, '2': 19 } }],
  graphStats: { nEdges: 900, meanDegree: 11.25, homophily: 0.82 },
  citation: 'Satija lab, Seurat pbmc_small',
};

export const VISIUM: VersionInput = {
  ...base('visium_section'),
  title: 'Visium spatial section of the mouse brain',
  description: 'A 10x Visium section with spots connected to their six grid neighbours.',
  organism: 'Mus musculus',
  tissue: 'brain',
  modality: 'spatial transcriptomics (Visium)',
  nCells: 2696,
  nGenes: 32285,
  tasks: ['spatial-domains'],
  graphKind: 'visium-grid',
  splitKind: null,
  graphParams: { rings: 1 },
  graphStats: { nEdges: 15700, meanDegree: 5.82 },
  citation: '10x Genomics sample data',
};

export const ALL = [HSMM, TREUTLEIN, GUO, PBMC, VISIUM];
