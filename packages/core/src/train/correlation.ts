/**
 * Pearson correlation between two series, globally and over a sliding window — the diagnostic the
 * CLT experiments report between log bound and log loss (spec theory.md §6, §7 item 22; the
 * precursor code used windows of 50 logged points). Pairs with a non-finite member are skipped.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | undefined {
  if (a.length !== b.length) throw new Error(`pearson: series of different lengths (${a.length} and ${b.length})`);
  let n = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) { n++; sa += a[i]!; sb += b[i]!; }
  if (n < 3) return undefined;
  const ma = sa / n, mb = sb / n;
  let cab = 0, caa = 0, cbb = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) continue;
    const da = a[i]! - ma, db = b[i]! - mb;
    cab += da * db; caa += da * da; cbb += db * db;
  }
  // A constant series has no correlation to speak of: undefined, not NaN.
  return caa > 0 && cbb > 0 ? cab / Math.sqrt(caa * cbb) : undefined;
}

/** r over windows [i − w + 1, i] for every i ≥ w − 1 (undefined where a window is degenerate). */
export function slidingPearson(a: ArrayLike<number>, b: ArrayLike<number>, window = 50): (number | undefined)[] {
  if (!(Number.isInteger(window) && window >= 3)) throw new Error(`slidingPearson: window must be an integer >= 3, got ${window}`);
  const out: (number | undefined)[] = [];
  const A = Array.from(a), B = Array.from(b);
  for (let i = window - 1; i < A.length; i++) out.push(pearson(A.slice(i - window + 1, i + 1), B.slice(i - window + 1, i + 1)));
  return out;
}
