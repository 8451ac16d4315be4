import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import h5wasm from 'h5wasm/node';
import { BOOL_PLACEHOLDER_DTYPE, patchBooleanPlaceholders } from '../../src/package/hdf5-bool.ts';
import { pythonSkipReason, runPythonJson } from './python.ts';

const root = mkdtempSync(join(tmpdir(), 'scgraph-bool-'));
after(() => rmSync(root, { recursive: true, force: true }));

const member = BOOL_PLACEHOLDER_DTYPE[0][0];
const bools = (values: number[]) => new Map([[member, values]]);

describe('patchBooleanPlaceholders', () => {
  it('turns placeholders into booleans h5py reads, in first and continuation chunks', {
    skip: pythonSkipReason(),
  }, async () => {
    await h5wasm.ready;
    const path = join(root, 'bools.h5');
    const file = new h5wasm.File(path, 'w');
    const group = file.create_group('g');
    group.create_attribute('first', bools([0]), [], BOOL_PLACEHOLDER_DTYPE);
    // Objects created in between push later attributes into a continuation chunk.
    file.create_dataset({
      name: 'pad',
      data: new Float32Array(1000),
      chunks: [100],
      compression: 'gzip',
    });
    for (let i = 0; i < 4; i++) group.create_attribute(`s${i}`, 'x'.repeat(40));
    group.create_attribute('late', bools([1]), [], BOOL_PLACEHOLDER_DTYPE);
    file.create_dataset({
      name: 'mask',
      data: bools([1, 0, 0, 1, 1]),
      shape: [5],
      dtype: BOOL_PLACEHOLDER_DTYPE,
    });
    file.close();

    assert.equal(patchBooleanPlaceholders(path), 3);
    const code = `
import json, sys, h5py
f = h5py.File(sys.argv[1], "r")
a = f["g"].attrs
print(json.dumps({"first": [str(a["first"].dtype), bool(a["first"])],
                  "late": [str(a["late"].dtype), bool(a["late"])],
                  "mask": [str(f["mask"].dtype), f["mask"][()].tolist()],
                  "ochk": open(sys.argv[1], "rb").read().count(b"OCHK")}))`;
    const seen = runPythonJson(['-c', code, path]) as Record<string, unknown>;
    assert.deepEqual(seen.first, ['bool', false]);
    assert.deepEqual(seen.late, ['bool', true]);
    assert.deepEqual(seen.mask, ['bool', [true, false, false, true, true]]);
    assert.ok((seen.ochk as number) > 0, 'the test file should use a continuation chunk');
  });

  it('refuses a placeholder outside any object header it can re-seal', async () => {
    await h5wasm.ready;
    const path = join(root, 'dense.h5');
    const file = new h5wasm.File(path, 'w');
    const group = file.create_group('g');
    // Past 8 attributes HDF5 moves them to dense storage (a fractal heap), which we do not patch.
    for (let i = 0; i < 12; i++) group.create_attribute(`s${i}`, 'x'.repeat(40));
    group.create_attribute('flag', bools([1]), [], BOOL_PLACEHOLDER_DTYPE);
    file.close();
    assert.throws(() => patchBooleanPlaceholders(path), /no object header holds offset/);
  });
});
