import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { delaunayGraph, spatialKnn, spatialRadius, visiumGrid } from '../../src/graph/spatial.ts';
import type { DenseMatrix } from '../../src/matrix/csr.ts';
import type { CellGraph } from '../../src/package/types.ts';
import { edgeList, f32, loadFixture } from './fixture.ts';

interface SpatialFixture {
  n: number;
  points_f32: string;
  k: number;
  radius: number;
  knn_edges: [number, number][];
  radius_edges: [number, number][];
  delaunay_edges: [number, number][];
  delaunay_pruned_3x_median: [number, number][];
}

const fx = loadFixture<SpatialFixture>('spatial');
const coords: DenseMatrix = { nRows: fx.n, nCols: 2, data: f32(fx.points_f32) };

/** Binary symmetric connectivities and Euclidean distances on the same pattern. */
function assertWellFormed(g: CellGraph, points: DenseMatrix) {
  assert.deepEqual(g.connectivities.indices, g.distances.indices);
  assert.ok(g.connectivities.data.every((v) => v === 1));
  const { indptr, indices, data } = g.distances;
  for (let i = 0; i < indptr.length - 1; i++) {
    for (let p = indptr[i]; p < indptr[i + 1]; p++) {
      const j = indices[p];
      const d = Math.hypot(
        points.data[2 * i] - points.data[2 * j],
        points.data[2 * i + 1] - points.data[2 * j + 1],
      );
      assert.ok(Math.abs(data[p] - d) <= 1e-6 * Math.max(1, d), `distance ${i}-${j}`);
    }
  }
}

describe('spatialKnn', () => {
  it("matches scipy cKDTree's 6 nearest neighbours, made undirected", () => {
    const g = spatialKnn(coords, { k: fx.k });
    assert.deepEqual(edgeList(g.connectivities), fx.knn_edges);
    assertWellFormed(g, coords);
    assert.equal(g.kind, 'spatial-knn');
  });

  it('breaks distance ties by lower index on a regular grid', () => {
    // 3 × 3 grid; the centre (4) has four neighbours at distance 1: k = 2 picks 1 and 3.
    const grid: DenseMatrix = {
      nRows: 9,
      nCols: 2,
      data: Float64Array.from([0, 0, 1, 0, 2, 0, 0, 1, 1, 1, 2, 1, 0, 2, 1, 2, 2, 2]),
    };
    const g = spatialKnn(grid, { k: 2 });
    const row4 = Array.from(
      g.connectivities.indices.subarray(g.connectivities.indptr[4], g.connectivities.indptr[5]),
    );
    // 4 chose 1 and 3; 5 (neighbours 2, 4) and 7 (4, 6) chose 4 as well.
    assert.deepEqual(row4, [1, 3, 5, 7]);
  });

  it('rejects k not smaller than the number of cells', () => {
    assert.throws(() => spatialKnn(coords, { k: fx.n }), /'k'/);
  });
});

describe('spatialRadius', () => {
  it("matches scipy cKDTree's query_pairs", () => {
    const g = spatialRadius(coords, { radius: fx.radius });
    assert.deepEqual(edgeList(g.connectivities), fx.radius_edges);
    assertWellFormed(g, coords);
  });

  it('rejects a non-positive radius', () => {
    assert.throws(() => spatialRadius(coords, { radius: 0 }), /'radius'/);
  });
});

describe('delaunayGraph', () => {
  it("has scipy Delaunay's edges when nothing is pruned", () => {
    const g = delaunayGraph(coords, { maxEdgeFactor: Number.POSITIVE_INFINITY });
    assert.deepEqual(edgeList(g.connectivities), fx.delaunay_edges);
    assertWellFormed(g, coords);
  });

  it('drops edges longer than 3 × the median edge length by default', () => {
    const g = delaunayGraph(coords);
    assert.deepEqual(edgeList(g.connectivities), fx.delaunay_pruned_3x_median);
    assert.ok(fx.delaunay_pruned_3x_median.length < fx.delaunay_edges.length);
    assert.equal(g.params.maxEdgeFactor, 3);
  });

  it('keeps only edges up to an explicit length or quantile', () => {
    const all = delaunayGraph(coords, { maxEdgeFactor: Number.POSITIVE_INFINITY });
    const longest = Math.max(...all.distances.data);
    const byLength = delaunayGraph(coords, { maxEdgeLength: longest / 2 });
    assert.ok(byLength.distances.data.every((d) => d <= longest / 2));
    const byQuantile = delaunayGraph(coords, { maxEdgeQuantile: 0.5 });
    const kept = edgeList(byQuantile.connectivities).length;
    // Median of an odd/even count: about half the edges survive.
    assert.ok(Math.abs(kept - fx.delaunay_edges.length / 2) <= 1, `${kept}`);
  });
});

describe('visiumGrid', () => {
  const caseDir = new URL(
    '../fixtures/cases/06-visium-sr2-positions-with-header/',
    import.meta.url,
  );
  const expected = JSON.parse(readFileSync(new URL('expected.json', caseDir), 'utf8'));

  it('joins in-tissue spots to their hexagonal neighbours as Space Ranger lays them out', () => {
    const lines = readFileSync(new URL('spatial/tissue_positions.csv', caseDir), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(','));
    const kept = lines.filter((f) => f[1] === '1');
    assert.equal(kept.length, expected.in_tissue_spots);
    const row = Int32Array.from(kept, (f) => Number(f[2]));
    const col = Int32Array.from(kept, (f) => Number(f[3]));
    const pixels: DenseMatrix = {
      nRows: kept.length,
      nCols: 2,
      data: Float64Array.from(kept.flatMap((f) => [Number(f[5]), Number(f[4])])),
    };
    const g = visiumGrid(row, col, pixels);
    const hex = expected.spatial_graph_hex_6_neighbourhood;
    assert.equal(edgeList(g.connectivities).length, hex.undirected_edges);
    const degreeCounts: Record<string, number> = {};
    for (let i = 0; i < kept.length; i++) {
      const d = g.connectivities.indptr[i + 1] - g.connectivities.indptr[i];
      degreeCounts[d] = (degreeCounts[d] ?? 0) + 1;
    }
    assert.deepEqual(degreeCounts, hex.degree_counts);
    assertWellFormed(g, pixels);
  });

  it('uses spot pitches as distances without coordinates and rejects shared positions', () => {
    const g = visiumGrid(Int32Array.from([0, 0, 1]), Int32Array.from([0, 2, 1]));
    assert.equal(edgeList(g.connectivities).length, 3);
    assert.ok(g.distances.data.every((d) => d === 1));
    assert.throws(
      () => visiumGrid(Int32Array.from([0, 0]), Int32Array.from([4, 4])),
      /share grid position \(0, 4\)/,
    );
  });
});
