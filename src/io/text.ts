/**
 * Line access to plain or gzip-compressed text files. Compression is told by
 * the file's first bytes, not its name, so `matrix.mtx` that is really
 * gzipped (or `genes.tsv.gz` that is not) still reads.
 *
 * @example
 * for await (const lines of readLineBatches('features.tsv.gz')) {
 *   for (const line of lines) handle(line);
 * }
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { invalidInput, isScgraphError } from '../errors.ts';

const GZIP_MAGIC = [0x1f, 0x8b];

/** The first `length` bytes of a file (fewer when the file is shorter). */
export async function readHead(path: string, length: number): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileError(path, error);
  }
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Whether the file starts with the gzip signature. */
export async function isGzipFile(path: string): Promise<boolean> {
  const head = await readHead(path, 2);
  return head.length === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/**
 * The lines of a text file in batches (one batch per decoded chunk), without
 * line terminators; `\r\n` endings are accepted. A final empty line (the
 * newline at the end of the file) is not reported.
 *
 * Batches rather than single lines because a per-line async step costs more
 * than parsing the line itself for multi-gigabyte matrices.
 */
export async function* readLineBatches(path: string): AsyncGenerator<string[]> {
  const gzip = await isGzipFile(path);
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  let stream: Readable = file;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: 1 << 18 });
    // pipe() does not forward source errors; forward them so the loop sees them.
    file.on('error', (error) => gunzip.destroy(error));
    stream = file.pipe(gunzip);
  }
  stream.setEncoding('utf8');

  let rest = '';
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = rest + chunk;
      if (first) {
        // A byte-order mark would otherwise become part of the first token.
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1);
      }
      if (lines.length > 0) yield lines;
    }
  } catch (error) {
    throw fileError(path, error, gzip);
  } finally {
    stream.destroy();
    file.destroy();
  }
  if (rest.length > 0) yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest];
}

/** The lines of a text file one at a time; see `readLineBatches`. */
export async function* readLines(path: string): AsyncGenerator<string> {
  for await (const batch of readLineBatches(path)) yield* batch;
}

/** Every line of a (small) text file. */
export async function readAllLines(path: string): Promise<string[]> {
  const all: string[] = [];
  for await (const batch of readLineBatches(path)) {
    for (const line of batch) all.push(line);
  }
  return all;
}

function fileError(path: string, error: unknown, gzip = false) {
  if (isScgraphError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return invalidInput(path, 'file does not exist', {}, error);
  if (code === 'EISDIR') return invalidInput(path, 'is a folder, expected a file', {}, error);
  if (code === 'EACCES')
    return invalidInput(path, 'file cannot be read (permission denied)', {}, error);
  if (gzip && code?.startsWith('Z_')) {
    return invalidInput(
      path,
      `gzip data is corrupt or truncated (${(error as Error).message})`,
      {},
      error,
    );
  }
  if (gzip && /unexpected end of file/i.test(String((error as Error)?.message))) {
    return invalidInput(path, 'gzip data is truncated (unexpected end of file)', {}, error);
  }
  return invalidInput(
    path,
    `cannot read file: ${(error as Error)?.message ?? String(error)}`,
    {},
    error,
  );
}
