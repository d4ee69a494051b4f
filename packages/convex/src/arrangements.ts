import type { Rng } from '@clt/core';
import { ConvexInputError, checkMatrix } from './errors.js';
import { numericalRank, svd } from './linalg/svd.js';

/**
 * A set of P hyperplane-arrangement patterns D_i = diag(1[X g_i ≥ 0]) for n samples, stored as a
 * P×n 0/1 matrix (row i is the diagonal of D_i). The ≥ convention of the official toy code is used
 * throughout (spec §C.6.1 item 2).
 */
export interface PatternSet {
  readonly n: number;
  readonly P: number;
  readonly masks: Uint8Array;
  /** The gate vector of each pattern (P×d) when the patterns were sampled. */
  readonly gates?: Float64Array;
}

/** A compact string key of one pattern (16 samples per UTF-16 unit) for de-duplication. */
export function patternKey(masks: Uint8Array, offset: number, n: number): string {
  let key = '';
  for (let s = 0; s < n; s += 16) {
    let v = 0;
    const e = Math.min(n, s + 16);
    for (let k = s; k < e; k++) v = (v << 1) | masks[offset + k]!;
    key += String.fromCharCode(v);
  }
  return key;
}

class PatternCollector {
  private readonly keys = new Map<string, number>();
  private readonly rows: Uint8Array[] = [];
  private readonly gateRows: Float64Array[] = [];
  constructor(readonly n: number, private readonly dropZero: boolean) {}
  add(mask: Uint8Array, gate?: Float64Array): boolean {
    if (this.dropZero && !mask.some((v) => v !== 0)) return false;
    const key = patternKey(mask, 0, this.n);
    if (this.keys.has(key)) return false;
    this.keys.set(key, this.rows.length);
    this.rows.push(Uint8Array.from(mask));
    if (gate) this.gateRows.push(Float64Array.from(gate));
    return true;
  }
  get size(): number { return this.rows.length; }
  build(): PatternSet {
    const P = this.rows.length, n = this.n;
    const masks = new Uint8Array(P * n);
    this.rows.forEach((r, i) => masks.set(r, i * n));
    if (this.gateRows.length === P && P > 0) {
      const d = this.gateRows[0]!.length, gates = new Float64Array(P * d);
      this.gateRows.forEach((g, i) => gates.set(g, i * d));
      return { n, P, masks, gates };
    }
    return { n, P, masks };
  }
}

/**
 * Exact arrangement of 1-D data with a bias column (X = [x, 1]): thresholds t in {x_min − 1,
 * midpoints of consecutive distinct values, x_max + 1}, patterns 1[x ≥ t] and 1[x ≤ t],
 * de-duplicated. For n distinct points this gives exactly 2n patterns, all-ones and all-zeros
 * included (spec §C.3, C-T6). Rows keep the caller's sample order.
 *
 * Cost: O(n log n + n²) (n² to write the patterns).
 * @see spec/related-papers.md §C.7 item 1
 */
export function enumerateArrangements1D(x: ArrayLike<number>): PatternSet {
  const n = x.length;
  checkMatrix(x, n, 1, 'x');
  const sorted = Float64Array.from(x).sort();
  const thresholds: number[] = [sorted[0]! - 1];
  for (let i = 0; i + 1 < n; i++) if (sorted[i + 1]! > sorted[i]!) thresholds.push((sorted[i]! + sorted[i + 1]!) / 2);
  thresholds.push(sorted[n - 1]! + 1);
  const col = new PatternCollector(n, false), mask = new Uint8Array(n);
  for (const t of thresholds) {
    for (let k = 0; k < n; k++) mask[k] = x[k]! >= t ? 1 : 0;
    col.add(mask);
    for (let k = 0; k < n; k++) mask[k] = x[k]! <= t ? 1 : 0;
    col.add(mask);
  }
  return col.build();
}

/**
 * Exact enumeration of every cell of the central arrangement {x_k^⊥} for data of dimension d ≤ 3
 * (e.g. 2-D points with a bias column). Every full-dimensional cone of the arrangement has an
 * extreme ray on the intersection of d − 1 hyperplanes; perturbing that ray (both orientations,
 * every sign for the samples on it) reaches every cell. Patterns not realized by an open cell may
 * appear for degenerate data; they are harmless in (C4) because their cone constraints still force
 * (Xu)_+ = D X u.
 *
 * Cost: O(n^{d−1} · n) candidates for d ≤ 3.
 */
export function enumerateArrangements(X: Float64Array, n: number, d: number): PatternSet {
  checkMatrix(X, n, d, 'X');
  if (d > 3) throw new ConvexInputError(`exact enumeration supports d ≤ 3 (got d = ${d}); use sampleArrangements for higher dimensions`);
  const col = new PatternCollector(n, false);
  const mask = new Uint8Array(n), g = new Float64Array(d);
  let scale = 0;
  for (let i = 0; i < n * d; i++) scale = Math.max(scale, Math.abs(X[i]!));
  const emit = (): void => {
    // g is a candidate ray; samples with x·g ≈ 0 get every sign assignment.
    const on: number[] = [];
    let gn = 0;
    for (let j = 0; j < d; j++) gn = Math.max(gn, Math.abs(g[j]!));
    if (gn === 0) return;
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += X[k * d + j]! * g[j]!;
      if (Math.abs(s) <= 1e-10 * scale * gn) { on.push(k); mask[k] = 0; } else mask[k] = s > 0 ? 1 : 0;
    }
    if (on.length > 12) throw new ConvexInputError(`${on.length} samples lie on one hyperplane through the origin; exact enumeration needs data in near-general position (remove duplicates or use sampleArrangements)`);
    for (let bits = 0; bits < 1 << on.length; bits++) {
      on.forEach((k, b) => { mask[k] = (bits >> b) & 1; });
      col.add(mask);
    }
  };
  const both = (): void => { emit(); for (let j = 0; j < d; j++) g[j] = -g[j]!; emit(); };
  if (d === 1) { g[0] = 1; both(); }
  else if (d === 2) {
    for (let a = 0; a < n; a++) { g[0] = -X[a * 2 + 1]!; g[1] = X[a * 2]!; both(); }
  } else {
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const ax = X[a * 3]!, ay = X[a * 3 + 1]!, az = X[a * 3 + 2]!;
        const bx = X[b * 3]!, by = X[b * 3 + 1]!, bz = X[b * 3 + 2]!;
        g[0] = ay * bz - az * by; g[1] = az * bx - ax * bz; g[2] = ax * by - ay * bx;
        both();
      }
    }
  }
  return col.build();
}

/**
 * Sample patterns from M Gaussian gates g ~ N(0, I_d): D = 1[X g ≥ 0], de-duplicated by a bitset
 * key, the all-zero pattern dropped. A sample gives an upper bound p*_subset ≥ p* on the (C4)
 * optimum; `arrangementCoverage` says how far from complete it is.
 *
 * Cost: O(n·d·M) plus O(n·M) hashing.
 * @see spec/related-papers.md §C.6.1, §C.7 item 2
 */
export function sampleArrangements(X: Float64Array, n: number, d: number, M: number, rng: Rng, options: { maxPatterns?: number } = {}): PatternSet {
  checkMatrix(X, n, d, 'X');
  if (!Number.isInteger(M) || M < 1) throw new ConvexInputError(`the number of gates M must be a positive integer, got ${M}`);
  const maxP = options.maxPatterns ?? Infinity;
  const col = new PatternCollector(n, true);
  const mask = new Uint8Array(n), g = new Float64Array(d);
  for (let t = 0; t < M && col.size < maxP; t++) {
    for (let j = 0; j < d; j++) g[j] = rng.normal();
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += X[k * d + j]! * g[j]!;
      mask[k] = s >= 0 ? 1 : 0;
    }
    col.add(mask, g);
  }
  return col.build();
}

/** Union of pattern sets (first occurrence wins; gates are dropped unless both sets carry them). */
export function mergePatterns(a: PatternSet, b: PatternSet): PatternSet {
  if (a.n !== b.n) throw new ConvexInputError(`pattern sets are for ${a.n} and ${b.n} samples; they must be for the same data`);
  const col = new PatternCollector(a.n, false);
  for (const s of [a, b]) for (let i = 0; i < s.P; i++) col.add(s.masks.subarray(i * s.n, (i + 1) * s.n));
  return col.build();
}

/** The pattern of one neuron u: 1[X u ≥ 0]. */
export function patternOf(X: Float64Array, n: number, d: number, u: Float64Array, uo = 0): Uint8Array {
  const m = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[k * d + j]! * u[uo + j]!;
    m[k] = s >= 0 ? 1 : 0;
  }
  return m;
}

/**
 * Cover's count of the cells of n hyperplanes through the origin of R^r in general position:
 * 2·Σ_{k<r} C(n−1, k). Exact in BigInt (it grows like n^{r−1}).
 * @see spec/related-papers.md §C.3, §C.7 item 3
 */
export function coverCount(n: number, r: number): bigint {
  if (!Number.isInteger(n) || !Number.isInteger(r) || n < 1 || r < 0) throw new ConvexInputError(`coverCount needs integers n ≥ 1, r ≥ 0; got n = ${n}, r = ${r}`);
  let sum = 0n, binom = 1n;
  const N = BigInt(n - 1);
  for (let k = 0; k < Math.min(r, n); k++) {
    if (k > 0) binom = (binom * (N - BigInt(k) + 1n)) / BigInt(k);
    sum += binom;
  }
  return 2n * sum;
}

/** How complete a pattern set is: P against Cover's count for the numerical rank of X. */
export interface ArrangementCoverage {
  readonly patterns: number;
  readonly rank: number;
  readonly cover: bigint;
  /** P / cover (≤ 1 in general position; patterns beyond it mean degenerate data). */
  readonly fraction: number;
}

/**
 * How complete a pattern set is for data X (n×d, row-major): P against Cover's count for the
 * numerical rank of X (singular values above 1e-10·σ₁). Cost: one SVD of X.
 */
export function arrangementCoverage(ps: PatternSet, X: Float64Array, n: number, d: number): ArrangementCoverage {
  const rank = numericalRank(svd(X, n, d).s, 1e-10);
  const cover = coverCount(n, rank);
  return { patterns: ps.P, rank, cover, fraction: ps.P / Number(cover) };
}
