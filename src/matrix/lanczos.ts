import { denseProduct } from './dense-product.ts';
import { Random } from './random.ts';

export interface LanczosOptions {
  /** Seed of the random start vector (and of restarts after a breakdown). */
  seed: number;
  /**
   * Stop once every top-k Ritz pair has residual ‖C·y − θ·y‖ ≤ tolerance·|θ|;
   * each Ritz value is then within tolerance·|θ| of an eigenvalue of C.
   */
  tolerance: number;
}

export interface LanczosResult {
  /** The k largest eigenvalues, descending. */
  values: Float64Array;
  /** k × m, row i the unit eigenvector of values[i]. */
  vectors: Float64Array;
  /** Products with C done (Lanczos steps). */
  products: number;
}

/** Steps between convergence checks: a check costs a tridiagonal eigen-solve, O(steps²). */
const CHECK_EVERY = 5;
/** A new direction shorter than this times ‖C‖ means the Krylov space is invariant: restart. */
const BREAKDOWN = 1e-12;
/** Ritz values within this times the largest one of zero count as converged in absolute terms. */
const ZERO_EIGENVALUE = 1e-12;

/**
 * The k largest eigenpairs of the dense symmetric C (m × m, row-major) by
 * Lanczos with full reorthogonalization: each step multiplies C by the newest
 * basis vector and orthogonalizes the result against the whole basis by
 * classical Gram–Schmidt applied twice, which keeps the basis orthonormal to
 * working precision (no ghost eigenvalues) at 4·steps·m extra work per step.
 * Every CHECK_EVERY steps from k on, the tridiagonal T = QᵀCQ is diagonalized
 * and the standard bound |β·s_last,i| (the residual of Ritz pair i) decides.
 * A breakdown (invariant subspace) restarts from a fresh random vector
 * orthogonal to the basis, so at m steps the basis spans everything and T is
 * exact.
 * Seeded, and each product's rows are summed the same way whether a worker
 * thread does half of them (denseProduct): the same input gives the same bytes.
 */
export function lanczosTopEigen(
  C: Float64Array,
  m: number,
  k: number,
  options: LanczosOptions,
): LanczosResult {
  if (!(k >= 1 && k <= m)) throw new RangeError(`need 1 <= k <= m, got k = ${k}, m = ${m}`);
  const rng = new Random(options.seed);
  let basis = new Float64Array(Math.min(m, 2 * k + CHECK_EVERY) * m);
  const alpha: number[] = [];
  const beta: number[] = []; // beta[j] couples basis vectors j and j + 1; 0 after a breakdown
  const w = new Float64Array(m);
  const h = new Float64Array(m);
  let norm = 0; // running estimate of ‖C‖: the largest Gershgorin row sum of T so far

  randomUnitVector(rng, basis, 0, m, h);
  let steps = 0;
  // The products stream C from memory (32 MB at 2000 genes): half the rows on a worker thread.
  const product = denseProduct(C, m);
  try {
    for (;;) {
      const q = basis.subarray(steps * m, (steps + 1) * m);
      product.times(q, w);
      steps++;
      // α_j = q_jᵀCq_j is the j-th coefficient of the first pass; the second adds its correction.
      const a = orthogonalize(basis, steps, m, w, h) + orthogonalize(basis, steps, m, w, h);
      alpha.push(a);
      const b = Math.sqrt(dot(w, w, m));
      norm = Math.max(norm, Math.abs(a) + b + (steps > 1 ? beta[steps - 2] : 0));
      if (steps === m) break;
      const breakdown = b <= BREAKDOWN * norm;
      if (
        !breakdown &&
        steps >= k &&
        steps % CHECK_EVERY === 0 &&
        converged(alpha, beta, b, k, options.tolerance)
      ) {
        break;
      }
      if (basis.length < (steps + 1) * m) {
        const grown = new Float64Array(Math.min(m, 2 * steps) * m);
        grown.set(basis);
        basis = grown;
      }
      if (breakdown) {
        beta.push(0);
        randomUnitVector(rng, basis, steps, m, h);
      } else {
        beta.push(b);
        const next = steps * m;
        for (let g = 0; g < m; g++) basis[next + g] = w[g] / b;
      }
    }
  } finally {
    product.close();
  }

  // Ritz vectors y_i = Σ_j s_ji q_j of the k largest Ritz values.
  const { values, rows } = tridiagonalEigen(alpha, beta, 'all');
  const order = descending(values);
  const top = new Float64Array(k);
  const vectors = new Float64Array(k * m);
  for (let i = 0; i < k; i++) {
    const col = order[i];
    top[i] = values[col];
    const y = vectors.subarray(i * m, (i + 1) * m);
    for (let j = 0; j < steps; j++) {
      const s = rows[j * steps + col];
      const qj = j * m;
      for (let g = 0; g < m; g++) y[g] += s * basis[qj + g];
    }
  }
  return { values: top, vectors, products: steps };
}

/** Whether the top-k Ritz pairs of T (alpha, beta) all pass the residual bound, with β_next. */
function converged(
  alpha: readonly number[],
  beta: readonly number[],
  betaNext: number,
  k: number,
  tolerance: number,
): boolean {
  const { values, rows } = tridiagonalEigen(alpha, beta, 'last');
  const order = descending(values);
  const floor = ZERO_EIGENVALUE * Math.abs(values[order[0]]);
  for (let i = 0; i < k; i++) {
    const residual = Math.abs(betaNext * rows[order[i]]);
    if (residual > Math.max(tolerance * Math.abs(values[order[i]]), floor)) return false;
  }
  return true;
}

/** Column order of values, largest first (lower index first on ties). */
function descending(values: Float64Array): number[] {
  return Array.from(values.keys()).sort((a, b) => values[b] - values[a] || a - b);
}

/** Writes a seeded Gaussian vector, orthonormalized against basis rows 0..row−1, as row `row`. */
function randomUnitVector(
  rng: Random,
  basis: Float64Array,
  row: number,
  m: number,
  scratch: Float64Array,
): void {
  const v = basis.subarray(row * m, (row + 1) * m);
  for (;;) {
    for (let g = 0; g < m; g++) v[g] = rng.normal();
    orthogonalize(basis, row, m, v, scratch);
    orthogonalize(basis, row, m, v, scratch);
    const length = Math.sqrt(dot(v, v, m));
    // Against fewer than m basis vectors a Gaussian vector keeps a part of unit order.
    if (length > 1e-3 * Math.sqrt(m)) {
      for (let g = 0; g < m; g++) v[g] /= length;
      return;
    }
  }
}

/**
 * One classical Gram–Schmidt pass: w ← w − Q·(Qᵀw) for the first `rows` basis
 * rows. Returns the coefficient on the last row (α's share of this pass).
 */
function orthogonalize(
  basis: Float64Array,
  rows: number,
  m: number,
  w: Float64Array,
  coefficients: Float64Array,
): number {
  for (let j = 0; j < rows; j++) coefficients[j] = dot(basis.subarray(j * m, (j + 1) * m), w, m);
  for (let j = 0; j < rows; j++) {
    const c = coefficients[j];
    const q = j * m;
    for (let g = 0; g < m; g++) w[g] -= c * basis[q + g];
  }
  return rows > 0 ? coefficients[rows - 1] : 0;
}

function dot(x: Float64Array, y: Float64Array, m: number): number {
  let s = 0;
  for (let g = 0; g < m; g++) s += x[g] * y[g];
  return s;
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal
 * `diagonal` (n) and off-diagonal `offDiagonal` (n − 1) by the implicit QL
 * method (EISPACK tql2, as in JAMA). `rows` 'all' returns all eigenvectors
 * (n × n row-major, column c for values[c]); 'last' applies the same
 * rotations to the last row of the identity only, giving the last component
 * of every eigenvector, which is all the residual bound needs, in O(n²).
 */
export function tridiagonalEigen(
  diagonal: readonly number[],
  offDiagonal: readonly number[],
  rows: 'all' | 'last',
): { values: Float64Array; rows: Float64Array } {
  const n = diagonal.length;
  const d = Float64Array.from(diagonal);
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = offDiagonal[i];
  const r = rows === 'all' ? n : 1;
  const z = new Float64Array(r * n);
  if (rows === 'all') for (let i = 0; i < n; i++) z[i * n + i] = 1;
  else z[n - 1] = 1;

  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let mm = l;
    while (mm < n - 1 && Math.abs(e[mm]) > eps * tst1) mm++;
    if (mm > l) {
      do {
        // Implicit shift from the leading 2 × 2 block.
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let rr = Math.hypot(p, 1);
        if (p < 0) rr = -rr;
        d[l] = e[l] / (p + rr);
        d[l + 1] = e[l] * (p + rr);
        const dl1 = d[l + 1];
        let hh = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= hh;
        f += hh;
        // QL sweep from mm up to l.
        p = d[mm];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = mm - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          hh = c * p;
          rr = Math.hypot(p, e[i]);
          e[i + 1] = s * rr;
          s = e[i] / rr;
          c = p / rr;
          p = c * d[i] - s * g;
          d[i + 1] = hh + s * (c * g + s * d[i]);
          for (let o = 0; o < z.length; o += n) {
            hh = z[o + i + 1];
            z[o + i + 1] = s * z[o + i] + c * hh;
            z[o + i] = c * z[o + i] - s * hh;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return { values: d, rows: z };
}
