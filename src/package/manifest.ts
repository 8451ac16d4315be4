import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Bumped when a field changes meaning or goes away, or when validation comes
 * to rely on one (2: manifestSha256 is required); adding a field keeps it.
 */
export const MANIFEST_SCHEMA_VERSION = 2;
/** The first schema whose manifests must carry manifestSha256. */
export const MANIFEST_HASH_SINCE = 2;
export const MANIFEST_FILE = 'manifest.json';

export interface ManifestFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
  /** 'npz' or 'h5ad'. */
  readonly format: string;
}

/** What manifest.json holds; see `writePackage`. */
export interface Manifest {
  readonly schemaVersion: number;
  readonly name: string;
  readonly source: { readonly fileName: string; readonly bytes: number; readonly sha256: string };
  readonly toolVersion: string;
  readonly parameters: Record<string, unknown>;
  /** `edges` counts undirected edges of the primary graph (graph.npz holds each twice). */
  readonly counts: {
    readonly cells: number;
    readonly genes: number;
    readonly edges: number;
    readonly features: number;
  };
  readonly labels: {
    readonly column: string;
    readonly names: readonly string[];
    readonly classCounts: Record<string, number>;
    readonly unlabeled: number;
  } | null;
  readonly split: {
    readonly kind: string;
    readonly counts: {
      readonly train: number;
      readonly val: number;
      readonly test: number;
      readonly unassigned: number;
    };
  } | null;
  readonly graphStats: unknown;
  /**
   * What the build warned about, in the order it did (a class too small for
   * every part, a split part left empty, columns skipped on reading); absent in
   * packages written before it was recorded.
   */
  readonly warnings?: readonly string[];
  readonly files: readonly ManifestFile[];
  /** sha256 of the sorted 'name sha256' lines of `files`; builtAt is not part of it. */
  readonly packageSha256: string;
  /**
   * sha256 of the manifest's own canonical JSON without builtAt and this
   * field (`manifestSha256`), so `validate` sees a field edited afterwards.
   * Required from schema version 2; absent in packages written before.
   */
  readonly manifestSha256?: string;
  readonly builtAt?: string;
}

/** The hash `Manifest.manifestSha256` records, for a manifest with or without it. */
export function manifestSha256(manifest: Manifest): string {
  const { builtAt: _built, manifestSha256: _self, ...fields } = manifest;
  return createHash('sha256').update(canonicalJson(fields)).digest('hex');
}

/** The package hash: sha256 over `<name> <sha256>\n` lines sorted by name. */
export function packageSha256(files: readonly ManifestFile[]): string {
  const lines = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.name} ${f.sha256}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/**
 * JSON with every object's keys sorted and 2-space indent, so equal manifests
 * are equal bytes. Typed arrays become plain arrays, bigints numbers (strings
 * when unsafe), non-finite numbers null.
 */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(canonicalize(value), null, 2)}\n`;
}

function canonicalize(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<unknown>, canonicalize);
  }
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value instanceof Map) return canonicalize(Object.fromEntries(value));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = canonicalize(v);
  }
  return out;
}

/** sha256 and size of a file, streamed so large files are never held in memory. */
export async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}
