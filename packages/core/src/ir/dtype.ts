/** Element types of the IR. Floats are the differentiable ones. */
export type DType = 'f32' | 'f64' | 'i32' | 'bool';

/** Every element type of the IR: f32, f64, i32 and bool. */
export const DTYPES: readonly DType[] = ['f32', 'f64', 'i32', 'bool'];

/** Host storage of a tensor's elements: Float32Array for f32, Float64Array for f64, Int32Array for i32, Uint8Array (0/1) for bool. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** True for the floating-point element types f32 and f64, the differentiable ones. */
export function isFloat(d: DType): d is 'f32' | 'f64' {
  return d === 'f32' || d === 'f64';
}

/** Bytes per element, for memory estimates. */
export function byteSize(d: DType): number {
  return d === 'f64' ? 8 : d === 'bool' ? 1 : 4;
}

/** A fresh zero-filled host array for a dtype. */
export function allocate(d: DType, size: number): TypedArray {
  switch (d) {
    case 'f32': return new Float32Array(size);
    case 'f64': return new Float64Array(size);
    case 'i32': return new Int32Array(size);
    case 'bool': return new Uint8Array(size);
  }
}

/** Copy arbitrary numbers into a typed array of the given dtype (rounding as the dtype does). */
export function toTyped(d: DType, values: ArrayLike<number>): TypedArray {
  const out = allocate(d, values.length);
  if (d === 'bool') for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  else out.set(values as ArrayLike<number>);
  return out;
}

/** The dtype a typed array naturally carries. */
export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Int32Array) return 'i32';
  return 'bool';
}
