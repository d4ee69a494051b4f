/**
 * Finite-difference oracles for derivative graphs, on the float64 reference. Used by core's own
 * gradient checks and available to packages that add composites with hand-derived gradients.
 */
import type { HostTensor } from '../backend/contract.js';
import type { Graph } from '../ir/graph.js';
import { interpret } from '../reference/interpret.js';

/** Host inputs as plain float64 copies keyed by name, so tests can perturb them. */
export function hostCopy(inputs: Record<string, HostTensor>): Record<string, Float64Array | ArrayLike<number>> {
  const out: Record<string, Float64Array | ArrayLike<number>> = {};
  for (const [k, t] of Object.entries(inputs)) out[k] = t.dtype === 'f32' || t.dtype === 'f64' ? Float64Array.from(t.data) : t.data;
  return out;
}

/** The dot product Σ_i a_i·b_i of two arrays (over the length of `a`). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The ∞-norm max_i |a_i| of an array (0 when it is empty). */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** ‖a − b‖∞ / max(‖b‖∞, floor): the relative error the gradient checks bound. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-8): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d / Math.max(maxAbs(b), floor);
}

/**
 * Central finite differences of a scalar function of graph inputs: ∂s/∂x_i ≈ (s(x + h e_i) − s(x − h e_i)) / 2h,
 * where s = scalar(interpret(graph, inputs)). Error O(h²) from truncation plus O(ε/h) from roundoff.
 */
export function centralDiff(
  graph: Graph, inputs: Record<string, Float64Array | ArrayLike<number>>, wrt: string,
  scalar: (out: Record<string, ArrayLike<number>>) => number, h: number,
): Float64Array {
  const x = inputs[wrt] as Float64Array, g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    x[i] = xi + h; const up = scalar(interpret(graph, inputs));
    x[i] = xi - h; const dn = scalar(interpret(graph, inputs));
    x[i] = xi;
    g[i] = (up - dn) / (2 * h);
  }
  return g;
}

/** Forward differences of every output along direction `v` (per input name): (f(x + h v) − f(x)) / h. */
export function forwardDiff(
  graph: Graph, inputs: Record<string, Float64Array | ArrayLike<number>>, v: Record<string, ArrayLike<number>>, h: number,
): Record<string, Float64Array> {
  const base = interpret(graph, inputs);
  const moved = { ...inputs };
  for (const [k, d] of Object.entries(v)) moved[k] = Float64Array.from(inputs[k]!, (xi, i) => xi + h * d[i]!);
  const up = interpret(graph, moved);
  const out: Record<string, Float64Array> = {};
  for (const o of graph.outputs) out[o.name] = Float64Array.from(up[o.name]!, (u, i) => (u - base[o.name]![i]!) / h);
  return out;
}
