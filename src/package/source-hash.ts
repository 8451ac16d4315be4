import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { hashFile } from './manifest.ts';

/**
 * Identity of a build input. A single file hashes as itself; a folder
 * (10x MTX, Visium) hashes the sorted lines "relative-path sha256" of every
 * file below it, so the result does not depend on directory listing order.
 */
export async function hashSource(
  path: string,
): Promise<{ fileName: string; bytes: number; sha256: string }> {
  const info = await stat(path);
  if (!info.isDirectory()) return { fileName: basename(path), ...(await hashFile(path)) };

  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  await walk(path);
  const lines: string[] = [];
  let bytes = 0;
  for (const file of files.map((f) => relative(path, f)).sort()) {
    const h = await hashFile(join(path, file));
    bytes += h.bytes;
    lines.push(`${file} ${h.sha256}\n`);
  }
  const sha256 = createHash('sha256').update(lines.join('')).digest('hex');
  return { fileName: `${basename(path)}/`, bytes, sha256 };
}
