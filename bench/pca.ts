/**
 * PCA's covariance route, old against new in one process: the subspace
 * iteration with a single-threaded Gram matrix as of commit OLD_COMMIT (its
 * pca.ts is taken from git into bench/out/ and imported from there) against
 * the current Lanczos route with the Gram matrix on worker threads. The input
 * is prepared the way `scgraph build` does with default options (QC,
 * normalize + log1p, 2,000 highly variable genes). Runs alternate old and
 * new so that background load hits both alike; report ratios, not absolute
 * times, on a shared machine.
 *
 * Usage: node --import tsx bench/pca.ts <file.h5ad> [--runs 2]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { CsrMatrix } from '../src/matrix/csr.ts';
import { gramUpper } from '../src/matrix/gram.ts';
import { highlyVariableGenes } from '../src/matrix/hvg.ts';
import { transformExpression } from '../src/matrix/normalize.ts';
import { type PcaResult, pca } from '../src/matrix/pca.ts';
import { maskToIndices, qcFilter, subsetCsr } from '../src/matrix/qc.ts';
import { readH5ad } from '../src/read/h5ad.ts';

/** The last commit with the subspace-iteration covariance route. */
const OLD_COMMIT = 'bd583b8';
const ROOT = resolve(import.meta.dirname, '..');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '2' } },
});
if (positionals.length !== 1) {
  console.error('usage: node --import tsx bench/pca.ts <file.h5ad> [--runs 2]');
  process.exit(2);
}
const runs = Number(values.runs);

interface OldPca {
  pca: (X: CsrMatrix, options: { seed: number; method: 'covariance' }) => PcaResult;
  gramUpper: (X: CsrMatrix) => Float64Array;
}

/** The old pca.ts, its relative imports pointed back at src/ (unchanged since then). */
async function loadOld(): Promise<OldPca> {
  const source = execFileSync('git', ['show', `${OLD_COMMIT}:src/matrix/pca.ts`], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .replaceAll("from '../", "from '../../src/")
    .replaceAll("from './", "from '../../src/matrix/");
  const dir = join(ROOT, 'bench/out');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `pca-${OLD_COMMIT}.ts`);
  writeFileSync(path, source);
  return import(pathToFileURL(path).href);
}

function seconds<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const value = f();
  return [value, (performance.now() - t0) / 1000];
}

/** The highly variable genes' matrix, as a build with default options makes it. */
async function load(file: string): Promise<CsrMatrix> {
  const { X } = await readH5ad(file);
  const qc = qcFilter(X, { minGenes: 1, minCells: 1 });
  const counts = subsetCsr(X, maskToIndices(qc.cellMask), maskToIndices(qc.geneMask));
  const logs = transformExpression(counts, 'normalize-log1p', { targetSum: 1e4, inPlace: true });
  const hvg = highlyVariableGenes(logs, { nTop: 2000 });
  return subsetCsr(logs, null, hvg.indices, hvg.selectedNnz);
}

function maxRelativeDifference(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let j = 0; j < a.length; j++) {
    worst = Math.max(worst, Math.abs(a[j] - b[j]) / Math.max(Math.abs(b[j]), 1e-300));
  }
  return worst;
}

/** Smallest |cosine| between matching components of the two results, over the first `count`. */
function minAbsCosine(a: PcaResult, b: PcaResult, count: number): number {
  const m = a.components.nCols;
  let worst = 1;
  for (let j = 0; j < count; j++) {
    let dot = 0;
    for (let g = 0; g < m; g++) dot += a.components.data[j * m + g] * b.components.data[j * m + g];
    worst = Math.min(worst, Math.abs(dot));
  }
  return worst;
}

const old = await loadOld();
const file = positionals[0];
const X = await load(file);
console.log(
  `${file}: ${X.nRows} cells × ${X.nCols} genes, ${X.indptr[X.nRows]} stored; ${availableParallelism()} cores`,
);

// The most a build copies for its Gram workers: all of X's stored values into shared memory.
const [, copySeconds] = seconds(() => {
  const end = X.indptr[X.nRows];
  new Int32Array(new SharedArrayBuffer(end * 4)).set(X.indices.subarray(0, end));
  new Float32Array(new SharedArrayBuffer(end * 4)).set(X.data.subarray(0, end));
});
console.log(`copying all stored values into shared memory: ${copySeconds.toFixed(3)} s`);

const rows: string[][] = [];
for (let run = 1; run <= runs; run++) {
  // Odd runs time old first, even runs new first.
  const pair = <T>(f: () => T, g: () => T): [[T, number], [T, number]] => {
    if (run % 2) {
      const first = seconds(f);
      return [first, seconds(g)];
    }
    const second = seconds(g);
    return [seconds(f), second];
  };
  const [[oldGram, oldGramSeconds], [newGram, newGramSeconds]] = pair(
    () => old.gramUpper(X),
    () => gramUpper(X),
  );
  const [newGram1, newGram1Seconds] = seconds(() => gramUpper(X, { threads: 1 }));
  const sameBits = Buffer.from(newGram.buffer).equals(Buffer.from(newGram1.buffer));
  const gramDiff = maxRelativeDifference(
    newGram.filter((_, i) => oldGram[i] !== 0),
    oldGram.filter((v) => v !== 0),
  );
  const [[before, oldSeconds], [after, newSeconds]] = pair(
    () => old.pca(X, { seed: 0, method: 'covariance' }),
    () => pca(X, { seed: 0, method: 'covariance' }),
  );
  console.log(
    `run ${run}: Gram old ${oldGramSeconds.toFixed(2)} s, new ${newGramSeconds.toFixed(2)} s, new on 1 thread ${newGram1Seconds.toFixed(2)} s (threads ${sameBits ? 'bit-identical' : 'DIFFER'}; max rel diff vs old ${gramDiff.toExponential(1)}); PCA old ${oldSeconds.toFixed(2)} s, new ${newSeconds.toFixed(2)} s`,
  );
  rows.push([
    String(run),
    (oldSeconds / newSeconds).toFixed(2),
    (oldGramSeconds / newGramSeconds).toFixed(2),
    (oldGramSeconds / newGram1Seconds).toFixed(2),
    `${before.iterations} × 100`,
    String(after.iterations),
    maxRelativeDifference(after.explainedVariance, before.explainedVariance).toExponential(2),
    minAbsCosine(after, before, 10).toFixed(6),
  ]);
}
console.log(
  '\n| run | PCA old/new | Gram old/new | Gram old/new, new on 1 thread | old products with C (rounds × columns) | new products with C | max rel diff of explained variances | min abs cosine, top 10 components |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
