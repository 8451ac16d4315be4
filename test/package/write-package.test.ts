import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isScgraphError } from '../../src/errors.ts';
import { validatePackage } from '../../src/package/validate.ts';
import { checkOutputFolder, writePackage } from '../../src/package/write-package.ts';
import { smallDataset } from './small-dataset.ts';

const PACKAGE_FILES = ['dataset.h5ad', 'graph.npz', 'manifest.json'];
// sha256 of the 6 bytes "hello\n", from `printf 'hello\n' | sha256sum`.
const HELLO_SHA256 = '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03';

let root: string;
let source: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'scgraph-package-'));
  source = join(root, 'input.txt');
  writeFileSync(source, 'hello\n');
});
after(() => rmSync(root, { recursive: true, force: true }));

function input(extra: { builtAt?: string } = {}) {
  return {
    source: { path: source },
    parameters: { k: 4, seed: 0, label: 'cell_type' },
    graphStats: { nodes: 50, isolated: 0 },
    toolVersion: '0.0.0-test',
    ...extra,
  };
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('writePackage', () => {
  it('writes the three files and a manifest describing them', async () => {
    const { dir, manifest } = await writePackage(join(root, 'one'), smallDataset(), input());
    assert.deepEqual(readdirSync(dir).sort(), PACKAGE_FILES);
    assert.deepEqual(manifest.source, { fileName: 'input.txt', bytes: 6, sha256: HELLO_SHA256 });
    assert.equal(manifest.toolVersion, '0.0.0-test');
    // 50 cells in a ring joined to ±1 and ±2: 100 undirected edges.
    assert.deepEqual(manifest.counts, { cells: 50, genes: 6, edges: 100, features: 4 });
    assert.deepEqual(manifest.labels, {
      column: 'cell_type',
      names: ['A', 'B', 'C'],
      classCounts: { A: 17, B: 16, C: 16 },
      unlabeled: 1,
    });
    assert.deepEqual(manifest.split, {
      kind: 'stratified',
      counts: { train: 29, val: 10, test: 10, unassigned: 1 },
    });
    for (const file of manifest.files) {
      assert.equal(file.sha256, sha256(join(dir, file.name)), file.name);
      assert.equal(file.bytes, readFileSync(join(dir, file.name)).length, file.name);
    }
    const lines = manifest.files
      .map((f) => `${f.name} ${f.sha256}\n`)
      .sort()
      .join('');
    assert.equal(manifest.packageSha256, createHash('sha256').update(lines).digest('hex'));
    const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.deepEqual(onDisk, JSON.parse(JSON.stringify(manifest)));
  });

  it('writes identical bytes for the same input, across a pause of over a second', async () => {
    const first = await writePackage(join(root, 'det-a'), smallDataset(), input());
    // HDF5 stamps object headers with times at 1 s resolution; a pause would expose them.
    await sleep(1100);
    const second = await writePackage(
      join(root, 'det-b'),
      smallDataset(),
      input({ builtAt: '2024-01-01T00:00:00Z' }),
    );
    for (const name of ['dataset.h5ad', 'graph.npz']) {
      assert.ok(
        readFileSync(join(first.dir, name)).equals(readFileSync(join(second.dir, name))),
        `${name} differs between runs`,
      );
    }
    // builtAt is outside the package hash.
    assert.equal(first.manifest.packageSha256, second.manifest.packageSha256);
    const third = await writePackage(join(root, 'det-c'), smallDataset(), input());
    assert.ok(
      readFileSync(join(first.dir, 'manifest.json')).equals(
        readFileSync(join(third.dir, 'manifest.json')),
      ),
    );
  });

  it('refuses an existing package unless told to overwrite, then replaces it', async () => {
    const out = join(root, 'existing');
    await writePackage(out, smallDataset({ name: 'first' }), input());
    const before = readFileSync(join(out, 'manifest.json'));
    await assert.rejects(writePackage(out, smallDataset(), input()), (error) => {
      assert.ok(isScgraphError(error));
      assert.equal(error.kind, 'conflict');
      assert.match(error.message, /already exists.*--overwrite/);
      return true;
    });
    assert.ok(readFileSync(join(out, 'manifest.json')).equals(before), 'left as it was');

    await writePackage(out, smallDataset(), input(), { overwrite: true });
    assert.deepEqual(readdirSync(out).sort(), PACKAGE_FILES);
    assert.ok(!readFileSync(join(out, 'manifest.json')).equals(before), 'replaced');
    assert.deepEqual(leftovers('existing'), []);
  });

  it('writes into an empty folder, but never replaces anything that is not a package', async () => {
    const empty = join(root, 'empty-folder');
    mkdirSync(empty);
    await writePackage(empty, smallDataset(), input());
    assert.deepEqual(readdirSync(empty).sort(), PACKAGE_FILES);

    // A folder with other files (here the data a build read) is kept, overwrite or not.
    const data = join(root, 'data-folder');
    mkdirSync(data);
    writeFileSync(join(data, 'cells.loom'), 'precious');
    writeFileSync(join(data, 'manifest.json'), '{}');
    await assert.rejects(
      writePackage(data, smallDataset(), input(), { overwrite: true }),
      (error) => {
        assert.ok(isScgraphError(error));
        assert.equal(error.kind, 'conflict');
        assert.equal(error.file, data);
        assert.match(error.message, /not part of a dataset package \(cells\.loom\)/);
        return true;
      },
    );
    assert.deepEqual(readdirSync(data).sort(), ['cells.loom', 'manifest.json']);
    assert.equal(readFileSync(join(data, 'cells.loom'), 'utf8'), 'precious');

    // A folder without a manifest is not a package either.
    const bare = join(root, 'bare');
    mkdirSync(bare);
    writeFileSync(join(bare, 'graph.npz'), 'not ours');
    await assert.rejects(
      writePackage(bare, smallDataset(), input(), { overwrite: true }),
      /no manifest\.json/,
    );
    assert.equal(readFileSync(join(bare, 'graph.npz'), 'utf8'), 'not ours');

    // A file where the folder should go stays a file.
    const file = join(root, 'a-file');
    writeFileSync(file, 'notes');
    await assert.rejects(
      writePackage(file, smallDataset(), input(), { overwrite: true }),
      /is a file, not a folder/,
    );
    assert.equal(readFileSync(file, 'utf8'), 'notes');
    // Nor is a folder made below a file (mkdir would fail only after the whole build).
    assert.throws(
      () => checkOutputFolder(join(file, 'sub', 'pkg'), false),
      (error) => {
        assert.ok(isScgraphError(error));
        assert.match(error.message, /cannot be made: .*a-file is a file, not a folder/);
        return true;
      },
    );
    assert.throws(() => checkOutputFolder('', false), /output folder name is empty/);
    assert.throws(() => checkOutputFolder(file, true, [file]), /is the input itself/);
    assert.deepEqual(leftovers('data-folder'), []);
  });

  it('refuses an output folder that holds the input, even an earlier package', async () => {
    const out = join(root, 'holds-input');
    await writePackage(out, smallDataset(), input());
    const inside = join(out, 'dataset.h5ad');
    await assert.rejects(
      writePackage(
        out,
        smallDataset(),
        { ...input(), source: { path: inside } },
        { overwrite: true },
      ),
      (error) => {
        assert.ok(isScgraphError(error));
        assert.equal(error.kind, 'conflict');
        assert.match(error.message, /holds the input .*dataset\.h5ad/);
        return true;
      },
    );
    assert.deepEqual(readdirSync(out).sort(), PACKAGE_FILES);
  });

  it('leaves nothing behind when the dataset arrays have the wrong length', async () => {
    const good = smallDataset();
    const bad = smallDataset({ cellIds: good.cellIds.slice(1) });
    await assert.rejects(writePackage(join(root, 'bad-length'), bad, input()), (error) => {
      assert.ok(isScgraphError(error));
      assert.equal(error.kind, 'invalid-input');
      assert.equal(error.field, 'cellIds');
      assert.match(error.message, /49 cell ids for 50 rows/);
      return true;
    });
    assert.equal(existsSync(join(root, 'bad-length')), false);
    assert.deepEqual(leftovers('bad-length'), []);
  });

  it('removes the temporary folder when a file fails to write', async () => {
    // The temporary folder exists and graph.npz is being deflated when the h5ad
    // writer rejects a key HDF5 would read as a path.
    const bad = smallDataset({ uns: { 'a/b': 1 } });
    await assert.rejects(
      writePackage(join(root, 'bad-key'), bad, input()),
      /cannot be an HDF5 key/,
    );
    assert.equal(existsSync(join(root, 'bad-key')), false);
    assert.deepEqual(leftovers('bad-key'), []);
  });

  it('leaves nothing behind when the source file cannot be read', async () => {
    const missing = { ...input(), source: { path: join(root, 'nope.h5ad') } };
    await assert.rejects(
      writePackage(join(root, 'no-source'), smallDataset(), missing),
      /nope\.h5ad/,
    );
    assert.deepEqual(leftovers('no-source'), []);
  });
});

/** Entries in the test root named after `name` (the folder itself, .tmp-*, .old-*). */
function leftovers(name: string): string[] {
  return readdirSync(root).filter((entry) => entry.startsWith(`${name}.`));
}

describe('validatePackage', () => {
  async function freshPackage(name: string): Promise<string> {
    return (await writePackage(join(root, name), smallDataset(), input())).dir;
  }

  it('accepts an untouched package', async () => {
    const result = await validatePackage(await freshPackage('valid'));
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.equal(result.manifest?.name, 'small');
  });

  it('detects a flipped byte', async () => {
    const dir = await freshPackage('flipped');
    const path = join(dir, 'graph.npz');
    const bytes = readFileSync(path);
    bytes[100] ^= 0xff;
    writeFileSync(path, bytes);
    const result = await validatePackage(dir);
    assert.equal(result.ok, false);
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0], /^graph\.npz: sha256 [0-9a-f]{64}, manifest says/);
  });

  it('detects a deleted file and an extra one', async () => {
    const dir = await freshPackage('deleted');
    unlinkSync(join(dir, 'dataset.h5ad'));
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const result = await validatePackage(dir);
    assert.equal(result.ok, false);
    assert.deepEqual(result.problems, ['dataset.h5ad: missing', 'notes.txt: not in the manifest']);
  });

  it('detects a wrong packageSha256', async () => {
    const dir = await freshPackage('wrong-hash');
    const path = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    manifest.packageSha256 = '0'.repeat(64);
    writeFileSync(path, JSON.stringify(manifest));
    const result = await validatePackage(dir);
    assert.equal(result.ok, false);
    assert.match(result.problems[0], /packageSha256 0{64} does not match/);
  });

  it('detects an edited manifest field, but lets builtAt change', async () => {
    const dir = await freshPackage('edited');
    const path = join(dir, 'manifest.json');
    const original = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...original, builtAt: '2030-01-01T00:00:00Z' }));
    assert.deepEqual((await validatePackage(dir)).problems, []);

    writeFileSync(
      path,
      JSON.stringify({ ...original, counts: { ...original.counts, cells: 999 } }),
    );
    const edited = await validatePackage(dir);
    assert.equal(edited.ok, false);
    assert.equal(edited.problems.length, 1);
    assert.match(edited.problems[0], /^manifest\.json: its fields were changed/);

    // Removing the hash does not hide the edit: schema 2 requires it.
    const { manifestSha256: _, ...stripped } = original;
    assert.equal(original.schemaVersion, 2);
    writeFileSync(
      path,
      JSON.stringify({ ...stripped, counts: { ...original.counts, cells: 999 } }),
    );
    assert.match((await validatePackage(dir)).problems.join('\n'), /has no manifestSha256/);
    // A package of schema 1 (before manifestSha256 existed) is checked on its files alone.
    writeFileSync(path, JSON.stringify({ ...stripped, schemaVersion: 1 }));
    assert.deepEqual((await validatePackage(dir)).problems, []);
  });

  it('names a file given instead of a package folder', async () => {
    const file = join(root, 'not-a-package.txt');
    writeFileSync(file, 'x');
    const result = await validatePackage(file);
    assert.equal(result.ok, false);
    assert.match(result.problems[0], /is a file; a package is the folder holding manifest\.json/);
  });

  it('reports a missing manifest', async () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    const result = await validatePackage(dir);
    assert.equal(result.ok, false);
    assert.equal(result.manifest, null);
    assert.match(result.problems[0], /^manifest\.json: missing/);
  });

  it('names a package folder that does not exist, without creating it', async () => {
    const dir = join(root, 'no-such-package');
    const result = await validatePackage(dir);
    assert.equal(result.ok, false);
    assert.deepEqual(result.problems, [`${dir}: no such folder`]);
    assert.equal(existsSync(dir), false);
  });
});
