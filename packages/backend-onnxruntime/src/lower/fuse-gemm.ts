import type { Graph, Node, OpAttrs } from '@clt/core';

/**
 * One ONNX `Gemm` standing for a small IR subgraph: Y = α·op(A)·op(B) + β·C.
 * `root` is the IR node whose value Y is; the other nodes it covers are skipped by the lowering.
 */
export interface GemmPlan {
  readonly root: number;
  readonly a: number;
  readonly b: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly c?: number;
  /** IR node of a scalar multiplying the product (folded into the smaller of A and B). */
  readonly scale?: number;
  readonly alpha: 1 | -1;
}

export interface GemmFusion {
  /** Root node id → plan. */
  readonly gemms: ReadonlyMap<number, GemmPlan>;
  /** Nodes covered by a plan and used nowhere else: not lowered. */
  readonly skip: ReadonlySet<number>;
}

const isT2 = (n: Node) => n.op === 'transpose' && n.shape.length === 2 && (n.attrs as OpAttrs['transpose']).perm[0] === 1;
const isFloat = (n: Node) => n.dtype === 'f32' || n.dtype === 'f64';
const isScalar = (n: Node) => n.shape.length === 0 || n.shape.every((d) => d === 1);

/**
 * Plan Gemm fusions on the IR before lowering. Reverse-mode graphs of dense layers are full of
 * 2-D transposes — x·Wᵀ forward, (hᵀ·δ)ᵀ for the weight gradient — and an explicit Transpose of a
 * 784×256 matrix costs as much as a quarter of its product. Gemm's transA/transB absorb them:
 *
 *   matmul(Tᵃ(A), Tᵇ(B))            → Gemm(A, B, transA=a, transB=b)
 *   transpose(matmul(A', B'))        → Gemm(B, A, transA=¬b, transB=¬a)        ((A'B')ᵀ = B'ᵀA'ᵀ)
 *   add(matmul(..), C)               → Gemm(.., C)          (C broadcast to the product's shape)
 *   sub(P, mul(gemm, s)) / add(P, mul(gemm, s))  → Gemm(s·A or s·B, .., C = P, α = ∓1)
 *
 * The last is the SGD update W − lr·∇W: the scalar lands on the smaller operand (δ, batch × out)
 * instead of the weight-sized gradient, and the subtraction is Gemm's own C, so the update costs
 * no pass over the weights at all. A node is absorbed only when its sole consumer is the fusion
 * and it is not a graph output; otherwise it is computed as usual.
 */
export function planGemms(graph: Graph): GemmFusion {
  const nodes = graph.nodes;
  const consumers: number[][] = nodes.map(() => []);
  for (const n of nodes) for (const i of n.inputs) consumers[i]!.push(n.id);
  const isOut = new Set(graph.outputs.map((o) => o.id));
  const soleUse = (id: number) => (!isOut.has(id) && consumers[id]!.length === 1 ? nodes[consumers[id]![0]!]! : undefined);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

  const gemms = new Map<number, GemmPlan>();
  const covered = new Set<number>();
  for (const m of nodes) {
    if (m.op !== 'matmul' || m.shape.length !== 2 || !isFloat(m)) continue;
    const [ia, ib] = m.inputs as [number, number];
    if (nodes[ia]!.shape.length !== 2 || nodes[ib]!.shape.length !== 2) continue;
    const tA = isT2(nodes[ia]!), tB = isT2(nodes[ib]!);
    let plan: GemmPlan = { root: m.id, a: tA ? nodes[ia]!.inputs[0]! : ia, b: tB ? nodes[ib]!.inputs[0]! : ib, transA: tA, transB: tB, alpha: 1 };
    const inner: number[] = [];
    if (tA) inner.push(ia);
    if (tB) inner.push(ib);
    let cons = soleUse(m.id);
    if (cons && isT2(cons)) {
      plan = { root: cons.id, a: plan.b, b: plan.a, transA: !plan.transB, transB: !plan.transA, alpha: 1 };
      covered.add(m.id);
      cons = soleUse(cons.id);
    }
    // Scaled update: P ∓ (product · s), s a scalar.
    if (cons && cons.op === 'mul' && isScalar(nodes[cons.inputs[0] === plan.root ? cons.inputs[1]! : cons.inputs[0]!]!) && same(cons.shape, nodes[plan.root]!.shape)) {
      const s = cons.inputs[0] === plan.root ? cons.inputs[1]! : cons.inputs[0]!;
      const upd = soleUse(cons.id);
      if (upd && !gemms.has(upd.id) && (upd.op === 'sub' || upd.op === 'add') && upd.inputs[1] === cons.id && upd.inputs[0] !== cons.id && same(nodes[upd.inputs[0]!]!.shape, cons.shape)) {
        covered.add(plan.root).add(cons.id);
        plan = { ...plan, root: upd.id, c: upd.inputs[0]!, scale: s, alpha: upd.op === 'sub' ? -1 : 1 };
        cons = undefined;
      }
    }
    // Bias: product + C, C broadcasting to the product's shape (either operand order).
    // An add of two products is claimed by the first product only (a second claim would overwrite it).
    if (cons && cons.op === 'add' && plan.c === undefined && !gemms.has(cons.id) && same(cons.shape, nodes[plan.root]!.shape)) {
      const c = cons.inputs[0] === plan.root ? cons.inputs[1]! : cons.inputs[0]!;
      if (c !== plan.root && nodes[c]!.shape.length <= 2) {
        covered.add(plan.root);
        plan = { ...plan, root: cons.id, c };
      }
    }
    gemms.set(plan.root, plan);
    for (const t of inner) covered.add(t);
  }
  // A covered node is skipped only if nothing outside the fusions reads it.
  const roots = new Set(gemms.keys());
  const skip = new Set<number>();
  for (const id of covered) {
    if (isOut.has(id) || roots.has(id)) continue;
    if (consumers[id]!.every((c) => covered.has(c) || roots.has(c))) skip.add(id);
  }
  // A transpose read by a fusion and by something else stays; its fused readers use its input anyway.
  return { gemms, skip };
}
