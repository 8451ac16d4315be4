import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CliResult, dataPath, limited, runCli } from './helpers.ts';

// Each case runs the real CLI in a child process on a small bad input written here
// (hand-written content, no randomness) and checks what a user sees: a non-zero exit,
// one line on stderr naming the file or option and the problem, no stack trace, and
// nothing left in the output's parent folder.

interface Case {
  name: string;
  /** CLI arguments after `build`, given the case's scratch folder. */
  args(dir: string): string[];
  /** What the single error line must contain besides the 'scgraph: error:' prefix. */
  expect: Array<string | RegExp>;
  /** Extra files the output folder starts with (the existing-folder case). */
  existing?: boolean;
  json?: boolean;
  skip?: string | false;
  /** Refused before any step finishes (no 'done' line on stderr). */
  early?: boolean;
}

const HSMM = dataPath('hsmm/hsmm.h5ad');
const LOOM = dataPath('pbmc_small/pbmc_small.loom');

const CSV_HEADER = 'cell,g1,g2,g3\n';
const CASES: Case[] = [
  {
    name: 'a truncated h5ad (first half of hsmm.h5ad)',
    skip: !HSMM && 'hsmm.h5ad is not in data/ or test/fixtures/',
    args: (d) => {
      const size = statSync(HSMM!).size;
      const half = Buffer.alloc(Math.floor(size / 2));
      const fd = openSync(HSMM!, 'r');
      readSync(fd, half, 0, half.length, 0);
      closeSync(fd);
      writeFileSync(join(d, 'truncated.h5ad'), half);
      return [join(d, 'truncated.h5ad')];
    },
    expect: ['truncated.h5ad', /truncated/i],
  },
  {
    name: 'a text file named .h5ad',
    args: (d) => {
      writeFileSync(join(d, 'fake.h5ad'), 'cell,g1\nc1,1\n');
      return [join(d, 'fake.h5ad')];
    },
    expect: ['fake.h5ad', /not an HDF5 file/i],
  },
  {
    name: 'a missing input path',
    args: (d) => [join(d, 'nowhere.h5ad')],
    expect: ['nowhere.h5ad', /no such file/i],
  },
  {
    name: 'an MTX whose header has more genes than genes.tsv',
    args: (d) => [
      mtx(d, 'mtx', {
        matrix: '%%MatrixMarket matrix coordinate integer general\n5 3 3\n1 1 4\n2 2 5\n3 3 6\n',
        genes: 'g1\tG1\ng2\tG2\ng3\tG3\n',
        barcodes: 'c1\nc2\nc3\n',
      }),
    ],
    expect: ['matrix.mtx', /mismatch/i, '5', '3'],
  },
  {
    name: 'duplicate cell ids in a CSV',
    args: (d) => csv(d, 'dup-cells.csv', `${CSV_HEADER}c1,1,2,3\nc1,4,5,6\nc3,1,0,2\n`),
    expect: ['dup-cells.csv', /duplicate cell id/i, "'c1'"],
  },
  {
    name: 'duplicate gene ids in a CSV',
    args: (d) => csv(d, 'dup-genes.csv', 'cell,g1,g1,g3\nc1,1,2,3\nc2,4,5,6\nc3,1,0,2\n'),
    expect: ['dup-genes.csv', /duplicate gene id/i, "'g1'"],
  },
  {
    name: 'NaN in the matrix',
    args: (d) => csv(d, 'nan.csv', `${CSV_HEADER}c1,1,2,3\nc2,4,NaN,6\nc3,1,0,2\n`),
    expect: ['nan.csv', "line 3, column 3 ('g2')", "'NaN': a missing value"],
  },
  {
    name: 'Inf in the matrix',
    args: (d) => csv(d, 'inf.csv', `${CSV_HEADER}c1,1,2,3\nc2,4,Inf,6\nc3,1,0,2\n`),
    expect: ['inf.csv', "line 3, column 3 ('g2')", "'Inf' is not a finite number"],
  },
  {
    name: 'a word among the numbers of a CSV matrix',
    args: (d) => csv(d, 'word.csv', `${CSV_HEADER}c1,1,2,3\nc2,4,abc,6\nc3,1,0,2\n`),
    expect: ['word.csv', "line 3, column 3 ('g2')", "'abc' is not a number"],
  },
  {
    name: 'NaN in a 10x MTX matrix',
    args: (d) => [
      mtx(d, 'mtx-nan', {
        matrix: '%%MatrixMarket matrix coordinate real general\n3 2 3\n1 1 1\n2 2 nan\n3 1 2\n',
        genes: 'G1\tg1\nG2\tg2\nG3\tg3\n',
        barcodes: 'AAA-1\nCCC-1\n',
      }),
      '--min-genes',
      '0',
      '--min-cells',
      '0',
    ],
    expect: ['mtx-nan', /non-finite/i, "cell 'CCC-1' (cell #2 of 2)", "gene 'G2' (gene #2 of 3)"],
  },
  {
    name: 'negative counts with the default transform',
    args: (d) => csv(d, 'negative.csv', `${CSV_HEADER}c1,1,2,3\nc2,4,-5,6\nc3,1,0,2\n`),
    expect: ['negative.csv', /negative/i, '-5', '--transform none'],
  },
  {
    name: 'no cells left after QC (--min-genes 100000)',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    args: () => [LOOM!, '--min-genes', '100000'],
    expect: ['pbmc_small.loom', /no cells/i, '100000'],
  },
  {
    name: 'a label column that does not exist',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    early: true,
    args: () => [LOOM!, '--label', 'celltype'],
    expect: ['pbmc_small.loom', '--label', "'celltype'", 'cluster', 'groups'],
  },
  {
    name: '--split group without --split-column',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    early: true,
    args: () => [LOOM!, '--label', 'cluster', '--split', 'group'],
    expect: ['--split-column', 'group split'],
  },
  {
    name: '--split ordered on a column of text',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    early: true,
    args: () => [LOOM!, '--label', 'cluster', '--split', 'ordered', '--split-column', 'groups'],
    expect: ['pbmc_small.loom', '--split-column', "'groups'", 'not ordered'],
  },
  {
    name: '--spatial-graph on a file without coordinates',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    early: true,
    args: () => [LOOM!, '--label', 'cluster', '--spatial-graph', 'delaunay'],
    expect: ['--spatial-graph', 'no spatial coordinates'],
  },
  {
    name: '--spatial-graph radius without --spatial-radius',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    early: true,
    args: () => [LOOM!, '--spatial-graph', 'radius'],
    expect: ['--spatial-radius', 'radius graph'],
  },
  {
    name: '--fractions that do not add up to 1',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    early: true,
    args: () => [LOOM!, '--label', 'cluster', '--fractions', '0.7,0.2,0.2'],
    expect: ['--fractions', 'add up to 1', '1.1'],
  },
  {
    name: 'an output folder holding other files',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    existing: true,
    early: true,
    args: () => [LOOM!, '--label', 'cluster'],
    expect: ['out', 'keep.txt', 'not part of a dataset package'],
  },
  {
    name: 'the same folder with --overwrite (which replaces only a package)',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    existing: true,
    early: true,
    args: () => [LOOM!, '--label', 'cluster', '--overwrite'],
    expect: ['out', 'keep.txt', 'only an earlier package'],
  },
  {
    name: 'a folder read with a file format',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    early: true,
    args: () => [dataPath('pbmc_small/10x_v2')!, '--format', 'h5ad'],
    expect: ['--format', 'is a folder', 'h5ad'],
  },
  {
    name: '--use-graph naming kNN distances (not symmetric)',
    early: true,
    args: () => [
      'test/fixtures/cases/09-h5ad-pre-0.7-legacy-layout/old_scanpy_2018.h5ad',
      '--use-graph',
      'distances',
      '--min-genes',
      '0',
    ],
    expect: ['old_scanpy_2018.h5ad', '--use-graph', "obsp['distances'] is not symmetric"],
  },
  {
    name: 'a group split with too few groups for its parts',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    // pbmc_small's 'groups' column holds two groups, for three parts.
    args: () => [LOOM!, '--label', 'cluster', '--split', 'group', '--split-column', 'groups'],
    expect: ['pbmc_small.loom', '--split', 'leaves test empty', 'only 2 group(s)', '--fractions'],
  },
  {
    name: 'a label with a single class among the cells',
    early: true,
    args: (d) => [
      ...csv(d, 'one-class.csv', 'cell,kind,g1,g2,g3\nc1,T,1,2,3\nc2,T,4,5,6\nc3,,1,0,2\n'),
      '--label',
      'kind',
    ],
    expect: ['one-class.csv', '--label', "one class ('T')", '1 cells have no value'],
  },
  {
    name: 'repeated gene ids in an h5ad',
    early: true,
    args: () => ['test/fixtures/read-hdf5/duplicate-genes.h5ad'],
    expect: ['duplicate-genes.h5ad', 'gene ids', 'repeated: g2'],
  },
  {
    name: '--max-mito above 1',
    early: true,
    args: (d) => [...csv(d, 'mito.csv', `${CSV_HEADER}c1,1,2,3\nc2,4,5,6\n`), '--max-mito', '5'],
    expect: ['--max-mito', 'is a fraction between 0 and 1'],
  },
  {
    name: 'a folder given as --cell-metadata',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    early: true,
    args: () => [LOOM!, '--cell-metadata', dataPath('pbmc_small/10x_v2')!],
    expect: ['10x_v2', 'is a folder', 'one CSV/TSV file'],
  },
  {
    name: 'an error in --json mode',
    skip: !LOOM && 'pbmc_small.loom is not in data/ or test/fixtures/',
    json: true,
    args: () => [LOOM!, '--label', 'celltype', '--json'],
    expect: ["'celltype'", 'cluster'],
  },
];

/** A Cell Ranger 2 MTX folder `name` in `dir` with the given file contents; its path. */
function mtx(
  dir: string,
  name: string,
  files: { matrix: string; genes: string; barcodes: string },
) {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'matrix.mtx'), files.matrix);
  writeFileSync(join(folder, 'genes.tsv'), files.genes);
  writeFileSync(join(folder, 'barcodes.tsv'), files.barcodes);
  return folder;
}

function csv(dir: string, name: string, text: string): string[] {
  writeFileSync(join(dir, name), text);
  return [join(dir, name)];
}

describe('scgraph build on bad input', () => {
  let root: string;
  const runs = new Map<string, Promise<CliResult>>();
  const parents = new Map<string, string>();

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'scgraph-e2e-bad-'));
    const jobs: Array<() => Promise<CliResult>> = [];
    CASES.forEach((c, i) => {
      if (c.skip) return;
      const inputs = join(root, `case${i}`, 'inputs');
      const parent = join(root, `case${i}`, 'parent');
      mkdirSync(inputs, { recursive: true });
      mkdirSync(parent);
      if (c.existing) {
        mkdirSync(join(parent, 'out'));
        writeFileSync(join(parent, 'out', 'keep.txt'), 'the user wrote this\n');
      }
      parents.set(c.name, parent);
      const args = ['build', ...c.args(inputs), '-o', join(parent, 'out')];
      jobs.push(() => runCli(args));
    });
    // Two children at a time: each spends most of its life loading modules.
    const started = limited(jobs, 2);
    let k = 0;
    for (const c of CASES) if (!c.skip) runs.set(c.name, started[k++]);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const c of CASES) {
    it(`fails cleanly on ${c.name}`, { skip: c.skip }, async () => {
      const r = await runs.get(c.name)!;
      assert.notEqual(r.status, 0, `exit status 0; stdout: ${r.stdout}`);
      assert.ok(r.status !== null, 'killed by a signal');
      assert.doesNotMatch(r.stderr + r.stdout, /^\s+at /m, 'a stack trace was printed');
      assert.doesNotMatch(r.stderr + r.stdout, /internal error/i);

      let message: string;
      if (c.json) {
        assert.equal(r.stderr, '', 'stderr is empty in --json mode');
        const out = JSON.parse(r.stdout);
        assert.equal(out.ok, false);
        assert.equal(typeof out.error.kind, 'string');
        message = out.error.message;
      } else {
        assert.equal(r.stdout, '', 'nothing on stdout');
        // Steps that finished before the failure log their line (stderr is not a terminal);
        // beyond those, exactly one line: the error.
        const lines = r.stderr
          .trimEnd()
          .split('\n')
          .filter((line) => !/^scgraph: [a-z]+ done in [\d.]+ s/.test(line))
          // A usage error (commander's) ends with this hint.
          .filter((line) => line !== '(add --help for usage)');
        assert.equal(lines.length, 1, `one error line on stderr, got:\n${r.stderr}`);
        if (c.early) assert.doesNotMatch(r.stderr, / done in /, 'refused before any step finished');
        assert.match(lines[0], /^scgraph: error: /);
        message = lines[0];
      }
      for (const want of c.expect) {
        if (typeof want === 'string')
          assert.ok(message.includes(want), `'${want}' not in: ${message}`);
        else assert.match(message, want);
      }

      const parent = parents.get(c.name)!;
      if (c.existing) {
        assert.deepEqual(readdirSync(parent), ['out'], 'nothing beside the existing folder');
        assert.deepEqual(readdirSync(join(parent, 'out')), ['keep.txt']);
        assert.equal(
          readFileSync(join(parent, 'out', 'keep.txt'), 'utf8'),
          'the user wrote this\n',
        );
      } else {
        assert.deepEqual(readdirSync(parent), [], 'no output or temporary folder left behind');
      }
    });
  }
});

describe('CLI usage errors', () => {
  it('answers a missing --out with the error and a one-line hint, not the whole help', async () => {
    const r = await runCli(['build', 'data/pbmc_small/pbmc_small.loom']);
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, '');
    assert.deepEqual(r.stderr.trimEnd().split('\n'), [
      "scgraph: error: required option '-o, --out <dir>' not specified",
      '(add --help for usage)',
    ]);
  });

  it('names the command-line flag of an option the library rejects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scgraph-flag-'));
    const out = join(dir, 'out');
    try {
      const r = await runCli(['build', 'data/pbmc_small/pbmc_small.loom', '-o', out, '-k', '0']);
      assert.equal(r.status, 2);
      assert.match(
        r.stderr,
        /^scgraph: error: -k\/--neighbors: must be at least 2: it counts the cell itself/,
      );
      assert.equal(existsSync(out), false);
      const pcs = await runCli([
        'build',
        'data/pbmc_small/pbmc_small.loom',
        '-o',
        out,
        '--n-pcs',
        '0',
      ]);
      // The flag, not the library's name for it (nComponents).
      assert.match(pcs.stderr, /^scgraph: error: --n-pcs: /);
      assert.doesNotMatch(pcs.stderr, /nComponents/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
