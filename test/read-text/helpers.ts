import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ScgraphError } from '../../src/errors.ts';
import type { CsrMatrix } from '../../src/matrix/csr.ts';
import type { Column } from '../../src/read/dataset.ts';

export const CASES = 'test/fixtures/cases';

/** Figures computed by test/fixtures/read-text/make_reference.py (scipy, pandas, h5py). */
// biome-ignore lint/suspicious/noExplicitAny: JSON written by a Python script, read field by field
export const reference: Record<string, any> = JSON.parse(
  readFileSync('test/fixtures/read-text/reference.json', 'utf8'),
);

/** A scratch folder removed by the returned `cleanup`. */
export function scratch(): {
  dir: string;
  write: (name: string, text: string, gzip?: boolean) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'scgraph-read-text-'));
  return {
    dir,
    write(name, text, gzip = false) {
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, gzip ? gzipSync(text) : text);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function rowSums(m: CsrMatrix): number[] {
  const sums: number[] = [];
  for (let r = 0; r < m.nRows; r++) {
    let s = 0;
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) s += m.data[k];
    sums.push(s);
  }
  return sums;
}

export function total(m: CsrMatrix): number {
  let s = 0;
  for (const v of m.data) s += v;
  return s;
}

/** Value counts of a categorical column, keyed by category. */
export function valueCounts(column: Column | undefined): Record<string, number> {
  assert.ok(column, 'column is missing');
  const out: Record<string, number> = {};
  if (column.kind === 'categorical') {
    for (const code of column.codes)
      if (code >= 0) out[column.categories[code]] = (out[column.categories[code]] ?? 0) + 1;
  } else if (column.kind === 'string') {
    for (const v of column.values) out[v] = (out[v] ?? 0) + 1;
  } else {
    for (const v of column.values) if (!Number.isNaN(v)) out[String(v)] = (out[String(v)] ?? 0) + 1;
  }
  return out;
}

/** Asserts that `promise` rejects with a ScgraphError whose message matches every pattern. */
export async function rejectsWith(
  promise: Promise<unknown>,
  kind: string,
  ...patterns: RegExp[]
): Promise<ScgraphError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ScgraphError, `expected a ScgraphError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}
