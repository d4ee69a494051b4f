import { describe, expect, it } from 'vitest';
import { replay, spec, trace, GraphBuilder } from './builder.js';
import { ShapeError, broadcastShapes } from './shape.js';
import { concat, oneHot, where } from './tensor.js';
import type { Tensor } from './tensor.js';
import type { TensorSpec } from './graph.js';

/** Trace `fn` and return the ShapeError it raises (failing the test if it raises nothing or something else). */
function shapeError(inputs: Record<string, TensorSpec>, fn: (xs: Record<string, Tensor>) => Tensor): ShapeError {
  try {
    trace(inputs, (xs) => ({ y: fn(xs) }));
  } catch (err) {
    expect(err).toBeInstanceOf(ShapeError);
    return err as ShapeError;
  }
  throw new Error('expected a ShapeError');
}

describe('shape and dtype errors name the op and the shapes', () => {
  const cases: [string, Record<string, TensorSpec>, (xs: Record<string, Tensor>) => Tensor, RegExp[]][] = [
    ['broadcast mismatch', { a: spec([2, 3]), b: spec([4]) }, ({ a, b }) => a!.add(b!), [/^add:/, /\[2,3\]/, /\[4\]/]],
    ['matmul inner dims', { a: spec([2, 3]), b: spec([4, 5]) }, ({ a, b }) => a!.matmul(b!), [/^matmul:/, /\[2,3\]/, /\[4,5\]/]],
    ['matmul rank', { a: spec([3]), b: spec([3, 2]) }, ({ a, b }) => a!.matmul(b!), [/^matmul:/, /rank >= 2/, /\[3\]/]],
    ['dtype mix', { a: spec([2], 'f32'), b: spec([2], 'f64') }, ({ a, b }) => a!.mul(b!), [/^mul:/, /f32/, /f64/, /cast/]],
    ['reshape count', { a: spec([2, 3]) }, ({ a }) => a!.reshape([4, 2]), [/^reshape:/, /\[2,3\]/, /\[4,2\]/, /6 elements/]],
    ['transpose perm', { a: spec([2, 3]) }, ({ a }) => a!.transpose([0, 0]), [/^transpose:/, /\[0,0\]/]],
    ['expand', { a: spec([3]) }, ({ a }) => a!.expand([2, 4]), [/^expand:/, /\[3\]/, /\[2,4\]/]],
    ['slice range', { a: spec([4]) }, ({ a }) => a!.builder.emit('slice', [a!], { starts: [3], ends: [2] }), [/^slice:/, /\[3, 2\)/, /\[4\]/]],
    ['concat off-axis', { a: spec([2, 3]), b: spec([3, 3]) }, ({ a, b }) => concat([a!, b!], 1), [/^concat:/, /\[2,3\]/, /\[3,3\]/]],
    ['where condition', { c: spec([2]), a: spec([2]) }, ({ c, a }) => where(c!, a!, a!), [/^where:/, /bool/, /f32/]],
    ['gather indices dtype', { a: spec([4]), i: spec([2]) }, ({ a, i }) => a!.gather(i!), [/^gather:/, /i32/, /f32/]],
    ['oneHot indices dtype', { i: spec([2]) }, ({ i }) => oneHot(i!, 3), [/^oneHot:/, /i32/]],
    ['log of an integer', { a: spec([2], 'i32') }, ({ a }) => a!.log(), [/^log:/, /float/, /i32/]],
    ['reduce axis range', { a: spec([2, 3]) }, ({ a }) => a!.builder.emit('sum', [a!], { axes: [2], keepDims: false }), [/^sum:/, /axis 2/, /rank 2/]],
    ['max over zero-size', { a: spec([2, 0]) }, ({ a }) => a!.max(-1), [/^reduceMax:/, /\[2,0\]/]],
    ['sortDesc of bool', { a: spec([2], 'bool') }, ({ a }) => a!.sortDesc(), [/^sortDesc:/, /bool/]],
    // f16 passed tracing once, then failed inside each backend.
    ['cast to an unsupported dtype', { a: spec([2]) }, ({ a }) => a!.cast('f16' as any), [/^cast:/, /unsupported dtype "f16"/, /f32, f64, i32, bool/]],
  ];
  it.each(cases)('%s', (_, inputs, fn, patterns) => {
    const e = shapeError(inputs, fn);
    for (const p of patterns) expect(e.message).toMatch(p);
  });

  it('broadcastShapes names the axis that disagrees', () => {
    expect(() => broadcastShapes('add', [2, 3, 4], [5, 4])).toThrow(/axis 1: 3 vs 5/);
    expect(broadcastShapes('add', [3, 1], [1, 4])).toEqual([3, 4]);
    expect(broadcastShapes('add', [], [2, 3])).toEqual([2, 3]);
  });

  it('unsupported dtypes of inputs and constants fail at trace time', () => {
    expect(() => trace({ x: spec([2], 'f16' as any) }, ({ x }) => ({ y: x! }))).toThrow(/input "x": unsupported dtype "f16"; the IR supports f32, f64, i32, bool/);
    expect(() => new GraphBuilder().constant(1, [], 'int64' as any)).toThrow(/const: unsupported dtype "int64"/);
  });

  it('replay rejects an input of the wrong shape, naming the input', () => {
    const g = trace({ x: spec([2, 3]) }, ({ x }) => ({ y: x!.exp() }));
    const b = new GraphBuilder();
    expect(() => replay(g, b, { x: b.input('z', [3, 2]) })).toThrow(/input "x" expects f32\[2,3\], got f32\[3,2\]/);
  });

  it('tensors cannot cross traces; duplicate and bad input names are refused', () => {
    const b1 = new GraphBuilder(), b2 = new GraphBuilder();
    const x = b1.input('x', [2]), y = b2.input('y', [2]);
    expect(() => x.add(y)).toThrow(/add: tensor from another trace/);
    expect(() => b1.input('x', [3])).toThrow(/duplicate input name "x"/);
    expect(() => b1.input('w', [2, -1])).toThrow(/non-negative integers/);
  });

  it('inferred shapes and dtypes follow numpy rules', () => {
    const g = trace({ a: spec([2, 1, 3]), b: spec([4, 1]), i: spec([5], 'i32') }, ({ a, b, i }) => ({
      s: a!.add(b!), c: a!.greater(b!), m: a!.matmul(a!.T), r: a!.sum([0, 2], true), o: oneHot(i!, 7, 'f64'), gth: b!.gather(i!.builder.constant([0, 3, 1], [3], 'i32'), 0),
    }));
    const shp = (n: string) => g.nodes[g.outputs.find((o) => o.name === n)!.id]!;
    expect(shp('s').shape).toEqual([2, 4, 3]);
    expect(shp('c').dtype).toBe('bool');
    expect(shp('m').shape).toEqual([2, 1, 1]);
    expect(shp('r').shape).toEqual([1, 1, 1]);
    expect([shp('o').shape, shp('o').dtype]).toEqual([[5, 7], 'f64']);
    expect(shp('gth').shape).toEqual([3, 1]);
  });
});
