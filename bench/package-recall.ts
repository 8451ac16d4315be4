/**
 * recall@15 of an already built package's kNN graph against exact search on a
 * seeded sample of its cells, without rebuilding it (e.g. after a 1M-cell
 * build that took minutes).
 *
 * Usage: node --import tsx bench/package-recall.ts <package-dir> [--sample 5000]
 */
import { parseArgs } from 'node:util';
import { packageRecall } from './recall.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { sample: { type: 'string', default: '5000' } },
});
if (positionals.length !== 1) {
  console.error('usage: bench/package-recall.ts <package-dir> [--sample 5000]');
  process.exit(2);
}
const start = performance.now();
const value = await packageRecall(positionals[0], Number(values.sample));
console.log(
  JSON.stringify({
    package: positionals[0],
    sample: Number(values.sample),
    recallAt15: Math.round(value * 1e4) / 1e4,
    seconds: Math.round((performance.now() - start) / 100) / 10,
  }),
);
