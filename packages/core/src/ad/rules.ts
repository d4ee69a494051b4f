import { isFloat } from '../ir/dtype.js';
import type { OpAttrs, OpName } from '../ir/ops.js';
import { type Tensor, concat, oneHot, where } from '../ir/tensor.js';
import { conv2d, conv2dFilterGrad, conv2dTranspose } from '../ir/conv.js';

/** What a VJP rule sees: primal inputs, primal output, the output's cotangent, attrs, which inputs need a cotangent. */
export interface RuleArgs<K extends OpName> {
  readonly x: readonly Tensor[];
  readonly y: Tensor;
  readonly g: Tensor;
  readonly attrs: OpAttrs[K];
  readonly need: readonly boolean[];
}
/** Cotangents for each input (null: none, e.g. an integer input or a zero derivative). */
export type Rule<K extends OpName> = (a: RuleArgs<K>) => (Tensor | null)[];

/** Sum `g` down to `shape`, undoing numpy broadcasting. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = axes.length ? g.sum(axes, true) : g;
  return s.reshape(shape);
}

/** Elementwise rule: cotangent = g · f'(x, y). */
const elementwise = <K extends OpName>(d: (x: Tensor, y: Tensor) => Tensor): Rule<K> =>
  ({ x, y, g }) => [g.mul(d(x[0]!, y))];
/** Binary broadcasting rule from the two partial products. */
const binary = <K extends OpName>(da: (a: RuleArgs<K>) => Tensor, db: (a: RuleArgs<K>) => Tensor): Rule<K> =>
  (r) => [r.need[0] ? unbroadcast(da(r), r.x[0]!.shape) : null, r.need[1] ? unbroadcast(db(r), r.x[1]!.shape) : null];
const zero = <K extends OpName>(): Rule<K> => ({ x }) => x.map(() => null);

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * Reverse-mode rules for every primitive, written in primitives so derivatives compose to any order.
 * `satisfies Record<OpName, …>` makes a missing rule a type error.
 */
export const VJP_RULES = {
  neg: ({ g }) => [g.neg()],
  exp: elementwise((_, y) => y),
  log: ({ x, g }) => [g.div(x[0]!)],
  sqrt: ({ y, g }) => [g.div(y.mul(2))],
  tanh: elementwise((_, y) => y.mul(y).neg().add(1)),
  sigmoid: elementwise((_, y) => y.mul(y.neg().add(1))),
  relu: ({ x, g }) => [where(x[0]!.greater(0), g, 0)],
  abs: ({ x, g }) => [where(x[0]!.greater(0), g, where(x[0]!.less(0), g.neg(), 0))],
  erf: elementwise((x) => x.mul(x).neg().exp().mul(TWO_OVER_SQRT_PI)),

  add: binary(({ g }) => g, ({ g }) => g),
  sub: binary(({ g }) => g, ({ g }) => g.neg()),
  mul: binary(({ g, x }) => g.mul(x[1]!), ({ g, x }) => g.mul(x[0]!)),
  div: binary(({ g, x }) => g.div(x[1]!), ({ g, y, x }) => g.mul(y).div(x[1]!).neg()),
  pow: binary(({ g, x }) => g.mul(x[1]!).mul(x[0]!.pow(x[1]!.sub(1))), ({ g, y, x }) => g.mul(y).mul(x[0]!.log())),
  // Ties send the whole cotangent to the first argument (a subgradient).
  max: binary(({ g, x }) => where(x[0]!.greaterEqual(x[1]!), g, 0), ({ g, x }) => where(x[0]!.greaterEqual(x[1]!), 0, g)),
  min: binary(({ g, x }) => where(x[1]!.greaterEqual(x[0]!), g, 0), ({ g, x }) => where(x[1]!.greaterEqual(x[0]!), 0, g)),

  greater: zero(),
  greaterEqual: zero(),
  equal: zero(),
  oneHot: zero(),
  stopGradient: zero(),
  where: ({ x, g, need }) => [
    null,
    need[1] ? unbroadcast(where(x[0]!, g, 0), x[1]!.shape) : null,
    need[2] ? unbroadcast(where(x[0]!, 0, g), x[2]!.shape) : null,
  ],
  cast: ({ x, g }) => [isFloat(x[0]!.dtype) && isFloat(g.dtype) ? g.cast(x[0]!.dtype) : null],

  sum: ({ x, g, attrs }) => [g.reshape(keptShape(x[0]!.shape, attrs.axes)).expand(x[0]!.shape)],
  reduceMax: ({ x, y, g, attrs }) => {
    // Ties share the cotangent equally, so the rule is symmetric and its own VJP well defined.
    const kept = keptShape(x[0]!.shape, attrs.axes);
    // The share g / count is formed on the reduced shape and then spread by the 0/1 mask: one
    // full-size broadcast product instead of a product and a quotient (the same values bit for
    // bit: m·(g/c) = (m·g)/c for m in {0, 1}, NaN and ±∞ included).
    const mask = x[0]!.equal(y.reshape(kept)).cast(g.dtype);
    return [g.reshape(kept).div(mask.sum(attrs.axes, true)).mul(mask)];
  },

  reshape: ({ x, g }) => [g.reshape(x[0]!.shape)],
  transpose: ({ g, attrs }) => {
    const inv = new Array<number>(attrs.perm.length);
    attrs.perm.forEach((p, i) => (inv[p] = i));
    return [g.transpose(inv)];
  },
  expand: ({ x, g }) => [unbroadcast(g, x[0]!.shape)],
  slice: ({ x, g, attrs }) => {
    // Pad with zeros by concatenation, one axis at a time.
    let t = g;
    const full = x[0]!.shape;
    for (let ax = 0; ax < full.length; ax++) {
      const s = attrs.starts[ax]!, e = attrs.ends[ax]!, parts: Tensor[] = [];
      if (s === 0 && e === full[ax]) continue;
      const side = (n: number) => t.builder.fill(0, t.shape.map((d, i) => (i === ax ? n : d)), g.dtype);
      if (s > 0) parts.push(side(s));
      parts.push(t);
      if (e < full[ax]!) parts.push(side(full[ax]! - e));
      t = concat(parts, ax);
    }
    return [t];
  },
  concat: ({ x, g, attrs, need }) => {
    let off = 0;
    return x.map((t, i) => {
      const starts = g.shape.map((_, a) => (a === attrs.axis ? off : 0));
      const ends = g.shape.map((d, a) => (a === attrs.axis ? off + t.shape[a]! : d));
      off += t.shape[attrs.axis]!;
      return need[i] ? g.slice(starts, ends) : null;
    });
  },
  gather: ({ x, g, attrs }) => {
    // Scatter-add as a product with the one-hot of the indices: [N, K] @ [P, K, Q] -> [P, N, Q].
    const data = x[0]!, idx = x[1]!, ax = attrs.axis < 0 ? attrs.axis + data.rank : attrs.axis;
    const P = data.shape.slice(0, ax).reduce((a, b) => a * b, 1), N = data.shape[ax]!;
    const Q = data.shape.slice(ax + 1).reduce((a, b) => a * b, 1), K = idx.size;
    const ohT = oneHot(idx.reshape([K]), N, g.dtype).T.reshape([1, N, K]);
    return [ohT.matmul(g.reshape([P, K, Q])).reshape(data.shape), null];
  },
  matmul: ({ x, g, need }) => [
    need[0] ? unbroadcast(g.matmul(x[1]!.T), x[0]!.shape) : null,
    need[1] ? unbroadcast(x[0]!.T.matmul(g), x[1]!.shape) : null,
  ],
  sortDesc: () => {
    throw new Error('sortDesc is not differentiable: apply it to stopGradient() values (e.g. to find a support set) and express the result differentiably');
  },
  cumsum: ({ g, attrs }) => [g.cumsum(attrs.axis, !attrs.reverse)],
  // Bilinear in (input, filter): the input's cotangent is the adjoint conv of g, the filter's a
  // conv with batch and channels swapped (conv2dFilterGrad). Both are linear in g, so every
  // higher derivative is more of the same two primitives.
  conv2d: ({ x, g, attrs, need }) => [
    need[0] ? conv2dTranspose(g, x[1]!, x[0]!.shape.slice(2), attrs) : null,
    need[1] ? conv2dFilterGrad(x[0]!, g, attrs, x[1]!.shape) : null,
  ],
  // y = conv2dᵀ(u, w): ⟨g, conv2dᵀ(u, w)⟩ = ⟨conv2d(g, w), u⟩, so u's cotangent is conv2d(g, w)
  // and w's is the filter gradient of that conv2d with input g and output cotangent u.
  conv2dTranspose: ({ x, g, attrs, need }) => {
    const { size: _size, ...a } = attrs;
    return [need[0] ? conv2d(g, x[1]!, a) : null, need[1] ? conv2dFilterGrad(g, x[0]!, a, x[1]!.shape) : null];
  },
  input: () => [],
  const: () => [],
} satisfies { [K in OpName]: Rule<K> };

function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  const r = shape.length, norm = axes.map((a) => (a < 0 ? a + r : a));
  return shape.map((d, i) => (norm.includes(i) ? 1 : d));
}
