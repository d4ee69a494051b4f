/**
 * erf to float64 accuracy: Maclaurin series for |x| < 2 (terms stay small, no cancellation),
 * continued fraction for erfc beyond (Lentz), which converges fast there.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2) {
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) evaluated by modified Lentz.
  const tiny = 1e-300;
  let f = ax, C = ax, D = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    D = ax + a * D; D = D === 0 ? tiny : D; D = 1 / D;
    C = ax + a / C; C = C === 0 ? tiny : C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}
