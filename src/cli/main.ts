import { Command, InvalidArgumentError, Option } from 'commander';
import type { BuildOptions } from '../build.ts';
import { buildPackage, TOOL_VERSION } from '../build.ts';
import { isScgraphError, ScgraphError } from '../errors.ts';
import { validatePackage } from '../package/validate.ts';
import { removeUnfinishedPackages } from '../package/write-package.ts';
import type { InputFormat } from '../read/dataset.ts';
import { formatSummary, inspectInput } from '../read/inspect.ts';
import type { ReadInputOptions } from '../read/read-input.ts';
import type { ProgressReporter } from './progress.ts';
import { barReporter, lineReporter, silentReporter } from './progress.ts';

const program = new Command()
  .name('scgraph')
  .description('Single-Cell Graph Hub: single-cell files in, graph datasets out')
  .version(TOOL_VERSION)
  .showHelpAfterError('(add --help for usage)')
  // Usage errors from the parser start like every other error of the CLI.
  .configureOutput({ outputError: (text, write) => write(`scgraph: ${text}`) });

const int = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n))
    throw new InvalidArgumentError(`${name} must be an integer, got '${value}'`);
  return n;
};
const num = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n))
    throw new InvalidArgumentError(`${name} must be a number, got '${value}'`);
  return n;
};
const fractions = (value: string): [number, number, number] => {
  const parts = value.split(/[,/]/).map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0)) {
    throw new InvalidArgumentError(
      `--fractions takes three numbers like 0.6,0.2,0.2, got '${value}'`,
    );
  }
  const sum = parts[0] + parts[1] + parts[2];
  // 0.7,0.2,0.2 is a typo, not a ratio: refuse it rather than quietly rescale.
  if (Math.abs(sum - 1) > 1e-6) {
    throw new InvalidArgumentError(
      `--fractions must add up to 1, got ${parts.join(' + ')} = ${Number(sum.toFixed(6))}`,
    );
  }
  // Only rounding noise is left to remove.
  return parts.map((p) => p / sum) as [number, number, number];
};

program
  .command('build')
  .description('build a graph dataset package from a single-cell file or folder')
  .argument('<input>', 'h5ad, 10x MTX folder, 10x .h5, .loom, CSV/TSV, or Visium folder')
  .requiredOption('-o, --out <dir>', 'output package folder (required; new or empty)')
  .option('--label <column>', 'cell metadata column with class labels')
  .option('--name <name>', 'dataset name (default: from the input file name)')
  .addOption(formatOption())
  .option(
    '--matrix <name>',
    "matrix to use: h5ad 'X' (default), 'raw' or 'layers/<name>'; Loom 'matrix' (default) or 'layers/<name>'",
  )
  .option(
    '--feature-types <types>',
    "10x feature types to keep, comma-separated, or 'all'",
    'Gene Expression',
  )
  .option(
    '--genome <genome>',
    '10x HDF5 (Cell Ranger 2) genome to read; needed when the file holds several',
  )
  .addOption(orientationOption())
  .option('--cell-metadata <file>', 'CSV/TSV of cell metadata joined by cell id')
  .option('--min-genes <n>', 'QC: minimum detected genes per cell', int('--min-genes'), 1)
  .option('--min-cells <n>', 'QC: minimum cells per gene', int('--min-cells'), 1)
  .option(
    '--max-mito <fraction>',
    "QC: maximum mitochondrial share of a cell's counts (genes whose symbol starts with MT-, any case)",
    num('--max-mito'),
  )
  .addOption(
    new Option(
      '--transform <t>',
      "'normalize-log1p' for counts, 'log1p' for FPKM/TPM, 'none' for log-scale values (qPCR)",
    )
      .choices(['normalize-log1p', 'log1p', 'none'])
      .default('normalize-log1p'),
  )
  .option('--n-top-genes <n>', 'highly variable genes', int('--n-top-genes'), 2000)
  .option('--n-pcs <n>', 'PCA components', int('--n-pcs'), 50)
  .option('--use-rep <key>', 'use this obsm embedding instead of PCA')
  .option('--use-graph <key>', 'use this obsp graph instead of computing kNN')
  .option('-k, --neighbors <k>', 'neighbours per cell, self included', int('--neighbors'), 15)
  .addOption(
    new Option('--knn-method <m>', "kNN search; 'auto' is exact below 5,000 cells, HNSW above")
      .choices(['auto', 'exact', 'hnsw'])
      .default('auto'),
  )
  .addOption(
    new Option(
      '--graph <g>',
      "graph in graph.npz; 'auto' is spatial when the input has coordinates, else expression",
    )
      .choices(['auto', 'expression', 'spatial'])
      .default('auto'),
  )
  .addOption(
    new Option(
      '--spatial-graph <kind>',
      "spatial graph kind; 'auto' is the Visium hexagonal grid when array rows/columns exist, else Delaunay",
    )
      .choices(['auto', 'visium-grid', 'knn', 'radius', 'delaunay'])
      .default('auto'),
  )
  .option('--spatial-k <k>', 'spatial kNN neighbours', int('--spatial-k'), 6)
  .option(
    '--spatial-radius <r>',
    'spatial radius in coordinate units (pixels for Visium); needed by --spatial-graph radius',
    num('--spatial-radius'),
  )
  .addOption(
    new Option(
      '--split <kind>',
      "split kind; 'auto' is stratified by --label when one is given, else none",
    )
      .choices(['auto', 'stratified', 'group', 'ordered', 'none'])
      .default('auto'),
  )
  .option('--split-column <column>', 'column for group-held-out or ordered splits')
  .addOption(
    new Option('--fractions <f>', 'train,val,test fractions')
      .argParser(fractions)
      .default([0.6, 0.2, 0.2], '0.6,0.2,0.2'),
  )
  .addOption(
    new Option('--features <f>', 'node features in graph.npz')
      .choices(['pca', 'hvg'])
      .default('pca'),
  )
  .option('--seed <n>', 'random seed', int('--seed'), 0)
  .option(
    '--overwrite',
    'replace an earlier package in the output folder (nothing else is ever replaced)',
  )
  .option('--json', 'print the result as JSON')
  .option('-q, --quiet', 'no progress output')
  .action(async (input: string, o: Record<string, unknown>) => {
    const options: BuildOptions = {
      name: o.name as string | undefined,
      label: o.label as string | undefined,
      format: o.format as BuildOptions['format'],
      matrix: o.matrix as string | undefined,
      featureTypes:
        o.featureTypes === 'all'
          ? 'all'
          : String(o.featureTypes)
              .split(',')
              .map((s) => s.trim()),
      genome: o.genome as string | undefined,
      orientation: o.orientation as BuildOptions['orientation'],
      cellMetadata: o.cellMetadata as string | undefined,
      minGenes: o.minGenes as number,
      minCells: o.minCells as number,
      maxMitoFraction: o.maxMito as number | undefined,
      transform: o.transform as BuildOptions['transform'],
      nTopGenes: o.nTopGenes as number,
      nComponents: o.nPcs as number,
      useRep: o.useRep as string | undefined,
      useGraph: o.useGraph as string | undefined,
      k: o.neighbors as number,
      knnMethod: o.knnMethod as BuildOptions['knnMethod'],
      graph: o.graph as BuildOptions['graph'],
      spatialGraph: o.spatialGraph as BuildOptions['spatialGraph'],
      spatialK: o.spatialK as number,
      spatialRadius: o.spatialRadius as number | undefined,
      split: o.split as BuildOptions['split'],
      splitColumn: o.splitColumn as string | undefined,
      fractions: o.fractions as [number, number, number],
      features: o.features as BuildOptions['features'],
      seed: o.seed as number,
      overwrite: Boolean(o.overwrite),
    };
    const reporter = pickReporter(Boolean(o.json || o.quiet));
    // Interrupted while writing: remove the half-written package folder, then exit as
    // signalled. Only then: a handler defers the signal to the event loop, and the
    // pipeline's long synchronous steps would hold Ctrl-C back.
    const onSignal = (signal: NodeJS.Signals) => {
      removeUnfinishedPackages();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    let guarded = false;
    try {
      const result = await buildPackage(input, o.out as string, options, {
        onProgress: (e) => {
          if (e.step === 'write' && !guarded) {
            guarded = true;
            process.once('SIGINT', onSignal);
            process.once('SIGTERM', onSignal);
          }
          reporter.onProgress(e);
        },
      });
      reporter.stop();
      if (o.json) {
        print({
          ok: true,
          dir: result.dir,
          manifest: result.manifest,
          timings: result.timings,
          warnings: result.warnings,
        });
      } else {
        for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
        const m = result.manifest as { counts?: Record<string, number> };
        process.stdout.write(
          `built ${result.dir} (${m.counts?.cells ?? '?'} cells, ${m.counts?.edges ?? '?'} edges)\n`,
        );
      }
    } finally {
      reporter.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });

program
  .command('inspect')
  .description('show what a single-cell file holds, without building')
  .argument('<input>')
  .addOption(formatOption())
  .option('--matrix <name>', "matrix to describe: h5ad 'X', 'raw' or 'layers/<name>'")
  .option('--genome <genome>', '10x HDF5 (Cell Ranger 2) genome to read')
  .addOption(orientationOption())
  .option('--cell-metadata <file>', 'CSV/TSV of cell metadata to join, as build would')
  .option('--json', 'print JSON')
  .action(async (input: string, { json, ...readOptions }: InspectFlags) => {
    const summary = await inspectInput(input, readOptions);
    if (json) print(summary);
    else process.stdout.write(`${formatSummary(summary)}\n`);
  });

program
  .command('validate')
  .description("re-hash a package's files against its manifest")
  .argument('<package>')
  .option('--json', 'print JSON')
  .action(async (dir: string, o: { json?: boolean }) => {
    const result = await validatePackage(dir);
    if (o.json) print({ ok: result.ok, problems: result.problems });
    else if (result.ok) process.stdout.write(`${dir}: ok\n`);
    else
      process.stderr.write(
        `${dir}: ${result.problems.length} problem(s)\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n`,
      );
    if (!result.ok) process.exitCode = 1;
  });

program
  .command('serve')
  .description('serve the hub (catalog, downloads, curation) over HTTP')
  .addHelpText(
    'after',
    `
Configured by environment variables:
  PORT                  port to listen on (default 8000)
  DATA_DIR              embedded database, files and uploads (default ./var)
  DATABASE_URL          PostgreSQL instead of the embedded database
  REDIS_URL             Redis instead of the in-process cache
  S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
                        S3-compatible storage instead of DATA_DIR's files`,
  )
  .option('--no-seed', 'do not build and publish the bundled datasets at start')
  .action(async (o: { seed: boolean }) => {
    const { serveHub } = await import('./serve.ts');
    await serveHub({ seed: o.seed });
  });

program
  .command('migrate')
  .description(
    'apply pending catalog migrations and exit (with the embedded database, while the hub is stopped)',
  )
  .action(async () => {
    const { migrateCatalog } = await import('./serve.ts');
    const applied = await migrateCatalog();
    process.stdout.write(
      applied.length ? `applied: ${applied.join(', ')}\n` : 'catalog is up to date\n',
    );
  });

const keys = program
  .command('keys')
  .description(
    'manage API keys (with the embedded database, while the hub is stopped: it serves one process)',
  );
keys
  .command('create')
  .description('create an API key and print it once')
  .addOption(
    new Option('--role <role>', 'key role')
      .choices(['reader', 'curator', 'admin'])
      .makeOptionMandatory(),
  )
  .option('--label <label>', 'who or what the key is for', '')
  .action(async (o: { role: 'reader' | 'curator' | 'admin'; label: string }) => {
    const { createApiKey } = await import('./serve.ts');
    process.stdout.write(`${await createApiKey(o.role, o.label)}\n`);
  });
keys
  .command('list')
  .description('list API keys: id, role, label, created (the keys themselves are not kept)')
  .option('--json', 'print JSON')
  .action(async (o: { json?: boolean }) => {
    const { listApiKeys } = await import('./serve.ts');
    const all = await listApiKeys();
    if (o.json) print(all);
    else if (all.length === 0) process.stdout.write('no API keys\n');
    else {
      const width = Math.max(...all.map((k) => k.role.length));
      for (const k of all) {
        const label = k.label ? `  ${k.label}` : '';
        process.stdout.write(`${k.id}  ${k.role.padEnd(width)}  ${k.createdAt}${label}\n`);
      }
    }
  });
keys
  .command('revoke')
  .description('revoke an API key by its id (from keys list); refused from the next request on')
  .argument('<id>')
  .action(async (id: string) => {
    const { revokeApiKey } = await import('./serve.ts');
    if (!(await revokeApiKey(id))) {
      throw new ScgraphError('not-found', `no API key has id '${id}' (see scgraph keys list)`);
    }
    process.stdout.write(`revoked ${id}\n`);
  });

/** --format, shared by build and inspect. */
function formatOption(): Option {
  const formats: InputFormat[] = ['h5ad', '10x-mtx', '10x-h5', 'loom', 'delimited', 'visium'];
  return new Option('--format <format>', 'input format (default: detected)').choices(formats);
}

/** --orientation, shared by build and inspect. */
function orientationOption(): Option {
  return new Option('--orientation <o>', "CSV/TSV orientation; 'auto' tells by the ids and shape")
    .choices(['auto', 'genes-as-rows', 'cells-as-rows'])
    .default('auto');
}

/** inspect's flags: the reader's options (commander names them as ReadInputOptions does) and --json. */
type InspectFlags = Pick<
  ReadInputOptions,
  'format' | 'matrix' | 'genome' | 'orientation' | 'cellMetadata'
> & { json?: boolean };

function pickReporter(quiet: boolean): ProgressReporter {
  if (quiet) return silentReporter;
  if (process.stderr.isTTY) return barReporter(process.stderr);
  return lineReporter((line) => process.stderr.write(`${line}\n`));
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Build options whose CLI flag is not their name in kebab case. */
const FLAG_NAMES: Record<string, string> = {
  k: 'neighbors',
  nComponents: 'n-pcs',
  maxMitoFraction: 'max-mito',
  max_mito_fraction: 'max-mito',
};

/** The command-line flag of a library option or parameter name, when there is one. */
function flagFor(field: string | undefined): string | undefined {
  if (!field) return undefined;
  const name =
    FLAG_NAMES[field] ??
    field
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .replace(/_/g, '-')
      .toLowerCase();
  for (const command of program.commands) {
    const option = command.options.find((o) => o.long === `--${name}`);
    if (option) return option.flags.replace(/ <.*$/, '').replace(', ', '/');
  }
  return undefined;
}

const wantsJson = process.argv.includes('--json');
program.parseAsync(process.argv).catch((error: unknown) => {
  if (isScgraphError(error)) {
    if (wantsJson)
      print({
        ok: false,
        error: { kind: error.kind, message: error.message, file: error.file, field: error.field },
      });
    else {
      // A parameter is named by its flag, as the user typed it, not by the library's name.
      const flag = error.kind === 'invalid-parameter' ? flagFor(error.field) : undefined;
      const text = flag
        ? [error.file, flag, error.reason].filter(Boolean).join(': ')
        : error.message;
      process.stderr.write(`scgraph: error: ${text}\n`);
    }
    process.exitCode = error.kind === 'invalid-parameter' ? 2 : 1;
    return;
  }
  process.stderr.write(
    `scgraph: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 70;
});
