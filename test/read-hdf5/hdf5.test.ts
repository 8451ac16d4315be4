import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ScgraphError } from '../../src/errors.ts';
import { dataset, forEachSlice, readFloat32, readStrings, withHdf5 } from '../../src/io/hdf5.ts';
import { readH5ad } from '../../src/read/h5ad.ts';
import { readLoom } from '../../src/read/loom.ts';
import { readTenxH5 } from '../../src/read/tenx-h5.ts';

const dir = mkdtempSync(join(tmpdir(), 'read-hdf5-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function invalidInputNaming(file: string) {
  return (error: unknown) => {
    assert.ok(error instanceof ScgraphError, String(error));
    assert.equal(error.kind, 'invalid-input');
    assert.equal(error.file, file);
    assert.ok(error.message.startsWith(file), error.message);
    assert.ok(error.message.length < 300, 'one readable line, not an HDF5 stack dump');
    return true;
  };
}

describe('opening HDF5 files', () => {
  it('names the file when an h5ad is truncated to its first half', async () => {
    const whole = readFileSync('data/hsmm/hsmm.h5ad');
    const truncated = join(dir, 'hsmm-half.h5ad');
    writeFileSync(truncated, whole.subarray(0, whole.length / 2));
    await assert.rejects(readH5ad(truncated), invalidInputNaming(truncated));
  });

  it('names the file when it is not HDF5 at all', async () => {
    const text = join(dir, 'matrix.h5');
    writeFileSync(text, 'gene,cell1\nA,1\n');
    await assert.rejects(readTenxH5(text), invalidInputNaming(text));
    await assert.rejects(readLoom(text), /not an HDF5 file/);
  });

  it('names the file when it does not exist', async () => {
    const missing = join(dir, 'nope.h5ad');
    await assert.rejects(readH5ad(missing), invalidInputNaming(missing));
  });

  it('decodes fixed-length byte strings as text, not b-prefixed', async () => {
    const barcodes = await withHdf5(
      'test/fixtures/cases/05-10x-h5-legacy-two-genomes/filtered_gene_bc_matrices_h5.h5',
      (file) => readStrings(dataset(file, 'hg19/barcodes')),
    );
    assert.equal(barcodes[0], 'ACATCCCGGCCATACG-1');
  });

  it('reads a dataset in slices that cover it exactly once, in order', async () => {
    const { whole, pieces, slices } = await withHdf5('data/hsmm/hsmm.h5ad', (file) => {
      const data = dataset(file, 'X/data');
      const pieces = new Float32Array(2017470);
      let slices = 0;
      forEachSlice(
        data,
        (values, first) => {
          pieces.set(values as Float32Array, first);
          slices++;
        },
        0,
        2017470,
        500_000,
      );
      return { whole: readFloat32(data), pieces, slices };
    });
    assert.equal(slices, 5);
    assert.deepEqual(pieces, whole);
  });
});
