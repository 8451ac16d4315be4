/**
 * A uniform bucket grid over 2-d points for exact neighbour queries. Points
 * are bucketed by cell with a counting sort, so building is O(n) and a query
 * visits rings of cells outward from the query point.
 */
import { invalidParameter } from '../errors.ts';
import type { DenseMatrix } from '../matrix/csr.ts';

export class PointGrid {
  readonly n: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  private readonly minX: number;
  private readonly minY: number;
  private readonly cell: number;
  private readonly nx: number;
  private readonly ny: number;
  /** Start of each cell's points in `order`; length nx*ny + 1. */
  private readonly start: Int32Array;
  /** Point indices sorted by cell, ascending index within a cell. */
  private readonly order: Int32Array;

  /** `cellSize` defaults to about two points per cell on average. */
  constructor(coords: DenseMatrix, cellSize?: number) {
    const n = coords.nRows;
    if (coords.nCols !== 2) {
      throw invalidParameter('coords', `expected n × 2 coordinates, got n × ${coords.nCols}`);
    }
    this.n = n;
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    let minX = Number.POSITIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const x = coords.data[2 * i];
      const y = coords.data[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        throw invalidParameter('coords', `cell ${i} has a non-finite coordinate (${x}, ${y})`);
      }
      this.x[i] = x;
      this.y[i] = y;
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
    const w = n > 0 ? maxX - minX : 0;
    const h = n > 0 ? maxY - minY : 0;
    let cell =
      cellSize ?? Math.sqrt((Math.max(w, 1e-12) * Math.max(h, 1e-12) * 2) / Math.max(n, 1));
    // Keep the cell count near n whatever the caller asked for (a tiny radius on a wide slide).
    const minCell = Math.sqrt((w * h) / Math.max(4 * n, 1));
    cell = Math.max(cell, minCell, Math.max(w, h) / Math.max(4 * n, 1), 1e-12);
    this.minX = n > 0 ? minX : 0;
    this.minY = n > 0 ? minY : 0;
    this.cell = cell;
    this.nx = Math.floor(w / cell) + 1;
    this.ny = Math.floor(h / cell) + 1;

    const cells = new Int32Array(n);
    this.start = new Int32Array(this.nx * this.ny + 1);
    for (let i = 0; i < n; i++) {
      cells[i] = this.cellOf(this.x[i], this.y[i]);
      this.start[cells[i] + 1]++;
    }
    for (let c = 0; c < this.nx * this.ny; c++) this.start[c + 1] += this.start[c];
    const fill = this.start.slice(0, this.nx * this.ny);
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[fill[cells[i]]++] = i;
  }

  private cellOf(x: number, y: number): number {
    const cx = Math.min(this.nx - 1, Math.floor((x - this.minX) / this.cell));
    const cy = Math.min(this.ny - 1, Math.floor((y - this.minY) / this.cell));
    return cy * this.nx + cx;
  }

  distance(i: number, j: number): number {
    return Math.hypot(this.x[i] - this.x[j], this.y[i] - this.y[j]);
  }

  /** Calls `visit(j)` for every point in the cells at Chebyshev ring `r` around (cx, cy). */
  private ring(cx: number, cy: number, r: number, visit: (j: number) => void) {
    for (let gy = cy - r; gy <= cy + r; gy++) {
      if (gy < 0 || gy >= this.ny) continue;
      const edge = gy === cy - r || gy === cy + r;
      for (let gx = cx - r; gx <= cx + r; gx += edge ? 1 : 2 * r) {
        if (gx >= 0 && gx < this.nx) {
          const c = gy * this.nx + gx;
          for (let p = this.start[c]; p < this.start[c + 1]; p++) visit(this.order[p]);
        }
        if (r === 0) break;
      }
    }
  }

  /**
   * The k nearest other points of point i, ascending by (distance, index).
   * Exact: rings are searched until no unvisited cell can hold a closer point.
   */
  nearest(i: number, k: number): { index: number[]; dist: number[] } {
    const index: number[] = [];
    const dist: number[] = [];
    const cx = Math.min(this.nx - 1, Math.floor((this.x[i] - this.minX) / this.cell));
    const cy = Math.min(this.ny - 1, Math.floor((this.y[i] - this.minY) / this.cell));
    const maxRing = Math.max(this.nx, this.ny);
    const visit = (j: number) => {
      if (j === i) return;
      const d = this.distance(i, j);
      if (index.length === k && !(d < dist[k - 1] || (d === dist[k - 1] && j < index[k - 1]))) {
        return;
      }
      let p = Math.min(index.length, k - 1);
      while (p > 0 && (dist[p - 1] > d || (dist[p - 1] === d && index[p - 1] > j))) {
        index[p] = index[p - 1];
        dist[p] = dist[p - 1];
        p--;
      }
      index[p] = j;
      dist[p] = d;
    };
    for (let r = 0; r <= maxRing; r++) {
      this.ring(cx, cy, r, visit);
      // Points beyond ring r are at least r cells away: stop once the k-th is strictly closer.
      if (index.length === k && dist[k - 1] < r * this.cell) break;
    }
    return { index, dist };
  }

  /** Every other point within `radius` of point i (distance <= radius). */
  within(i: number, radius: number, visit: (j: number, d: number) => void) {
    const cx = Math.min(this.nx - 1, Math.floor((this.x[i] - this.minX) / this.cell));
    const cy = Math.min(this.ny - 1, Math.floor((this.y[i] - this.minY) / this.cell));
    const rings = Math.ceil(radius / this.cell);
    for (let r = 0; r <= rings; r++) {
      this.ring(cx, cy, r, (j) => {
        if (j === i) return;
        const d = this.distance(i, j);
        if (d <= radius) visit(j, d);
      });
    }
  }
}
