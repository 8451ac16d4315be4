import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { invalidInput, ScgraphError } from '../errors.ts';
import { checkDataset } from './check-dataset.ts';
import { primaryEdgeList } from './edge-list.ts';
import { writeCheckedH5ad } from './h5ad-writer.ts';
import {
  canonicalJson,
  hashFile,
  MANIFEST_FILE,
  MANIFEST_SCHEMA_VERSION,
  type Manifest,
  type ManifestFile,
  manifestSha256,
  packageSha256,
} from './manifest.ts';
import { zipCheckedNpz } from './npz.ts';
import { hashSource, type SourceIdentity } from './source-hash.ts';
import type { GraphDataset } from './types.ts';
import { SPLIT_TEST, SPLIT_TRAIN, SPLIT_VAL } from './types.ts';

export const NPZ_FILE = 'graph.npz';
export const H5AD_FILE = 'dataset.h5ad';

export interface ManifestInput {
  /** The input file or folder the dataset was built from; hashed into the manifest. */
  source: { path: string } | ({ path: string } & SourceIdentity);
  /** Every build parameter, recorded as given. */
  parameters: Record<string, unknown>;
  graphStats: unknown;
  /** What the build warned about (rare classes, an empty split part, skipped columns ...). */
  warnings?: readonly string[];
  /** ISO time; left out of the package hash. Omit for a byte-identical manifest. */
  builtAt?: string;
  /** Default: the version in package.json. */
  toolVersion?: string;
}

export interface WritePackageOptions {
  /** Replace an existing outDir (default false: an existing outDir is an error). */
  overwrite?: boolean;
}

/** What a package folder holds; --overwrite replaces a folder that holds nothing else. */
const PACKAGE_ENTRIES: ReadonlySet<string> = new Set([NPZ_FILE, H5AD_FILE, MANIFEST_FILE]);

/**
 * Checks that a package may go to outDir: it is absent or an empty folder,
 * or, with `overwrite`, a folder holding an earlier package (manifest.json,
 * graph.npz, dataset.h5ad) and nothing else; and none of `inputs` lies in it.
 * Throws 'conflict' naming outDir otherwise, so replacing a package never
 * deletes anything else (such as the data it was built from).
 */
export function checkOutputFolder(
  outDir: string,
  overwrite: boolean,
  inputs: readonly (string | undefined)[] = [],
): void {
  if (outDir.trim() === '') throw conflict(outDir, 'the output folder name is empty');
  const dir = realPath(outDir);
  for (const input of inputs) {
    if (input === undefined) continue;
    const path = realPath(input);
    if (path === dir) {
      throw conflict(outDir, 'is the input itself; write the package to another folder');
    }
    if (path.startsWith(dir + sep)) {
      throw conflict(outDir, `holds the input ${input}; write the package to another folder`);
    }
  }
  if (!existsSync(dir)) {
    // The folder will be made: whatever exists above it must be a folder too.
    let above = dirname(dir);
    while (!existsSync(above) && dirname(above) !== above) above = dirname(above);
    if (!statSync(above).isDirectory()) {
      throw conflict(outDir, `cannot be made: ${above} is a file, not a folder`);
    }
    return;
  }
  if (!statSync(dir).isDirectory()) {
    throw conflict(outDir, 'is a file, not a folder; choose another output folder');
  }
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  // What is not a package is refused as such, so --overwrite is suggested only where it helps.
  const others = entries.filter((name) => !PACKAGE_ENTRIES.has(name)).sort();
  if (others.length > 0 || !entries.includes(MANIFEST_FILE)) {
    const what = others.length
      ? `files that are not part of a dataset package (${others.slice(0, 3).join(', ')}${others.length > 3 ? `, … ${others.length - 3} more` : ''})`
      : 'no manifest.json';
    throw conflict(outDir, `holds ${what}; only an earlier package there can be replaced`);
  }
  if (!overwrite) {
    throw conflict(
      outDir,
      'output folder already exists; pass --overwrite to replace the package in it',
    );
  }
}

function conflict(file: string, message: string): ScgraphError {
  return new ScgraphError('conflict', message, { file });
}

/** The path with symbolic links resolved where it exists (so links cannot hide an input). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Write a dataset package folder: graph.npz, dataset.h5ad and manifest.json.
 * Everything is written into a sibling `<outDir>.tmp-<random>` and renamed
 * into place at the end, so outDir is either absent or complete; on any error
 * the temporary folder is removed. With `overwrite`, an existing package at
 * outDir (see checkOutputFolder) is renamed aside, the new one renamed in,
 * then the old one deleted.
 *
 * Example: `await writePackage('out/pbmc', dataset, { source: { path: 'pbmc.h5ad' }, parameters, graphStats })`.
 */
export async function writePackage(
  outDir: string,
  dataset: GraphDataset,
  manifestInput: ManifestInput,
  options: WritePackageOptions = {},
): Promise<{ manifest: Manifest; dir: string }> {
  const dir = resolve(outDir);
  checkDataset(dataset);
  checkOutputFolder(outDir, options.overwrite ?? false, [manifestInput.source.path]);
  await mkdir(dirname(dir), { recursive: true });
  // The temporary name only has to be unique; it never reaches the output.
  const tmp = `${dir}.tmp-${randomBytes(6).toString('hex')}`;
  unfinished.add(tmp);
  try {
    await mkdir(tmp);
    const manifest = await writeContents(tmp, dataset, manifestInput);
    await moveIntoPlace(tmp, dir);
    return { manifest, dir };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  } finally {
    unfinished.delete(tmp);
  }
}

/** Temporary folders of packages being written in this process. */
const unfinished = new Set<string>();

/**
 * Removes the temporary folders of packages still being written, at once
 * (synchronously): for a process about to exit on a signal, which would
 * otherwise leave them beside their outputs. Returns how many it removed.
 */
export function removeUnfinishedPackages(): number {
  const count = unfinished.size;
  for (const tmp of unfinished) rmSync(tmp, { recursive: true, force: true });
  unfinished.clear();
  return count;
}

async function writeContents(
  tmp: string,
  dataset: GraphDataset,
  input: ManifestInput,
): Promise<Manifest> {
  const source =
    'sha256' in input.source
      ? { fileName: input.source.fileName, bytes: input.source.bytes, sha256: input.source.sha256 }
      : await hashSourceOf(input.source.path);
  const edges = primaryEdgeList(dataset);
  // graph.npz deflates on fflate's workers while dataset.h5ad is written here.
  // The dataset was checked once on entry; the writers skip their own checks.
  const npz = zipCheckedNpz(dataset, edges);
  npz.catch(() => {}); // when the h5ad fails first, its error is the one reported
  await writeCheckedH5ad(join(tmp, H5AD_FILE), dataset);
  await writeFile(join(tmp, NPZ_FILE), await npz);

  const files: ManifestFile[] = [];
  for (const [name, format] of [
    [H5AD_FILE, 'h5ad'],
    [NPZ_FILE, 'npz'],
  ] as const) {
    files.push({ name, format, ...(await hashFile(join(tmp, name))) });
  }
  const fields: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    name: dataset.name,
    source,
    toolVersion: input.toolVersion ?? packageVersion(),
    parameters: input.parameters,
    counts: {
      cells: dataset.X.nRows,
      genes: dataset.X.nCols,
      edges: edges.source.length / 2,
      features: dataset.features.nCols,
    },
    labels: labelSummary(dataset),
    split: splitSummary(dataset),
    graphStats: input.graphStats,
    warnings: input.warnings ?? [],
    files,
    packageSha256: packageSha256(files),
    ...(input.builtAt === undefined ? {} : { builtAt: input.builtAt }),
  };
  const manifest: Manifest = { ...fields, manifestSha256: manifestSha256(fields) };
  await writeFile(join(tmp, MANIFEST_FILE), canonicalJson(manifest));
  return manifest;
}

async function hashSourceOf(path: string): Promise<Manifest['source']> {
  try {
    return await hashSource(path);
  } catch (error) {
    throw invalidInput(path, 'cannot read the source file to hash it', {}, error);
  }
}

function labelSummary(dataset: GraphDataset): Manifest['labels'] {
  if (!dataset.labels) return null;
  const { column, codes, names } = dataset.labels;
  const counts = new Array<number>(names.length).fill(0);
  let unlabeled = 0;
  for (const c of codes) {
    if (c < 0) unlabeled++;
    else counts[c]++;
  }
  const classCounts = Object.fromEntries(names.map((name, k) => [name, counts[k]]));
  return { column, names, classCounts, unlabeled };
}

function splitSummary(dataset: GraphDataset): Manifest['split'] {
  if (!dataset.split) return null;
  const counts = { train: 0, val: 0, test: 0, unassigned: 0 };
  for (const v of dataset.split.assignment) {
    if (v === SPLIT_TRAIN) counts.train++;
    else if (v === SPLIT_VAL) counts.val++;
    else if (v === SPLIT_TEST) counts.test++;
    else counts.unassigned++;
  }
  return { kind: dataset.split.kind, counts };
}

let cachedVersion: string | undefined;

function packageVersion(): string {
  cachedVersion ??= JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    .version as string;
  return cachedVersion;
}

/**
 * rename() is atomic for a single path; replacing a folder takes two, so the
 * old one is moved aside first and put back if the second rename fails.
 */
async function moveIntoPlace(tmp: string, dir: string): Promise<void> {
  if (!existsSync(dir)) {
    await rename(tmp, dir);
    return;
  }
  const old = `${dir}.old-${randomBytes(6).toString('hex')}`;
  await rename(dir, old);
  try {
    await rename(tmp, dir);
  } catch (error) {
    await rename(old, dir);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}
