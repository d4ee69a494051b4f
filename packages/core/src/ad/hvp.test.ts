import { describe, expect, it } from 'vitest';
import { grad, hvp, jvp, vjp } from './transforms.js';
import { opCount } from '../ir/graph.js';
import { interpret } from '../reference/interpret.js';
import { Rng } from '../util/random.js';
import { centralDiff, dot, hostCopy, relErr } from '../testing/finite-differences.js';
import { CONV_NET_WEIGHTS, convNetGraph, convNetInputs, mlpGraph, mlpInputs } from '../testing/index.js';

/**
 * Hessian–vector products of a small MLP loss (relu, tanh, softmax cross-entropy; float64):
 * H v from `hvp` against central differences of the gradient, (∇L(θ + h v) − ∇L(θ − h v)) / 2h,
 * and against the two other ways to build it (forward-over-reverse, reverse-over-reverse).
 */
const WRT = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'];

describe('Hessian–vector product of an MLP loss', () => {
  const loss = mlpGraph('f64');
  const gGraph = grad(loss, { wrt: WRT });
  const hGraph = hvp(loss, { wrt: WRT });
  const rng = new Rng(21);
  const inputs = hostCopy(mlpInputs(hGraph, rng));
  const hv = interpret(hGraph, inputs);

  it('matches central differences of the gradient (relative error ≤ 1e-6)', () => {
    const h = 1e-5, plus = { ...inputs }, minus = { ...inputs };
    for (const w of WRT) {
      plus[w] = Float64Array.from(inputs[w]!, (x, i) => x + h * inputs[`vec_${w}`]![i]!);
      minus[w] = Float64Array.from(inputs[w]!, (x, i) => x - h * inputs[`vec_${w}`]![i]!);
    }
    const gp = interpret(gGraph, plus), gm = interpret(gGraph, minus);
    const lines: string[] = [];
    for (const w of WRT) {
      const fd = Float64Array.from(gp[`grad_${w}`]!, (v, i) => (v - gm[`grad_${w}`]![i]!) / (2 * h));
      const e = relErr(hv[`hvp_${w}`]!, fd);
      lines.push(`hvp_${w}: rel err ${e.toExponential(2)}`);
      expect(e, `hvp_${w}`).toBeLessThanOrEqual(1e-6);
    }
    console.log(`HVP vs finite differences of gradients:\n  ${lines.join('\n  ')}`);
  });

  it('equals forward-over-reverse (jvp of grad) and reverse-over-reverse (vjp of grad)', () => {
    const fwd = jvp(gGraph, { of: WRT.map((w) => `grad_${w}`), wrt: WRT });
    const fin: Record<string, ArrayLike<number>> = { ...inputs };
    for (const w of WRT) fin[`tan_${w}`] = inputs[`vec_${w}`]!;
    const f = interpret(fwd, fin);
    // Reverse over reverse: the Hessian is symmetric, so Hᵀ v = H v.
    const rev = vjp(gGraph, { of: WRT.map((w) => `grad_${w}`), wrt: WRT });
    const rin: Record<string, ArrayLike<number>> = { ...inputs };
    for (const w of WRT) rin[`ct_grad_${w}`] = inputs[`vec_${w}`]!;
    const r = interpret(rev, rin);
    for (const w of WRT) {
      expect(relErr(f[`jvp_grad_${w}`]!, hv[`hvp_${w}`]!)).toBeLessThan(1e-12);
      expect(relErr(r[`grad_${w}`]!, hv[`hvp_${w}`]!)).toBeLessThan(1e-12);
    }
    console.log(`graph sizes (ops): loss ${opCount(loss)}, grad ${opCount(gGraph)}, hvp ${opCount(hGraph)}, jvp-of-grad ${opCount(fwd)}, vjp-of-grad ${opCount(rev)}`);
  });

  it('is symmetric: ⟨u, H v⟩ = ⟨v, H u⟩', () => {
    const u: Record<string, ArrayLike<number>> = { ...inputs };
    for (const w of WRT) u[`vec_${w}`] = rng.normals(inputs[w]!.length);
    const hu = interpret(hGraph, u);
    const a = WRT.reduce((s, w) => s + dot(u[`vec_${w}`]!, hv[`hvp_${w}`]!), 0);
    const b = WRT.reduce((s, w) => s + dot(inputs[`vec_${w}`]!, hu[`hvp_${w}`]!), 0);
    expect(Math.abs(a - b)).toBeLessThan(1e-12 * (1 + Math.abs(a)));
  });

  it('composes to third order: ∇_θ ⟨v, H(θ) v⟩ matches central differences', () => {
    // Differentiate the HVP graph once more; only tanh and the softmax carry third derivatives.
    const third = vjp(hGraph, { of: WRT.map((w) => `hvp_${w}`), wrt: ['w2'] });
    const tin: Record<string, ArrayLike<number>> = { ...inputs };
    for (const w of WRT) tin[`ct_hvp_${w}`] = inputs[`vec_${w}`]!;
    const ad = interpret(third, tin).grad_w2!;
    const fd = centralDiff(hGraph, { ...inputs, w2: Float64Array.from(inputs.w2!) }, 'w2',
      (r) => WRT.reduce((s, w) => s + dot(inputs[`vec_${w}`]!, r[`hvp_${w}`]!), 0), 1e-5);
    expect(relErr(ad, fd)).toBeLessThanOrEqual(1e-6);
  });
});

describe('Hessian–vector product of a conv net loss (conv2d, conv2dTranspose, pools; float64)', () => {
  const WRT_C = [...CONV_NET_WEIGHTS];
  const loss = convNetGraph('f64');
  const gGraph = grad(loss, { wrt: WRT_C });
  const hGraph = hvp(loss, { wrt: WRT_C });
  const inputs = hostCopy(convNetInputs(hGraph, new Rng(23)));
  const hv = interpret(hGraph, inputs);

  it('matches central differences of the gradient (relative error ≤ 1e-6) and reverse-over-reverse', () => {
    const h = 1e-5, plus = { ...inputs }, minus = { ...inputs };
    for (const w of WRT_C) {
      plus[w] = Float64Array.from(inputs[w]!, (x, i) => x + h * inputs[`vec_${w}`]![i]!);
      minus[w] = Float64Array.from(inputs[w]!, (x, i) => x - h * inputs[`vec_${w}`]![i]!);
    }
    const gp = interpret(gGraph, plus), gm = interpret(gGraph, minus);
    const rev = vjp(gGraph, { of: WRT_C.map((w) => `grad_${w}`), wrt: WRT_C });
    const rin: Record<string, ArrayLike<number>> = { ...inputs };
    for (const w of WRT_C) rin[`ct_grad_${w}`] = inputs[`vec_${w}`]!;
    const r = interpret(rev, rin);
    const lines: string[] = [];
    for (const w of WRT_C) {
      const fd = Float64Array.from(gp[`grad_${w}`]!, (v, i) => (v - gm[`grad_${w}`]![i]!) / (2 * h));
      const e = relErr(hv[`hvp_${w}`]!, fd);
      lines.push(`hvp_${w}: rel err ${e.toExponential(2)}`);
      expect(e, `hvp_${w}`).toBeLessThanOrEqual(1e-6);
      expect(relErr(r[`grad_${w}`]!, hv[`hvp_${w}`]!)).toBeLessThan(1e-12);
    }
    console.log(`conv net HVP vs finite differences of gradients:\n  ${lines.join('\n  ')}`);
  });
});
