import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { lookup3 } from './lookup3.ts';

/**
 * Booleans as h5py stores them: an HDF5 enum {FALSE: 0, TRUE: 1} over int8.
 * anndata 0.8 hands the categorical `ordered` attribute straight to pandas,
 * which accepts only a real boolean, and a uint8 obs column would come back
 * as integers; so booleans must be that enum.
 *
 * h5wasm cannot create enum types (its datatype builder stops at compounds).
 * So booleans are written as a one-member compound `{scgraphBOOL: int8}`
 * whose encoded datatype message is exactly as long as the enum's (33 bytes
 * at the datatype version 3 that h5wasm's default library bounds give), and
 * `patchBooleanPlaceholders` swaps the message bytes after the file is closed
 * and re-seals the checksum of the object-header chunk that holds them. The
 * element size (1 byte) and the stored values are the same in both types.
 */
export const BOOL_PLACEHOLDER_DTYPE: [string, string][] = [['scgraphBOOL', '|b']];

/** Compound v3, 1 member, size 1; name "scgraphBOOL\0", offset 0 (1 byte); member int8. */
const PLACEHOLDER = Uint8Array.from([
  0x36,
  0x01,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  ...Array.from('scgraphBOOL\0', (ch) => ch.charCodeAt(0)),
  0x00,
  0x10,
  0x08,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x08,
  0x00,
]);

/** Enum v3, 2 members, size 1; base int8; names "FALSE\0TRUE\0"; values 0, 1. */
const BOOL_ENUM = Uint8Array.from([
  0x38,
  0x02,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  0x10,
  0x08,
  0x00,
  0x00,
  0x01,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x08,
  0x00,
  ...Array.from('FALSE\0TRUE\0', (ch) => ch.charCodeAt(0)),
  0x00,
  0x01,
]);

const BLOCK = 1 << 24;
/** How far before a placeholder its object-header chunk may start. */
const MAX_CHUNK = 1 << 16;
const MAX_CONTINUATION = 1 << 13;

/**
 * Replace every boolean placeholder datatype in a closed HDF5 file with the
 * h5py boolean enum, fixing the checksum of each object-header chunk touched.
 * Throws when a placeholder is not inside a chunk whose checksum verifies,
 * rather than leave a file HDF5 would reject. Returns how many were replaced.
 */
export function patchBooleanPlaceholders(path: string): number {
  const fd = openSync(path, 'r+');
  try {
    const hits = findAll(fd, PLACEHOLDER);
    const chunks = new Map<number, Uint8Array>();
    for (const hit of hits) {
      const chunk = enclosingChunk(fd, hit, chunks);
      if (!chunk) throw new Error(`HDF5 boolean patch: no object header holds offset ${hit}`);
      chunk.bytes.set(BOOL_ENUM, hit - chunk.start);
    }
    for (const [start, bytes] of chunks) {
      const sum = lookup3(bytes.subarray(0, bytes.length - 4));
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, sum, true);
      writeSync(fd, bytes, 0, bytes.length, start);
    }
    return hits.length;
  } finally {
    closeSync(fd);
  }
}

function findAll(fd: number, needle: Uint8Array): number[] {
  const hits: number[] = [];
  const buffer = new Uint8Array(BLOCK + needle.length);
  let position = 0;
  let carried = 0;
  for (;;) {
    const read = readSync(fd, buffer, carried, BLOCK, position);
    const filled = carried + read;
    const view = Buffer.from(buffer.buffer, 0, filled);
    for (let i = view.indexOf(needle); i >= 0; i = view.indexOf(needle, i + 1)) {
      hits.push(position - carried + i);
    }
    if (read === 0) break;
    // Keep the last needle-1 bytes so a match across blocks is still seen.
    carried = Math.min(needle.length - 1, filled);
    buffer.copyWithin(0, filled - carried, filled);
    position += read;
  }
  return [...new Set(hits)].sort((a, b) => a - b);
}

interface Chunk {
  start: number;
  bytes: Uint8Array;
}

/**
 * The object-header chunk (an 'OHDR' prefix chunk or an 'OCHK' continuation)
 * around `offset`, read whole; found by walking back to a signature and
 * accepting it only when its stored checksum verifies.
 */
function enclosingChunk(fd: number, offset: number, cache: Map<number, Uint8Array>): Chunk | null {
  for (const [start, bytes] of cache) {
    if (offset >= start && offset + BOOL_ENUM.length <= start + bytes.length - 4) {
      return { start, bytes };
    }
  }
  const windowStart = Math.max(0, offset - MAX_CHUNK);
  const window = new Uint8Array(offset + MAX_CHUNK - windowStart);
  const got = readSync(fd, window, 0, window.length, windowStart);
  const view = Buffer.from(window.buffer, 0, got);
  const rel = offset - windowStart;
  for (let s = rel; s >= 0; s--) {
    const sig = view.toString('latin1', s, s + 4);
    if (sig !== 'OHDR' && sig !== 'OCHK') continue;
    const lengths = sig === 'OHDR' ? [ohdrLength(view, s)] : candidateLengths(rel - s, got - s);
    for (const length of lengths) {
      if (length === null || rel + BOOL_ENUM.length > s + length - 4 || s + length > got) continue;
      const bytes = view.subarray(s, s + length);
      const stored = new DataView(bytes.buffer, bytes.byteOffset).getUint32(length - 4, true);
      if (lookup3(bytes.subarray(0, length - 4)) === stored) {
        const copy = Uint8Array.from(bytes);
        cache.set(windowStart + s, copy);
        return { start: windowStart + s, bytes: copy };
      }
    }
  }
  return null;
}

/** Total length of a version-2 object header's first chunk, checksum included. */
function ohdrLength(view: Buffer, s: number): number | null {
  if (view[s + 4] !== 2) return null;
  const flags = view[s + 5];
  let p = s + 6;
  if (flags & 0x20) p += 16; // access, modification, change, birth times
  if (flags & 0x10) p += 4; // attribute storage phase change values
  const sizeBytes = 1 << (flags & 0x03);
  let size = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) size = size * 256 + view[p + i];
  return p + sizeBytes - s + size + 4;
}

/**
 * A continuation chunk's length is stored in the message that points to it;
 * rather than follow that, try each length that could hold the hit, up to a
 * bound well above the few attributes our objects carry.
 */
function* candidateLengths(minimum: number, maximum: number): Generator<number> {
  const last = Math.min(maximum, minimum + MAX_CONTINUATION);
  for (let length = minimum + BOOL_ENUM.length + 4; length <= last; length++) yield length;
}
