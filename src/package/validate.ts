import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  hashFile,
  MANIFEST_FILE,
  MANIFEST_HASH_SINCE,
  type Manifest,
  manifestSha256,
  packageSha256,
} from './manifest.ts';

export interface ValidationResult {
  ok: boolean;
  /** One line per problem, naming the file. Empty when ok. */
  problems: string[];
  /** The manifest as read; null when it could not be read. */
  manifest: Manifest | null;
}

/**
 * Re-hash every file of a package folder against its manifest.json. Reports
 * files that are missing, changed (size or sha256) or not listed, a
 * packageSha256 that does not match the listed files, and a manifest whose
 * fields no longer match its manifestSha256 (builtAt may change freely).
 */
export async function validatePackage(dir: string): Promise<ValidationResult> {
  const problems: string[] = [];
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = !existsSync(dir)
      ? `${dir}: no such folder`
      : !statSync(dir).isDirectory()
        ? `${dir}: is a file; a package is the folder holding manifest.json`
        : code === 'ENOENT'
          ? `${MANIFEST_FILE}: missing (is ${dir} a dataset package?)`
          : `${MANIFEST_FILE}: unreadable (${error instanceof Error ? error.message : String(error)})`;
    return { ok: false, problems: [problem], manifest: null };
  }
  if (!Array.isArray(manifest.files)) {
    return { ok: false, problems: [`${MANIFEST_FILE}: has no 'files' list`], manifest };
  }

  const present = new Set(await readdir(dir));
  for (const file of manifest.files) {
    if (!present.has(file.name)) {
      problems.push(`${file.name}: missing`);
      continue;
    }
    const actual = await hashFile(join(dir, file.name));
    if (actual.bytes !== file.bytes) {
      problems.push(`${file.name}: size ${actual.bytes} bytes, manifest says ${file.bytes}`);
    }
    if (actual.sha256 !== file.sha256) {
      problems.push(`${file.name}: sha256 ${actual.sha256}, manifest says ${file.sha256}`);
    }
  }
  const listed = new Set(manifest.files.map((f) => f.name));
  for (const name of [...present].sort()) {
    if (name !== MANIFEST_FILE && !listed.has(name)) problems.push(`${name}: not in the manifest`);
  }
  const expected = packageSha256(manifest.files);
  if (manifest.packageSha256 === undefined) {
    problems.push(`${MANIFEST_FILE}: has no packageSha256 (the files hash to ${expected})`);
  } else if (manifest.packageSha256 !== expected) {
    problems.push(
      `${MANIFEST_FILE}: packageSha256 ${manifest.packageSha256} does not match the files (${expected})`,
    );
  }
  // Packages of schema 1 carry no manifestSha256; their other fields cannot be checked.
  if (manifest.manifestSha256 === undefined) {
    if (!(manifest.schemaVersion < MANIFEST_HASH_SINCE)) {
      problems.push(
        `${MANIFEST_FILE}: has no manifestSha256, which schema version ${manifest.schemaVersion} requires`,
      );
    }
  } else {
    const own = manifestSha256(manifest);
    if (manifest.manifestSha256 !== own) {
      problems.push(
        `${MANIFEST_FILE}: its fields were changed after it was written (manifestSha256 ${manifest.manifestSha256}, the fields hash to ${own})`,
      );
    }
  }
  return { ok: problems.length === 0, problems, manifest };
}
