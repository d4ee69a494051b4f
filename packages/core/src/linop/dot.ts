/** Dense inner-product kernels shared by the linear-algebra code (internal, not exported from the package). */

/** Σ_{t<len} a[ao + t]·b[bo + t] in four partial sums. */
export function dotRows(a: Float64Array, ao: number, b: Float64Array, bo: number, len: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t = 0;
  for (; t + 3 < len; t += 4) {
    s0 += a[ao + t]! * b[bo + t]!;
    s1 += a[ao + t + 1]! * b[bo + t + 1]!;
    s2 += a[ao + t + 2]! * b[bo + t + 2]!;
    s3 += a[ao + t + 3]! * b[bo + t + 3]!;
  }
  for (; t < len; t++) s0 += a[ao + t]! * b[bo + t]!;
  return (s0 + s1) + (s2 + s3);
}
