// Type-level tests of the graph builder and Tensor ops, through the public barrel. Compiled by tsc
// (vitest typecheck mode), never executed.
import { describe, expectTypeOf, test } from 'vitest';
import {
  type GraphBuilder, type Tensor, concat, grad, interpret, isFloat, oneHot, spec, trace, where,
  type DType, type Graph, type Node, type OpAttrs, type OpName, type TensorSpec, type TypedArray,
} from '../index.js';

declare const t: Tensor;
declare const u: Tensor;
declare const b: GraphBuilder;
declare const g: Graph;

describe('trace', () => {
  test('the callback sees exactly the declared inputs, as Tensors', () => {
    const graph = trace({ x: spec([4, 3]), w: spec([3, 2], 'f64') }, ({ x, w }) => {
      expectTypeOf(x).toEqualTypeOf<Tensor>();
      expectTypeOf(w).toEqualTypeOf<Tensor>();
      return { y: x.matmul(w).relu() };
    });
    expectTypeOf(graph).toEqualTypeOf<Graph>();
    // @ts-expect-error `z` is not a declared input
    trace({ x: spec([2]) }, ({ z }) => ({ y: z }));
  });

  test('outputs must be named Tensors', () => {
    // @ts-expect-error a number is not a graph output
    trace({ x: spec([2]) }, ({ x }) => ({ y: x, n: 1 }));
    // @ts-expect-error outputs are named: return a record, not a bare tensor
    trace({ x: spec([2]) }, ({ x }) => x.exp());
  });

  test('spec and input accept the IR dtypes only', () => {
    expectTypeOf(spec([2], 'i32')).toEqualTypeOf<TensorSpec>();
    // @ts-expect-error 'f16' is not an IR dtype
    spec([2], 'f16');
    // @ts-expect-error 'float64' is spelled 'f64'
    b.input('x', [2], 'float64');
    expectTypeOf(b.input('x', [2], 'bool')).toEqualTypeOf<Tensor>();
    expectTypeOf(b.constant([1, 2], [2], 'i32')).toEqualTypeOf<Tensor>();
    expectTypeOf(b.build).returns.toEqualTypeOf<Graph>();
  });
});

describe('Tensor methods', () => {
  test('every op returns a Tensor', () => {
    expectTypeOf(t.add(1)).toEqualTypeOf<Tensor>();
    expectTypeOf(t.mul(u).sub(2).div(u).pow(2)).toEqualTypeOf<Tensor>();
    expectTypeOf(t.exp().log().sqrt().tanh().sigmoid().relu().abs().erf().neg()).toEqualTypeOf<Tensor>();
    expectTypeOf(t.sum()).toEqualTypeOf<Tensor>();
    expectTypeOf(t.sum([0, 1], true)).toEqualTypeOf<Tensor>();
    expectTypeOf(t.mean(-1)).toEqualTypeOf<Tensor>();
    expectTypeOf(t.max(0, true)).toEqualTypeOf<Tensor>();
    expectTypeOf(t.reshape([2, -1]).transpose().T).toEqualTypeOf<Tensor>();
    expectTypeOf(t.slice([0], [-1]).expand([3, 2]).gather(u, 1).cumsum()).toEqualTypeOf<Tensor>();
    expectTypeOf(t.greater(0).equal(u)).toEqualTypeOf<Tensor>();
    expectTypeOf(t.logsumexp(-1).softmax().logSoftmax()).toEqualTypeOf<Tensor>();
    expectTypeOf(t.stopGradient().sortDesc()).toEqualTypeOf<Tensor>();
    expectTypeOf(where(t.greater(0), t, 0)).toEqualTypeOf<Tensor>();
    expectTypeOf(concat([t, u], 1)).toEqualTypeOf<Tensor>();
    expectTypeOf(oneHot(u, 10, 'f64')).toEqualTypeOf<Tensor>();
  });

  test('shape and dtype are read-only facts of the trace', () => {
    expectTypeOf(t.shape).toEqualTypeOf<readonly number[]>();
    expectTypeOf(t.dtype).toEqualTypeOf<DType>();
    expectTypeOf(t.rank).toEqualTypeOf<number>();
    // @ts-expect-error shapes are read-only
    t.shape.push(1);
    // @ts-expect-error dtype is a getter without a setter
    t.dtype = 'f32';
  });

  test('bad calls are rejected', () => {
    // @ts-expect-error matmul needs a tensor; scale with mul
    t.matmul(2);
    // @ts-expect-error cast to an IR dtype
    t.cast('f16');
    // @ts-expect-error operands are tensors or numbers
    t.add('1');
    // @ts-expect-error axes are numbers
    t.sum('0');
    // @ts-expect-error oneHot depth is a number
    oneHot(u, '10');
    // @ts-expect-error where's condition is a tensor
    where(true, t, u);
    expectTypeOf(t.cast).parameter(0).toEqualTypeOf<DType>();
  });
});

describe('GraphBuilder.emit and graph nodes', () => {
  test('attributes are checked per op', () => {
    expectTypeOf(b.emit('sum', [t], { axes: [0], keepDims: false })).toEqualTypeOf<Tensor>();
    expectTypeOf(b.emit('cast', [t], { to: 'f64' })).toEqualTypeOf<Tensor>();
    // @ts-expect-error sum needs axes and keepDims
    b.emit('sum', [t], {});
    // @ts-expect-error cast's target must be a DType
    b.emit('cast', [t], { to: 'f16' });
    // @ts-expect-error leaves are made with input/constant, not emit
    b.emit('input', [], { name: 'x' });
    // @ts-expect-error not a primitive op
    b.emit('conv3d', [t], {});
  });

  test('a node of a known op carries its attributes type', () => {
    expectTypeOf<Node<'cast'>['attrs']>().toEqualTypeOf<{ to: DType }>();
    expectTypeOf<Node<'const'>['attrs']>().toEqualTypeOf<{ value: Float64Array }>();
    expectTypeOf<Node['attrs']>().toEqualTypeOf<OpAttrs[OpName]>();
    expectTypeOf<'matmul'>().toExtend<OpName>();
    expectTypeOf<'conv3d'>().not.toExtend<OpName>();
    // Every op has an attributes entry and nothing else does.
    expectTypeOf<keyof OpAttrs>().toEqualTypeOf<OpName>();
  });

  test('isFloat narrows a DType to the differentiable ones', () => {
    const d = null as unknown as DType;
    if (isFloat(d)) expectTypeOf(d).toEqualTypeOf<'f32' | 'f64'>();
    else expectTypeOf(d).toEqualTypeOf<'i32' | 'bool'>();
  });

  test('graph transforms return graphs; the interpreter returns typed arrays by name', () => {
    expectTypeOf(grad(g, { of: 'loss', wrt: ['w'] })).toEqualTypeOf<Graph>();
    expectTypeOf(interpret(g, { x: [1, 2, 3] })).toEqualTypeOf<Record<string, TypedArray>>();
    // @ts-expect-error wrt is a list of input names
    grad(g, { wrt: 'w' });
  });
});
