import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { edgeListFromAdjacency } from '../../src/package/edge-list.ts';
import { encodeNpy } from '../../src/package/npy.ts';
import { pythonSkipReason, runPythonJson } from './python.ts';

const root = mkdtempSync(join(tmpdir(), 'scgraph-npy-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('encodeNpy', () => {
  it('pads the header so the data starts on a 64-byte boundary', () => {
    const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], '<f4');
    const headerLength = bytes[8] | (bytes[9] << 8);
    assert.equal((10 + headerLength) % 64, 0);
    assert.equal(bytes.length, 10 + headerLength + 24);
    assert.equal(bytes[10 + headerLength - 1], 0x0a);
  });

  it('rejects values that do not fill the shape', () => {
    assert.throws(() => encodeNpy(new Float32Array(5), [2, 3], '<f4'), /do not fill shape/);
  });

  it('is read by numpy.load as written', { skip: pythonSkipReason() }, () => {
    const arrays: Record<string, Uint8Array> = {
      f4: encodeNpy(new Float32Array([1.5, -2, 3.25, 0, 7, 8]), [2, 3], '<f4'),
      i8: encodeNpy(BigInt64Array.of(-1n, 2n ** 40n, 3n), [3], '<i8'),
      b1: encodeNpy(Uint8Array.of(1, 0, 1), [3], '|b1'),
      // Six code points, one outside the BMP: numpy counts code points, not UTF-16 units.
      u: encodeNpy(['a', 'é', 'naïve🧬', ''], [4], '<U'),
      empty: encodeNpy(new Float32Array(0), [0, 2], '<f4'),
      nostr: encodeNpy([], [0], '<U'),
    };
    for (const [name, bytes] of Object.entries(arrays)) {
      writeFileSync(join(root, `${name}.npy`), bytes);
    }
    const code = `
import json, sys, numpy as np
out = {}
for name in sys.argv[1:]:
    a = np.load(f"${root}/{name}.npy", allow_pickle=False)
    out[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": a.ravel().tolist()}
print(json.dumps(out))`;
    const seen = runPythonJson(['-c', code, ...Object.keys(arrays)]);
    assert.deepEqual(seen, {
      f4: { dtype: '<f4', shape: [2, 3], values: [1.5, -2, 3.25, 0, 7, 8] },
      i8: { dtype: '<i8', shape: [3], values: [-1, 2 ** 40, 3] },
      b1: { dtype: '|b1', shape: [3], values: [true, false, true] },
      u: { dtype: '<U6', shape: [4], values: ['a', 'é', 'naïve🧬', ''] },
      empty: { dtype: '<f4', shape: [0, 2], values: [] },
      nostr: { dtype: '<U1', shape: [0], values: [] },
    });
  });
});

describe('edgeListFromAdjacency', () => {
  it('mirrors one-way entries, keeps the larger weight and drops self loops', () => {
    // Row 0: (0,0)=9 (self loop), (0,2)=0.5; row 1: (1,0)=1; row 2: (2,0)=0.75.
    const adjacency = {
      nRows: 3,
      nCols: 3,
      indptr: Float64Array.of(0, 2, 3, 4),
      indices: Int32Array.of(0, 2, 0, 0),
      data: Float32Array.of(9, 0.5, 1, 0.75),
    };
    const edges = edgeListFromAdjacency(adjacency);
    assert.deepEqual([...edges.source], [0, 0, 1, 2]);
    assert.deepEqual([...edges.target], [1, 2, 0, 0]);
    assert.deepEqual([...edges.weight], [1, 0.75, 1, 0.75]);
  });
});
