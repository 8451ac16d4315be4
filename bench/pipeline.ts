/**
 * Side-by-side benchmark: our `scgraph build` against the Python reference
 * pipeline (../shared/bench/ref_pipeline.py, done the way scanpy does it), on
 * the same synthetic files, back to back on the same machine. Reports
 * per-step seconds, whole-process seconds, peak RSS and kNN recall@15, and
 * the ratios between the two, since absolute times on shared machines are
 * noisy.
 *
 * Usage: npm run bench -- [--sizes 10000,50000,200000] [--runs 1] [--skip-ref]
 *        [--work /tmp/scbench] [--recall-sample 5000]
 * Needs /usr/bin/python3 with anndata, scikit-learn and pynndescent (Debian:
 * python3-anndata python3-sklearn python3-pynndescent). Synthetic files are
 * generated on first use under --work and never committed (above 300k cells by
 * bench/make-synth-stream.py, which fits 1M cells in memory). A reference run
 * that fails (at 1M cells it may be killed for memory) is reported, not fatal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRecall } from './recall.ts';

const SHARED_BENCH = resolve(import.meta.dirname, '../../shared/bench');

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,50000,200000' },
    runs: { type: 'string', default: '1' },
    'skip-ref': { type: 'boolean', default: false },
    work: { type: 'string', default: '/tmp/scbench' },
    'recall-sample': { type: 'string', default: '5000' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const work = values.work;
mkdirSync(work, { recursive: true });

/** The fields of ref_pipeline.py's JSON line that the report uses. */
interface RefResult {
  import_s: number;
  jit_warmup_s: number;
  total_s: number;
  recall_at_15: number;
  peak_rss_process_mib: number;
  steps: Record<string, { wall_s: number }>;
}

interface ProcessRun {
  wallSeconds: number;
  peakRssMiB: number;
  stdout: string;
  /** Why the process failed, when `allowFailure` let it (e.g. killed for memory). */
  failure?: string;
}

/** Runs a command under /usr/bin/time and returns its wall time and peak RSS. */
function timedRun(command: string, args: string[], allowFailure = false): ProcessRun {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', command, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    cwd: resolve(import.meta.dirname, '..'),
  });
  const line = result.stderr.split('\n').find((l) => l.startsWith('TIME '));
  if (allowFailure && line && result.status !== 0) {
    const [, wall, rssKiB] = line.split(' ');
    const reason = result.stderr.match(
      /Command (terminated by signal \d+|exited with non-zero status \d+)/,
    );
    return {
      wallSeconds: Number(wall),
      peakRssMiB: Number(rssKiB) / 1024,
      stdout: result.stdout,
      failure: reason?.[1] ?? `exit ${result.status}`,
    };
  }
  if (result.status !== 0 || !line) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr.slice(-3000)}`,
    );
  }
  const [, wall, rssKiB] = line.split(' ');
  return { wallSeconds: Number(wall), peakRssMiB: Number(rssKiB) / 1024, stdout: result.stdout };
}

const STREAM_FROM = 300_000;

function synthFile(n: number): string {
  const path = join(work, `synth_${n}.h5ad`);
  if (!existsSync(path)) {
    console.error(`generating ${path} ...`);
    // make_synth.py holds the matrix twice in memory (about 26 GB at 1M cells); above
    // STREAM_FROM cells its data is written chunk by chunk instead (same values).
    const script =
      n > STREAM_FROM
        ? join(import.meta.dirname, 'make-synth-stream.py')
        : join(SHARED_BENCH, 'make_synth.py');
    const r = spawnSync('/usr/bin/python3', [script, '--n-cells', String(n), '--out', path], {
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error(`${script} failed for ${n} cells`);
  }
  return path;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const results: Record<string, unknown>[] = [];
for (const n of sizes) {
  const file = synthFile(n);
  const out = join(work, `pkg_${n}`);
  const ours: { run: ProcessRun; timings: Record<string, number> }[] = [];
  const refs: { run: ProcessRun; json: RefResult }[] = [];
  const refFailures: ProcessRun[] = [];
  for (let r = 0; r < runs; r++) {
    if (!values['skip-ref']) {
      const run = timedRun(
        '/usr/bin/python3',
        [join(SHARED_BENCH, 'ref_pipeline.py'), file, '--recall-sample', values['recall-sample']],
        true,
      );
      if (run.failure) refFailures.push(run);
      else refs.push({ run, json: JSON.parse(run.stdout.trim().split('\n').pop()!) });
    }
    // The compiled CLI (npm run bench builds it first), as users run it.
    const run = timedRun(process.execPath, [
      'dist/src/cli/main.js',
      'build',
      file,
      '-o',
      out,
      '--overwrite',
      '--json',
      '-q',
    ]);
    ours.push({ run, timings: JSON.parse(run.stdout).timings });
  }
  const ourRecall = await packageRecall(out, Number(values['recall-sample']));
  const ourWall = median(ours.map((o) => o.run.wallSeconds));
  const ourRss = Math.max(...ours.map((o) => o.run.peakRssMiB));
  const steps: Record<string, number> = {};
  for (const key of Object.keys(ours[0].timings))
    steps[key] = median(ours.map((o) => o.timings[key]));
  const row: Record<string, unknown> = {
    cells: n,
    ours: {
      processSeconds: ourWall,
      peakRssMiB: Math.round(ourRss),
      recallAt15: round(ourRecall, 4),
      steps: mapRound(steps),
    },
  };
  if (refs.length === 0 && refFailures.length) {
    row.reference = {
      failed: refFailures[0].failure,
      afterSeconds: refFailures[0].wallSeconds,
      peakRssMiB: Math.round(refFailures[0].peakRssMiB),
    };
  }
  if (refs.length) {
    const refProcess = median(refs.map((r) => r.run.wallSeconds));
    // The reference process also spends time measuring its own recall with an exact search;
    // its fair whole-process time is imports + JIT warm-up + the pipeline itself.
    const refFair = median(refs.map((r) => r.json.import_s + r.json.jit_warmup_s + r.json.total_s));
    const refSteady = median(refs.map((r) => r.json.total_s));
    row.reference = {
      processSeconds: refProcess,
      processSecondsWithoutRecallCheck: round(refFair, 2),
      steadyStateSeconds: round(refSteady, 2),
      peakRssMiB: Math.round(Math.max(...refs.map((r) => r.json.peak_rss_process_mib))),
      recallAt15: refs[0].json.recall_at_15,
      steps: mapRound(
        Object.fromEntries(Object.entries(refs[0].json.steps).map(([k, v]) => [k, v.wall_s])),
      ),
    };
    row.ratios = {
      processSpeedup: round(refFair / ourWall, 2),
      steadyStateSpeedup: round(refSteady / ourWall, 2),
      memoryRatio: round(ourRss / Math.max(...refs.map((r) => r.json.peak_rss_process_mib)), 2),
    };
  }
  results.push(row);
  console.log(JSON.stringify(row));
}

const outDir = resolve(import.meta.dirname, 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'pipeline.json'), `${JSON.stringify(results, null, 2)}\n`);
console.error(`wrote ${join(outDir, 'pipeline.json')}`);

function round(v: number, digits: number): number {
  return Math.round(v * 10 ** digits) / 10 ** digits;
}
function mapRound(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, 3)]));
}
