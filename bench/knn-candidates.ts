/**
 * Measures kNN candidates on a realistic PCA embedding: build+query seconds
 * and recall@15 against exact search on a seeded sample. Prints one JSON table.
 *
 * Make the embedding first (kept out of git):
 *   /usr/bin/python3 ../shared/bench/make_synth.py --n-cells 20000 --out /tmp/scbench/s20k.h5ad
 *   /usr/bin/python3 ../shared/bench/ref_pipeline.py /tmp/scbench/s20k.h5ad \
 *     --save-pca /tmp/scbench/s20k_pca.npy
 * Run:
 *   node --import tsx bench/knn-candidates.ts /tmp/scbench/s20k_pca.npy [--sample 2000]
 *     [--settings M:efC:ef:parts,...] [--threads 1] [--exact-sizes 2000,5000]
 *     [--exact-full] [--usearch /path/to/node_modules/usearch]
 * `cpu_seconds` is the process CPU time: on a machine shared with other jobs it is
 * a steadier measure than wall time. With --threads 1 it is the one-core cost;
 * parts build and search independently, so two threads take about cpu / 2 wall.
 * The exact sample is cached beside the input (<file>.truth<sample>.bin).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { knn } from '../src/graph/knn.ts';
import type { DenseMatrix } from '../src/matrix/csr.ts';
import { Random } from '../src/matrix/random.ts';
import { exactSample, readNpyFloat32, recall } from './recall.ts';

export { readNpyFloat32 };

const K = 15;

function time<T>(fn: () => T): [T, number, number] {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out = fn();
  const c = process.cpuUsage(c0);
  return [out, (performance.now() - t0) / 1000, (c.user + c.system) / 1e6];
}

/** Exact neighbours of the sample, cached on disk: they cost minutes at 200k cells. */
function cachedTruth(path: string, x: DenseMatrix, sample: Int32Array): [Int32Array[], number] {
  const cache = `${path}.truth${sample.length}.bin`;
  if (existsSync(cache)) {
    const all = new Int32Array(readFileSync(cache).buffer.slice(0));
    return [Array.from(sample, (_, s) => all.subarray(s * K, (s + 1) * K)), 0];
  }
  const [truth, seconds] = time(() => exactSample(x, sample, K));
  const all = new Int32Array(sample.length * K);
  for (const [s, t] of truth.entries()) all.set(t, s * K);
  writeFileSync(cache, all);
  return [truth, seconds];
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      sample: { type: 'string', default: '2000' },
      'exact-full': { type: 'boolean', default: false },
      'exact-sizes': { type: 'string', default: '2000,5000,10000' },
      settings: { type: 'string', default: '12:100:48:4,12:100:32:4,16:100:64:1' },
      threads: { type: 'string', default: '1' },
      usearch: { type: 'string' },
    },
  });
  const path = positionals[0] ?? '/tmp/scbench/s20k_pca.npy';
  const x = readNpyFloat32(path);
  const n = x.nRows;
  const rng = new Random(12345);
  const sample = rng
    .shuffle(Int32Array.from({ length: n }, (_, i) => i))
    .slice(0, Number(values.sample));
  sample.sort();
  const [truth, truthS] = cachedTruth(path, x, sample);
  const rows: Record<string, unknown>[] = [];

  // Exact blocked search cost grows as n²: time it on prefixes to place the 'auto' threshold.
  const sizes = values['exact-sizes'].split(',').filter(Boolean).map(Number);
  if (values['exact-full']) sizes.push(n);
  for (const m of sizes.filter((s) => s <= n)) {
    const sub: DenseMatrix = { nRows: m, nCols: x.nCols, data: x.data.subarray(0, m * x.nCols) };
    const [, s, c] = time(() => knn(sub, { k: K, method: 'exact' }));
    rows.push({
      candidate: 'exact-blocked',
      n: m,
      seconds: +s.toFixed(2),
      cpu_seconds: +c.toFixed(2),
      recall_at_15: 1,
    });
  }

  const threads = Number(values.threads);
  for (const setting of values.settings.split(',').filter(Boolean)) {
    const [m, efConstruction, ef, parts] = setting.split(':').map(Number);
    const opts = { k: K, method: 'hnsw' as const, hnswM: m, efConstruction, efSearch: ef };
    const [res, s, c] = time(() => knn(x, { ...opts, hnswParts: parts, threads }));
    const r = recall((i) => res.indices.subarray(i * K, (i + 1) * K), sample, truth);
    rows.push({
      candidate: 'hnswlib-node',
      n,
      m,
      efConstruction,
      ef,
      parts,
      threads,
      seconds: +s.toFixed(2),
      cpu_seconds: +c.toFixed(2),
      recall_at_15: +r.toFixed(4),
    });
    console.error(JSON.stringify(rows.at(-1)));
  }

  if (values.usearch) rows.push(...(await usearchRows(values.usearch, x, sample, truth)));

  const out = { file: path, n, dim: x.nCols, k: K, recall_sample: sample.length };
  console.log(JSON.stringify({ ...out, truth_seconds: +truthS.toFixed(2), rows }, null, 1));
}

/** usearch is not a dependency: pass the path of a separately installed copy. */
async function usearchRows(
  modulePath: string,
  x: DenseMatrix,
  sample: Int32Array,
  truth: Int32Array[],
) {
  const usearch = await import(modulePath);
  const Index = usearch.Index ?? usearch.default?.Index;
  const rows: Record<string, unknown>[] = [];
  for (const p of [
    { connectivity: 16, expansion_add: 128, expansion_search: 64 },
    { connectivity: 16, expansion_add: 128, expansion_search: 128 },
  ]) {
    const [found, s] = time(() => {
      const index = new Index({ metric: 'l2sq', dimensions: x.nCols, ...p });
      const f32 = Float32Array.from(x.data);
      for (let i = 0; i < x.nRows; i++) {
        index.add(BigInt(i), f32.subarray(i * x.nCols, (i + 1) * x.nCols));
      }
      const keys: BigUint64Array[] = [];
      for (let i = 0; i < x.nRows; i++) {
        keys.push(index.search(f32.subarray(i * x.nCols, (i + 1) * x.nCols), K).keys);
      }
      return keys;
    });
    const r = recall((i) => Array.from(found[i], Number), sample, truth);
    rows.push({
      candidate: 'usearch',
      n: x.nRows,
      ...p,
      seconds: +s.toFixed(2),
      recall_at_15: +r.toFixed(4),
    });
  }
  return rows;
}

// Runs only when executed, so other scripts can import readNpyFloat32.
if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
