import fc from 'fast-check';
import { Rng } from '@clt/core';

/**
 * JSON case recipes for the ONNX Runtime fuzz, replayed by ort-child.mjs. The parent tracks shapes
 * so every recipe is a valid graph; the child runs it on ONNX Runtime CPU and on the float64
 * reference and compares at float32 tolerance.
 *
 * Values are chosen so float32 and float64 compute the same well-conditioned function: inputs are
 * float32-exact, exp only follows tanh, log/sqrt/div/pow see operands bounded away from 0, and
 * comparisons and casts act on raw inputs only (no rounding-dependent ties).
 */
export interface Tol { rtol: number; atol: number }
export interface InputRecipe { name: string; shape: number[]; dtype: 'f32' | 'i32'; values: number[] }
export interface StepRecipe { op: string; args: number[]; attrs: Record<string, unknown>; value?: number }
export type OrtCase =
  | { kind: 'graph'; label: string; inputs: InputRecipe[]; steps: StepRecipe[]; outputs: number[]; tol: Tol }
  | { kind: 'loss'; label: string; loss: string; fn: 'predict' | 'loss' | 'grad' | 'residual'; n: number; d: number; eta: number[]; labels?: number[]; y?: number[]; tol: Tol };

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const f32 = (x: number) => Math.fround(x);

/** A shape-tracking builder of one random graph recipe. */
class Recipe {
  readonly inputs: InputRecipe[] = [];
  readonly steps: StepRecipe[] = [];
  readonly shapes: number[][] = [];
  readonly ops: string[] = [];
  constructor(readonly rng: Rng) {}

  input(shape: number[], dtype: 'f32' | 'i32', values: number[]): number {
    if (this.steps.length) throw new Error('ort-cases: inputs come before steps');
    this.inputs.push({ name: `x${this.inputs.length}`, shape, dtype, values });
    this.shapes.push(shape);
    return this.shapes.length - 1;
  }
  step(op: string, args: number[], attrs: Record<string, unknown>, shape: number[]): number {
    this.steps.push({ op, args, attrs });
    this.shapes.push(shape);
    this.ops.push(op);
    return this.shapes.length - 1;
  }
  scalar(value: number): number {
    this.steps.push({ op: 'const', args: [], attrs: {}, value });
    this.shapes.push([]);
    return this.shapes.length - 1;
  }
}

/** A dimension: zero-size a quarter of the time, since that is where native kernels divide by it. */
const dim = (rng: Rng) => (rng.uniform() < 0.25 ? 0 : 1 + rng.int(3));
const values = (rng: Rng, n: number, ties: boolean) => Array.from({ length: n }, () => (ties ? rng.int(5) - 2 : f32(rng.normal())));

/** Broadcast y's shape against x's: same, some axes 1, or fewer leading axes. */
function broadcastPartner(rng: Rng, s: number[]): number[] {
  const t = s.map((d) => (rng.uniform() < 0.3 ? 1 : d));
  return rng.uniform() < 0.3 ? t.slice(rng.int(t.length + 1)) : t;
}
const broadcast = (a: number[], b: number[]) => {
  const r = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
};

const SAFE_UNARY = ['neg', 'tanh', 'sigmoid', 'relu', 'abs', 'erf', 'stopGradient'];

/** One random graph over the primitive ops (zero-size axes included), 1–5 steps. */
export function graphCase(seed: number): OrtCase {
  const rng = new Rng(seed), g = new Recipe(rng);
  const rank = 1 + rng.int(3);
  const shape = Array.from({ length: rank }, () => dim(rng));
  const ties = rng.uniform() < 0.3;
  const x = g.input(shape, 'f32', values(rng, size(shape), ties));
  const yShape = broadcastPartner(rng, shape);
  const y = g.input(yShape, 'f32', values(rng, size(yShape), ties));
  // Optional extra inputs for gather / matmul / oneHot, declared up front.
  const axis0 = rng.int(rank);
  const m = shape[axis0]! === 0 ? 0 : rng.int(4);
  const idx = g.input([m], 'i32', Array.from({ length: m }, () => rng.int(Math.max(1, shape[axis0]!))));
  const k = shape[rank - 1]!, nCols = dim(rng);
  const w = g.input([k, nCols], 'f32', values(rng, k * nCols, false));
  const depth = dim(rng);
  const hot = g.input([m], 'i32', Array.from({ length: m }, () => rng.int(Math.max(1, depth))));

  let cur = x;
  const first = rng.int(4);
  if (first === 0) { // comparison on raw inputs, then where / cast
    const cmp = ['greater', 'greaterEqual', 'equal'][rng.int(3)]!;
    const out = broadcast(shape, yShape);
    const c = g.step(cmp, [x, y], {}, out);
    cur = rng.uniform() < 0.5 ? g.step('where', [c, x, y], {}, out) : g.step('cast', [c], { to: 'f32' }, out);
  } else if (first === 1) { // f32 → i32 → f32 on raw inputs (truncation toward zero)
    cur = g.step('cast', [g.step('cast', [x], { to: 'i32' }, shape)], { to: 'f32' }, shape);
  } else if (first === 2 && depth > 0) {
    cur = g.step('oneHot', [hot], { depth, dtype: 'f32' }, [m, depth]);
  }
  const nSteps = 1 + rng.int(5);
  for (let s = 0; s < nSteps; s++) {
    const sh = g.shapes[cur]!, r = sh.length;
    const pick = rng.int(14);
    if (pick === 0) cur = g.step(SAFE_UNARY[rng.int(SAFE_UNARY.length)]!, [cur], {}, sh);
    else if (pick === 1) cur = g.step('exp', [g.step('tanh', [cur], {}, sh)], {}, sh);
    else if (pick === 2) { // log / sqrt of |x| + 1
      const a = g.step('add', [g.step('abs', [cur], {}, sh), g.scalar(1)], {}, sh);
      cur = g.step(rng.uniform() < 0.5 ? 'log' : 'sqrt', [a], {}, sh);
    } else if (pick === 3 && sh.join(',') === shape.join(',')) { // binary with the broadcast partner
      const op = ['add', 'sub', 'mul', 'max', 'min', 'div', 'pow'][rng.int(7)]!;
      const out = broadcast(sh, yShape);
      if (op === 'div') cur = g.step('div', [cur, g.step('add', [g.step('abs', [y], {}, yShape), g.scalar(0.5)], {}, yShape)], {}, out);
      else if (op === 'pow') cur = g.step('pow', [g.step('add', [g.step('abs', [cur], {}, sh), g.scalar(0.5)], {}, sh), g.step('tanh', [y], {}, yShape)], {}, out);
      else cur = g.step(op, [cur, y], {}, out);
    } else if (pick === 4 && r > 0) { // reductions, over zero-size axes too
      const axes = Array.from({ length: r }, (_, i) => i).filter(() => rng.uniform() < 0.5);
      const keepDims = rng.uniform() < 0.5;
      const op = rng.uniform() < 0.6 || axes.some((a) => sh[a] === 0) && rng.uniform() < 0.5 ? 'sum' : 'reduceMax';
      cur = g.step(op, [cur], { axes, keepDims }, keepDims ? sh.map((d, i) => (axes.includes(i) ? 1 : d)) : sh.filter((_, i) => !axes.includes(i)));
    } else if (pick === 5) {
      const to = rng.uniform() < 0.5 ? [size(sh)] : [...sh, 1];
      cur = g.step('reshape', [cur], { shape: to }, to);
    } else if (pick === 6 && r > 1) {
      const perm = Array.from({ length: r }, (_, i) => i).sort(() => rng.uniform() - 0.5);
      cur = g.step('transpose', [cur], { perm }, perm.map((p) => sh[p]!));
    } else if (pick === 7) { // expand: a new leading axis, and 1-axes to 0 or 2
      const to = [1 + rng.int(2), ...sh.map((d) => (d === 1 && rng.uniform() < 0.5 ? (rng.uniform() < 0.5 ? 0 : 2) : d))];
      cur = g.step('expand', [cur], { shape: to }, to);
    } else if (pick === 8 && r > 0) { // slice, empty ranges included
      const starts = sh.map((d) => rng.int(d + 1));
      const ends = sh.map((d, i) => starts[i]! + rng.int(d - starts[i]! + 1));
      cur = g.step('slice', [cur], { starts, ends }, sh.map((_, i) => ends[i]! - starts[i]!));
    } else if (pick === 9 && r > 0) {
      const axis = rng.int(r);
      cur = g.step('concat', [cur, cur], { axis }, sh.map((d, i) => (i === axis ? 2 * d : d)));
    } else if (pick === 10 && r > 0) cur = g.step('sortDesc', [cur], {}, sh);
    else if (pick === 11 && r > 0) {
      const axis = rng.int(r);
      cur = g.step('cumsum', [cur], { axis, reverse: rng.uniform() < 0.5 }, sh);
    } else if (pick === 12 && cur === x) { // gather along an axis of the raw input
      cur = g.step('gather', [x, idx], { axis: axis0 }, [...shape.slice(0, axis0), m, ...shape.slice(axis0 + 1)]);
    } else if (pick === 13 && r >= 2 && sh[r - 1] === k) { // matmul by [k, n], k possibly 0
      cur = g.step('matmul', [cur, w], {}, [...sh.slice(0, -1), nCols]);
    } else cur = g.step('neg', [cur], {}, sh);
  }
  const outputs = rng.uniform() < 0.3 && g.shapes.length > g.inputs.length + 1 ? [cur, g.inputs.length + rng.int(g.steps.length)] : [cur];
  // Drop outputs that are bare constants (a const step): the builder folds them, fine, but keep outputs computed.
  const outs = outputs.filter((o) => g.steps[o - g.inputs.length]?.op !== 'const');
  return { kind: 'graph', label: `graph(${shape.join('x')}: ${g.ops.join(' ')})`, inputs: g.inputs, steps: g.steps, outputs: outs, tol: { rtol: 1e-4, atol: 1e-4 } };
}

const LOSS_NAMES = ['softmax', 'sparsemax', 'entmax-1.5', 'entmax-1.25', 'entmax-3'];

/** A Fenchel–Young loss on a batch: empty batches, ties and spread logits, labels or soft targets. */
export function lossCase(seed: number): OrtCase {
  const rng = new Rng(seed);
  const loss = LOSS_NAMES[rng.int(LOSS_NAMES.length)]!;
  const fn = (['predict', 'loss', 'grad', 'residual'] as const)[rng.int(4)]!;
  const n = rng.uniform() < 0.3 ? 0 : 1 + rng.int(4), d = 1 + rng.int(5);
  const mode = rng.int(3);
  const scale = [3, 0, 20][mode]!;
  const eta = Array.from({ length: n * d }, () => f32(mode === 1 ? 0.5 : scale * rng.normal()));
  const useLabels = rng.uniform() < 0.6;
  const labels = useLabels ? Array.from({ length: n }, () => rng.int(d)) : undefined;
  const y = useLabels ? undefined : Array.from({ length: n }, () => {
    const row = Array.from({ length: d }, () => rng.uniform());
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => f32(v / s));
  }).flat();
  // float32 logits: the prediction's error grows with |η| (threshold of sparsemax/entmax), the loss's with |η|·|y|.
  const big = 1 + Math.max(0, ...eta.map(Math.abs));
  return { kind: 'loss', label: `${loss}.${fn}(n=${n}, d=${d}, ${['spread', 'tied', 'wide'][mode]}, ${useLabels ? 'labels' : 'soft'})`, loss, fn, n, d, eta, ...(labels ? { labels } : { y }), tol: { rtol: 1e-4, atol: 2e-5 * big } };
}

/** `runs` recipes, two thirds graphs and one third losses, from one fast-check seed. */
export function ortCases(seed: number, runs: number): OrtCase[] {
  const arb = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }));
  return fc.sample(arb, { seed, numRuns: runs }).map(([k, s]) => (k < 2 ? graphCase(s) : lossCase(s)));
}
