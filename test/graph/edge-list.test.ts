import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csrFromEntries, symmetricCsr } from '../../src/graph/edge-list.ts';
import type { CsrMatrix } from '../../src/matrix/csr.ts';

function rowOf(m: CsrMatrix, r: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) out.push([m.indices[p], m.data[p]]);
  return out;
}

describe('csrFromEntries', () => {
  it('sorts each row by column and keeps the first value of a repeated pair', () => {
    const m = csrFromEntries(3, [2, 0, 2, 0, 2], [1, 2, 0, 2, 1], [5, 1, 4, 9, 7]);
    assert.deepEqual(rowOf(m, 0), [[2, 1]]);
    assert.deepEqual(rowOf(m, 1), []);
    assert.deepEqual(rowOf(m, 2), [
      [0, 4],
      [1, 5],
    ]);
    assert.deepEqual(Array.from(m.indptr), [0, 1, 1, 3]);
  });

  it('orders a hub row with hundreds of entries the same way', () => {
    // Row 0 names columns 1..300 in a scrambled order, each twice with different values.
    const n = 301;
    const rows: number[] = [];
    const cols: number[] = [];
    const values: number[] = [];
    for (let pass = 0; pass < 2; pass++) {
      for (let s = 0; s < 300; s++) {
        const c = 1 + ((s * 7) % 300); // 7 is coprime with 300: every column once per pass
        rows.push(0);
        cols.push(c);
        values.push(pass === 0 ? c : -c);
      }
    }
    const m = csrFromEntries(n, rows, cols, values);
    const row = rowOf(m, 0);
    assert.equal(row.length, 300);
    row.forEach(([c, v], j) => {
      assert.equal(c, j + 1);
      assert.equal(v, c, 'the first of the two entries wins');
    });
  });
});

describe('symmetricCsr', () => {
  it('stores each undirected edge both ways and drops self-loops', () => {
    const m = symmetricCsr(3, [0, 1, 2], [1, 1, 0], [0.5, 9, 0.25]);
    assert.deepEqual(rowOf(m, 0), [
      [1, 0.5],
      [2, 0.25],
    ]);
    assert.deepEqual(rowOf(m, 1), [[0, 0.5]]);
    assert.deepEqual(rowOf(m, 2), [[0, 0.25]]);
  });
});
