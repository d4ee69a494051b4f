import { isFloat } from '../ir/dtype.js';
import type { Tensor } from '../ir/tensor.js';
import { VJP_RULES, type Rule } from './rules.js';

/**
 * Reverse-mode differentiation inside a trace: cotangents of `xs` given cotangents `dys` of `ys`
 * (Σ_k dys_k · ∂ys_k/∂xs). The result is more graph in the same builder, so it can be
 * differentiated again (Hessian–vector products, JVPs as VJP-of-VJP). Unreached inputs get zeros.
 */
export function gradients(ys: readonly Tensor[], xs: readonly Tensor[], dys: readonly Tensor[]): Tensor[] {
  if (ys.length === 0 || ys.length !== dys.length) throw new Error('gradients: need one cotangent per output');
  const b = ys[0]!.builder;
  for (const t of [...ys, ...xs, ...dys]) if (t.builder !== b) throw new Error('gradients: tensors from different traces');
  ys.forEach((y, i) => {
    const d = dys[i]!;
    if (d.shape.join(',') !== y.shape.join(',') || d.dtype !== y.dtype)
      throw new Error(`gradients: cotangent ${i} is ${d.dtype}[${d.shape}] but output is ${y.dtype}[${y.shape}]`);
  });
  for (const x of xs) if (!isFloat(x.dtype)) throw new Error(`gradients: cannot differentiate with respect to a ${x.dtype} tensor`);

  const top = Math.max(...ys.map((y) => y.id));
  const nodes = b.nodes;
  // Nodes that depend on some x (forward sweep; ids are topological).
  const fromX = new Uint8Array(top + 1);
  for (const x of xs) if (x.id <= top) fromX[x.id] = 1;
  for (let id = 0; id <= top; id++) if (!fromX[id] && isFloat(nodes[id]!.dtype) && nodes[id]!.op !== 'stopGradient' && nodes[id]!.inputs.some((i) => fromX[i])) fromX[id] = 1;

  const ct = new Map<number, Tensor>();
  const accumulate = (id: number, g: Tensor) => {
    const prev = ct.get(id);
    ct.set(id, prev ? prev.add(g) : g);
  };
  ys.forEach((y, i) => fromX[y.id] && accumulate(y.id, dys[i]!));

  for (let id = top; id >= 0; id--) {
    const g = ct.get(id);
    if (!g) continue;
    const n = nodes[id]!;
    if (n.op === 'input' || n.op === 'const') continue;
    const need = n.inputs.map((i) => fromX[i] === 1);
    if (!need.some(Boolean)) continue;
    const rule = VJP_RULES[n.op] as Rule<typeof n.op>;
    const grads = rule({ x: n.inputs.map((i) => b.tensor(i)), y: b.tensor(id), g, attrs: n.attrs as any, need });
    n.inputs.forEach((inp, k) => {
      const gk = grads[k];
      if (need[k] && gk) accumulate(inp, gk);
    });
  }
  return xs.map((x) => ct.get(x.id) ?? b.fill(0, x.shape, x.dtype));
}

/** Gradient of a scalar `y` with respect to each of `xs`. */
export function grad(y: Tensor, xs: readonly Tensor[]): Tensor[] {
  if (y.size !== 1) throw new Error(`grad: output must be a scalar, got shape [${y.shape.join(',')}]; use gradients() with a cotangent`);
  return gradients([y], xs, [y.builder.fill(1, y.shape, y.dtype)]);
}

/**
 * Forward-mode product Σ_j ∂ys/∂xs_j · vs_j inside a trace, as the transpose of the VJP: the VJP
 * u ↦ Jᵀu is linear in u, so differentiating ⟨Jᵀu, v⟩ in u gives J v without ever using u's value.
 */
export function jvp(ys: readonly Tensor[], xs: readonly Tensor[], vs: readonly Tensor[]): Tensor[] {
  if (xs.length !== vs.length) throw new Error('jvp: need one tangent per input');
  xs.forEach((x, i) => {
    if (vs[i]!.shape.join(',') !== x.shape.join(',')) throw new Error(`jvp: tangent ${i} has shape [${vs[i]!.shape}] but input has [${x.shape}]`);
  });
  const b = ys[0]!.builder;
  const us = ys.map((y) => b.placeholder(y.shape, y.dtype));
  const jtu = gradients(ys, xs, us);
  return gradients(jtu, us, vs);
}
