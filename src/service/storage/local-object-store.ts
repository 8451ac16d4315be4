/**
 * Local-folder object store: key 'a/b/c' is the file ROOT/a/b/c. Writes go to
 * a hidden temp file in the same folder, are fsynced, then renamed into place,
 * so a reader never sees a half-written object. The sha256 sits beside the
 * object in a hidden '.<name>.meta.json'.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ScgraphError } from '../../errors.ts';
import type { ObjectInfo, ObjectStore } from '../contracts.ts';
import { checkRange, objectKeySegments } from './object-key.ts';

interface Meta {
  sha256: string;
  contentType?: string;
}

/** Opens (creating) an object store in the folder `root`. */
export async function createLocalObjectStore(root: string): Promise<ObjectStore> {
  await mkdir(root, { recursive: true });
  const pathOf = (key: string) => join(root, ...objectKeySegments(key));
  const metaPathOf = (path: string) => join(dirname(path), `.${basename(path)}.meta.json`);

  return {
    driver: 'local',

    async putFile(key, source, meta = {}) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const temp = join(dirname(path), `.${randomBytes(8).toString('hex')}.tmp`);
      try {
        const hash = createHash('sha256');
        let bytes = 0;
        await pipeline(
          createReadStream(source),
          async function* (chunks: AsyncIterable<Buffer>) {
            for await (const chunk of chunks) {
              hash.update(chunk);
              bytes += chunk.length;
              yield chunk;
            }
          },
          createWriteStream(temp),
        );
        const sha256 = hash.digest('hex');
        if (meta.sha256 !== undefined && meta.sha256 !== sha256) {
          throw sha256Mismatch(key, meta.sha256, sha256);
        }
        await syncFile(temp);
        const metaTemp = `${temp}.meta`;
        const record: Meta = { sha256, ...(meta.contentType && { contentType: meta.contentType }) };
        await writeDurably(metaTemp, JSON.stringify(record));
        await rename(metaTemp, metaPathOf(path));
        await rename(temp, path);
        await syncFile(dirname(path));
        return { key, bytes, sha256 };
      } catch (error) {
        await rm(temp, { force: true });
        await rm(`${temp}.meta`, { force: true });
        throw error;
      }
    },

    async get(key, range) {
      const path = pathOf(key);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) throw notFound(key);
      if (!range) return createReadStream(path);
      const { start, end } = checkRange(key, range, info.size);
      return createReadStream(path, { start, end }) as Readable;
    },

    async head(key) {
      const path = pathOf(key);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) return null;
      const result: ObjectInfo = { key, bytes: info.size };
      const meta = await readFile(metaPathOf(path), 'utf8').catch(() => null);
      if (meta) result.sha256 = (JSON.parse(meta) as Meta).sha256;
      return result;
    },

    async delete(key) {
      const path = pathOf(key);
      await rm(path, { force: true });
      await rm(metaPathOf(path), { force: true });
    },

    async ping() {
      const info = await stat(root);
      if (!info.isDirectory()) throw new Error(`${root} is not a folder`);
    },
  };
}

export function sha256Mismatch(key: string, expected: string, found: string): ScgraphError {
  return new ScgraphError('integrity', `sha256 of '${key}' does not match`, {
    field: 'sha256',
    expected,
    found,
  });
}

export function notFound(key: string): ScgraphError {
  return new ScgraphError('not-found', `no stored object '${key}'`, { field: 'key' });
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
