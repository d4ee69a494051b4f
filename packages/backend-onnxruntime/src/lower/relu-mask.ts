import type { Graph, Node } from '@clt/core';

/**
 * Rewrites of the ReLU derivative planned on the IR before lowering. The VJP of `relu` is
 * `where(h > 0, g, 0)` with `h` the pre-activation; lowered as it stands it costs three passes
 * over an activation-sized tensor that the GEMMs around it do not pay:
 *
 * 1. `Greater(h, 0)` keeps `h` alive next to `relu(h)`, so ONNX Runtime cannot fuse the
 *    `Gemm` producing `h` with its `Relu` (its Gemm+activation fusion wants a sole consumer).
 *    The mask is read from the ReLU's output instead: `relu(h) > 0 ⟺ h > 0` for every float
 *    `h` (NaN and ±0 give false on both sides), so this is exact, and `h` is then read once.
 * 2. ONNX Runtime's CPU `Where` makes two masked copies and merges them (three passes and two
 *    temporaries); `Mul(g, Cast(mask))` is one vectorised pass plus a cast of the mask. For
 *    finite `g` the values are the same (`g·1 = g`, `g·0 = ±0`, equal to `0`); a cotangent
 *    that is already ±∞ or NaN at an inactive unit gives NaN (∞·0) where the IR gives 0.
 *    Only this ReLU-mask pattern is rewritten; other selects (e.g. logsumexp's guard against
 *    an infinite row max, which must turn ±∞ into 0) keep `Where`.
 */
export interface ReluMaskPlan {
  /** `greater(h, 0)` node id → id of the `relu(h)` node whose output it compares instead. */
  readonly maskFrom: ReadonlyMap<number, number>;
  /** `where(mask, g, 0)` node ids, mask a ReLU mask: lowered as `Mul(g, Cast(mask))`. */
  readonly selectAsMul: ReadonlySet<number>;
}

const isFloat = (n: Node) => n.dtype === 'f32' || n.dtype === 'f64';
/** A constant that is +0 everywhere and broadcasts as a scalar. */
const isZeroScalar = (n: Node) =>
  n.op === 'const' && n.shape.every((d) => d === 1) && Array.from((n as Node<'const'>).attrs.value).every((v) => v === 0 && !Object.is(v, -0));
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

export function planReluMasks(graph: Graph): ReluMaskPlan {
  const nodes = graph.nodes;
  // First relu of each value (the forward activation; CSE leaves one per input anyway).
  const reluOf = new Map<number, number>();
  const isReluOut = new Set<number>();
  for (const n of nodes) {
    if (n.op !== 'relu') continue;
    if (!reluOf.has(n.inputs[0]!)) reluOf.set(n.inputs[0]!, n.id);
    isReluOut.add(n.id);
  }
  const maskFrom = new Map<number, number>();
  const isMask = new Set<number>();
  for (const n of nodes) {
    if (n.op !== 'greater') continue;
    const [h, z] = n.inputs as [number, number];
    if (!isFloat(nodes[h]!) || !isZeroScalar(nodes[z]!)) continue;
    const r = reluOf.get(h);
    // The relu must come first: ONNX nodes are emitted in the IR's topological order.
    if (r !== undefined && r < n.id && same(nodes[r]!.shape, nodes[h]!.shape)) { maskFrom.set(n.id, r); isMask.add(n.id); }
    else if (isReluOut.has(h)) isMask.add(n.id);
  }
  const selectAsMul = new Set<number>();
  for (const n of nodes) {
    if (n.op !== 'where') continue;
    const [c, g, z] = n.inputs as [number, number, number];
    if (isMask.has(c) && isFloat(nodes[g]!) && isZeroScalar(nodes[z]!) && same(nodes[g]!.shape, n.shape)) selectAsMul.add(n.id);
  }
  return { maskFrom, selectAsMul };
}
