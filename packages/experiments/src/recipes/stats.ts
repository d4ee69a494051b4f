import type { StoreRow } from './types.js';

/** A store value as a number: DuckDB gives non-finite DOUBLEs to JSON as "Infinity" / "-Infinity" / "NaN"; NULL is NaN. */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Ranks 1..n, ties given their average rank (the usual Spearman convention). */
function ranks(xs: readonly number[]): number[] {
  const idx = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return Number.NaN;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) { const dx = x[i]! - mx, dy = y[i]! - my; sxy += dx * dy; sxx += dx * dx; syy += dy * dy; }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation: Pearson r of the ranks. NaN with fewer than 2 points or a constant series. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

/** Runs whose final metrics mean something: completed, or stalled (a stalled run is what its config did). */
export const usable = (r: StoreRow): boolean => r.status === 'completed' || r.status === 'stalled';

/** Sorted distinct seeds of some runs, as `0,1,2`. */
export function seedText(runs: readonly StoreRow[]): string {
  return [...new Set(runs.map((r) => num(r.seed)))].sort((a, b) => a - b).join(',');
}

/** Group values by a numeric key, keys ascending. */
export function groupBy<T>(items: readonly T[], key: (t: T) => number): [number, T[]][] {
  const m = new Map<number, T[]>();
  for (const it of items) { const k = key(it); m.set(k, [...(m.get(k) ?? []), it]); }
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

/** Short number for tables: 3 significant digits. */
export const fmt = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : String(Number(x.toPrecision(3)))) : String(x));

/** Runs not used (failed, diverged), for the `why` column. */
export function leftOut(runs: readonly StoreRow[]): string {
  const out = runs.filter((r) => !usable(r));
  return out.length ? `; ${out.length} run${out.length === 1 ? '' : 's'} left out (${[...new Set(out.map((r) => String(r.status)))].join(', ')})` : '';
}
