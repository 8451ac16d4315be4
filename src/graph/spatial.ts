/**
 * Spatial graphs from cell or spot positions: k nearest, fixed radius,
 * Delaunay triangulation and the Visium hexagonal grid. Every graph is
 * undirected: binary symmetric connectivities and, on the same pattern, the
 * Euclidean distance in coordinate units.
 */
import Delaunator from 'delaunator';
import { invalidParameter } from '../errors.ts';
import type { CsrMatrix, DenseMatrix } from '../matrix/csr.ts';
import type { CellGraph } from '../package/types.ts';
import { symmetricCsr, withValues } from './edge-list.ts';
import { PointGrid } from './point-grid.ts';

/** The Delaunay long-edge cut when no option is given: 3 × the median edge length. */
export const DELAUNAY_DEFAULT_MAX_EDGE_FACTOR = 3;

/**
 * Each cell joined to its k nearest other cells (default k = 6), then made
 * undirected: an edge exists when either end chose the other, so degrees can
 * exceed k. Ties go to the lower index.
 */
export function spatialKnn(coords: DenseMatrix, options: { k?: number } = {}): CellGraph {
  const k = options.k ?? 6;
  const n = coords.nRows;
  if (!Number.isInteger(k) || k < 1) {
    throw invalidParameter('k', `must be a positive integer, got ${k}`);
  }
  if (k >= n) {
    throw invalidParameter(
      'k',
      `is ${k} but there are only ${n} cells (k excludes the cell itself)`,
    );
  }
  const grid = new PointGrid(coords);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const j of grid.nearest(i, k).index) {
      a.push(i);
      b.push(j);
    }
  }
  return fromEdges('spatial-knn', grid, a, b, { k });
}

/** Every pair of cells at most `radius` apart (coordinate units) joined. */
export function spatialRadius(coords: DenseMatrix, options: { radius: number }): CellGraph {
  const { radius } = options;
  if (!(radius > 0) || !Number.isFinite(radius)) {
    throw invalidParameter('radius', `must be a positive finite number, got ${radius}`);
  }
  const grid = new PointGrid(coords, radius);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < coords.nRows; i++) {
    grid.within(i, radius, (j) => {
      if (j > i) {
        a.push(i);
        b.push(j);
      }
    });
  }
  return fromEdges('spatial-radius', grid, a, b, { radius });
}

export interface DelaunayOptions {
  /** Drop edges longer than this (coordinate units); overrides the other cuts. */
  maxEdgeLength?: number;
  /** Drop edges longer than this quantile of all edge lengths (0-1); overrides the factor. */
  maxEdgeQuantile?: number;
  /** Drop edges longer than this multiple of the median edge length (default 3; Infinity keeps all). */
  maxEdgeFactor?: number;
}

/**
 * Delaunay triangulation edges (delaunator), pruned of long edges: by default
 * those over 3 × the median edge length, which removes the convex-hull
 * spanning edges and edges across gaps in the tissue.
 */
export function delaunayGraph(coords: DenseMatrix, options: DelaunayOptions = {}): CellGraph {
  const grid = new PointGrid(coords);
  const flat = new Float64Array(2 * grid.n);
  for (let i = 0; i < grid.n; i++) {
    flat[2 * i] = grid.x[i];
    flat[2 * i + 1] = grid.y[i];
  }
  // Known shortcoming: delaunator drops exact duplicate points and fully collinear
  // sets triangulate to nothing, so such cells stay isolated.
  const { triangles, halfedges } = grid.n >= 3 ? new Delaunator(flat) : emptyTriangulation();
  const a: number[] = [];
  const b: number[] = [];
  const length: number[] = [];
  for (let e = 0; e < triangles.length; e++) {
    // Each interior edge has two half-edges; take the one with the larger id.
    if (e < halfedges[e]) continue;
    const i = triangles[e];
    const j = triangles[e % 3 === 2 ? e - 2 : e + 1];
    a.push(i);
    b.push(j);
    length.push(grid.distance(i, j));
  }
  const cut = delaunayCut(length, options);
  const keep = length.map((d, e) => (d <= cut ? e : -1)).filter((e) => e >= 0);
  return fromEdges(
    'delaunay',
    grid,
    keep.map((e) => a[e]),
    keep.map((e) => b[e]),
    { maxEdgeLength: Number.isFinite(cut) ? cut : null, ...describeCut(options) },
  );
}

function emptyTriangulation() {
  return { triangles: new Uint32Array(0), halfedges: new Int32Array(0) };
}

function describeCut(options: DelaunayOptions): Record<string, number> {
  if (options.maxEdgeLength !== undefined) return {};
  if (options.maxEdgeQuantile !== undefined) return { maxEdgeQuantile: options.maxEdgeQuantile };
  return { maxEdgeFactor: options.maxEdgeFactor ?? DELAUNAY_DEFAULT_MAX_EDGE_FACTOR };
}

function delaunayCut(lengths: number[], options: DelaunayOptions): number {
  const { maxEdgeLength, maxEdgeQuantile, maxEdgeFactor } = options;
  if (maxEdgeLength !== undefined) {
    if (!(maxEdgeLength > 0)) {
      throw invalidParameter('maxEdgeLength', `must be positive, got ${maxEdgeLength}`);
    }
    return maxEdgeLength;
  }
  const sorted = Float64Array.from(lengths).sort();
  if (maxEdgeQuantile !== undefined) {
    if (!(maxEdgeQuantile > 0 && maxEdgeQuantile <= 1)) {
      throw invalidParameter('maxEdgeQuantile', `must be in (0, 1], got ${maxEdgeQuantile}`);
    }
    return quantile(sorted, maxEdgeQuantile);
  }
  const factor = maxEdgeFactor ?? DELAUNAY_DEFAULT_MAX_EDGE_FACTOR;
  if (!(factor > 0)) throw invalidParameter('maxEdgeFactor', `must be positive, got ${factor}`);
  return factor * quantile(sorted, 0.5);
}

/** Linear-interpolation quantile of sorted values (numpy's default method). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.POSITIVE_INFINITY;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The Visium hexagonal grid: spot (r, c) joined to its up-to-6 neighbours
 * (r, c±2) and (r±1, c±1) among the given spots. Distances come from `coords`
 * when given (e.g. full-resolution pixels), otherwise in spot pitches (all 1).
 */
export function visiumGrid(
  arrayRow: Int32Array,
  arrayCol: Int32Array,
  coords?: DenseMatrix,
): CellGraph {
  const n = arrayRow.length;
  if (arrayCol.length !== n) {
    throw invalidParameter('arrayCol', `has ${arrayCol.length} entries but arrayRow has ${n}`);
  }
  if (coords && coords.nRows !== n) {
    throw invalidParameter('coords', `has ${coords.nRows} rows but there are ${n} spots`);
  }
  const at = new Map<number, number>();
  const key = (r: number, c: number) => r * 1_000_003 + c;
  for (let i = 0; i < n; i++) {
    const k = key(arrayRow[i], arrayCol[i]);
    const other = at.get(k);
    if (other !== undefined) {
      throw invalidParameter(
        'array_row/array_col',
        `spots ${other} and ${i} share grid position (${arrayRow[i]}, ${arrayCol[i]})`,
      );
    }
    at.set(k, i);
  }
  const a: number[] = [];
  const b: number[] = [];
  // Half of the six directions; the other half is the same edges seen from the far end.
  const half = [
    [0, 2],
    [1, -1],
    [1, 1],
  ];
  for (let i = 0; i < n; i++) {
    for (const [dr, dc] of half) {
      const j = at.get(key(arrayRow[i] + dr, arrayCol[i] + dc));
      if (j !== undefined) {
        a.push(i);
        b.push(j);
      }
    }
  }
  const pattern = symmetricCsr(n, a, b, new Float64Array(a.length).fill(1));
  const distances = coords ? edgeDistances(pattern, new PointGrid(coords)) : pattern;
  return {
    kind: 'visium-grid',
    connectivities: pattern,
    distances,
    params: { distanceUnit: coords ? 'coordinates' : 'spot-pitch' },
  };
}

function fromEdges(
  kind: CellGraph['kind'],
  grid: PointGrid,
  a: number[],
  b: number[],
  params: CellGraph['params'],
): CellGraph {
  const pattern = symmetricCsr(grid.n, a, b, new Float64Array(a.length).fill(1));
  return {
    kind,
    connectivities: withValues(pattern, 1),
    distances: edgeDistances(pattern, grid),
    params,
  };
}

function edgeDistances(pattern: CsrMatrix, grid: PointGrid): CsrMatrix {
  const data = new Float32Array(pattern.indices.length);
  for (let i = 0; i < pattern.nRows; i++) {
    for (let p = pattern.indptr[i]; p < pattern.indptr[i + 1]; p++) {
      data[p] = grid.distance(i, pattern.indices[p]);
    }
  }
  return { ...pattern, data };
}
