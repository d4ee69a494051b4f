import { isFloat, type DType, type TypedArray } from './dtype.js';
import type { Graph, Node, TensorSpec } from './graph.js';
import { selectOutputs, size } from './graph.js';
import type { OpAttrs, OpName } from './ops.js';
import { ShapeError, checkDType, inferNode } from './shape.js';
import { Tensor } from './tensor.js';
import { evalNode } from '../reference/kernels.js';

/** Options of a {@link GraphBuilder}. */
export interface BuilderOptions {
  /**
   * Common-subexpression elimination (hash-consing), constant folding and algebraic identities,
   * applied as nodes are added. On by default; off only to measure what they save.
   */
  optimize?: boolean;
}

/** Largest constant (elements) that folding may create; bigger results stay as computations. */
const FOLD_LIMIT = 4096;

/**
 * Records primitive ops into a graph. Every op goes through `emit`, which infers shape and dtype
 * (throwing a ShapeError that names the op), deduplicates structurally equal nodes, folds constants
 * and applies identities such as x·1 = x. `build` keeps only what the outputs need (DCE).
 */
export class GraphBuilder {
  readonly nodes: Node[] = [];
  private readonly inputIds: number[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly inputNames = new Set<string>();
  readonly optimize: boolean;

  constructor(options: BuilderOptions = {}) {
    this.optimize = options.optimize ?? true;
  }

  /** A named graph input. */
  input(name: string, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    if (this.inputNames.has(name)) throw new Error(`trace: duplicate input name "${name}"`);
    checkShape('input', shape);
    checkDType(`input "${name}"`, dtype);
    this.inputNames.add(name);
    const id = this.push('input', [], { name }, [...shape], dtype);
    this.inputIds.push(id);
    return new Tensor(this, id);
  }

  /** A constant tensor; a number or a flat array in row-major order. */
  constant(values: number | ArrayLike<number>, shape: readonly number[] = [], dtype: DType = 'f32'): Tensor {
    checkShape('const', shape);
    checkDType('const', dtype);
    const n = size(shape);
    const v = new Float64Array(n);
    if (typeof values === 'number') v.fill(values);
    else {
      if (values.length !== n) throw new ShapeError('const', `${values.length} values for shape [${shape.join(',')}]`);
      v.set(values);
    }
    if (dtype === 'i32') for (let i = 0; i < n; i++) v[i] = Math.trunc(v[i]!);
    if (dtype === 'bool') for (let i = 0; i < n; i++) v[i] = v[i] ? 1 : 0;
    if (dtype === 'f32') for (let i = 0; i < n; i++) v[i] = Math.fround(v[i]!);
    return this.node('const', [], { value: v }, [...shape], dtype);
  }

  /** A scalar constant broadcast to `shape` without storing `size(shape)` values. */
  fill(value: number, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    const s = this.constant(value, [], dtype);
    return shape.length === 0 ? s : this.emit('expand', [s], { shape: [...shape] });
  }

  /**
   * An anonymous input that must not survive into the built graph (the dummy cotangent of a
   * VJP-of-VJP). `build` throws if an output still depends on it.
   */
  placeholder(shape: readonly number[], dtype: DType): Tensor {
    const id = this.push('input', [], { name: `__placeholder${this.nodes.length}` }, [...shape], dtype);
    return new Tensor(this, id);
  }

  tensor(id: number): Tensor {
    return new Tensor(this, id);
  }

  /** Add a primitive op. All tracing funnels through here. */
  emit<K extends Exclude<OpName, 'input' | 'const'>>(op: K, inputs: Tensor[], attrs: OpAttrs[K]): Tensor {
    for (const t of inputs) if (t.builder !== this) throw new Error(`${op}: tensor from another trace (tensors cannot cross trace boundaries)`);
    const ins = inputs.map((t) => this.nodes[t.id]!);
    const { shape, dtype } = inferNode(op, attrs, ins);
    if (this.optimize) {
      const simple = this.simplify(op, ins, attrs, shape, dtype);
      if (simple !== undefined) return simple;
      if (ins.length > 0 && ins.every((n) => n.op === 'const') && size(shape) <= FOLD_LIMIT) {
        const probe: Node = { id: -1, op, inputs: [], attrs, shape, dtype };
        const value = evalNode(probe, ins.map(constData), ins.map((n) => n.shape));
        return this.node('const', [], { value: Float64Array.from(value as ArrayLike<number>) }, shape, dtype);
      }
    }
    return this.node(op, inputs.map((t) => t.id), attrs, shape, dtype);
  }

  /** Keep the nodes the outputs need, renumbered in topological order. Inputs all stay. */
  build(outputs: Record<string, Tensor>): Graph {
    for (const [name, t] of Object.entries(outputs))
      if (!(t instanceof Tensor) || t.builder !== this) throw new Error(`trace: output "${name}" is not a tensor of this trace`);
    const all: Graph = { nodes: this.nodes, inputs: this.inputIds, outputs: Object.entries(outputs).map(([name, t]) => ({ name, id: t.id })) };
    const g = selectOutputs(all, Object.keys(outputs));
    // A live placeholder shows up as an `input` node that is not one of the declared inputs.
    if (g.nodes.some((n) => n.op === 'input' && !g.inputs.includes(n.id)))
      throw new Error('trace: an output depends on an internal placeholder (a JVP that is not linear in its tangent?)');
    return g;
  }


  private node(op: OpName, inputs: number[], attrs: object, shape: number[], dtype: DType): Tensor {
    if (this.optimize) {
      const key = nodeKey(op, inputs, attrs, shape, dtype);
      const hit = this.byKey.get(key);
      if (hit !== undefined) return new Tensor(this, hit);
      const id = this.push(op, inputs, attrs, shape, dtype);
      this.byKey.set(key, id);
      return new Tensor(this, id);
    }
    return new Tensor(this, this.push(op, inputs, attrs, shape, dtype));
  }

  private push(op: OpName, inputs: number[], attrs: object, shape: number[], dtype: DType): number {
    const id = this.nodes.length;
    this.nodes.push({ id, op, inputs, attrs: attrs as any, shape, dtype });
    return id;
  }

  /** Algebraic identities that are exact in IEEE arithmetic (x+0, x·1, x/1, neg∘neg, no-op moves). */
  private simplify(op: OpName, ins: Node[], attrs: any, shape: number[], dtype: DType): Tensor | undefined {
    const x = ins[0];
    const sameShape = (n: Node) => n.shape.length === shape.length && n.shape.every((d, i) => d === shape[i]);
    const t = (n: Node) => new Tensor(this, n.id);
    const isConst = (n: Node | undefined, v: number) => n !== undefined && constValue(this, n) === v;
    switch (op) {
      case 'add': if (isConst(ins[1], 0) && sameShape(x!)) return t(x!); if (isConst(x, 0) && sameShape(ins[1]!)) return t(ins[1]!); break;
      case 'sub': if (isConst(ins[1], 0) && sameShape(x!)) return t(x!); break;
      case 'mul': if (isConst(ins[1], 1) && sameShape(x!)) return t(x!); if (isConst(x, 1) && sameShape(ins[1]!)) return t(ins[1]!); break;
      case 'div': if (isConst(ins[1], 1) && sameShape(x!)) return t(x!); break;
      case 'neg': if (x!.op === 'neg') return t(this.nodes[x!.inputs[0]!]!); break;
      case 'cast': if (x!.dtype === dtype) return t(x!); break;
      case 'stopGradient': if (x!.op === 'const' || x!.op === 'stopGradient' || !isFloat(dtype)) return t(x!); break;
      case 'reshape':
        if (sameShape(x!)) return t(x!);
        if (x!.op === 'reshape') return this.emit('reshape', [t(this.nodes[x!.inputs[0]!]!)], attrs);
        break;
      case 'expand': if (sameShape(x!)) return t(x!); break;
      case 'slice': if (sameShape(x!)) return t(x!); break;
      case 'concat': if (ins.length === 1) return t(x!); break;
      case 'transpose': {
        const perm: number[] = attrs.perm;
        if (perm.every((p, i) => p === i)) return t(x!);
        if (x!.op === 'transpose') {
          const inner: number[] = (x!.attrs as OpAttrs['transpose']).perm;
          return this.emit('transpose', [t(this.nodes[x!.inputs[0]!]!)], { perm: perm.map((p) => inner[p]!) });
        }
        break;
      }
      case 'sum': case 'reduceMax': {
        const axes: number[] = attrs.axes;
        if (axes.length === 0) return t(x!);
        const r = x!.shape.length;
        if (axes.every((a) => x!.shape[a < 0 ? a + r : a] === 1)) return this.emit('reshape', [t(x!)], { shape });
        break;
      }
    }
    return undefined;
  }
}

function checkShape(op: string, shape: readonly number[]) {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new ShapeError(op, `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
}

function constData(n: Node): TypedArray {
  return (n.attrs as OpAttrs['const']).value;
}

/** The single value of a constant (or an expanded scalar constant), else undefined. */
function constValue(b: GraphBuilder, n: Node): number | undefined {
  if (n.op === 'expand') n = b.nodes[n.inputs[0]!]!;
  if (n.op !== 'const') return undefined;
  const v = (n.attrs as OpAttrs['const']).value;
  if (v.length === 0) return undefined;
  const f = v[0]!;
  for (let i = 1; i < v.length; i++) if (v[i] !== f) return undefined;
  return f;
}

function nodeKey(op: OpName, inputs: number[], attrs: object, shape: number[], dtype: DType): string {
  const a = op === 'const' ? Array.from((attrs as OpAttrs['const']).value).join(',') : JSON.stringify(attrs);
  return `${op}|${inputs.join(',')}|${a}|${shape.join(',')}|${dtype}`;
}

/** A (shape, dtype) pair, for declaring trace inputs: `spec([128, 784])`. */
export function spec(shape: readonly number[], dtype: DType = 'f32'): TensorSpec {
  return { shape, dtype };
}

/**
 * Trace a function of symbolic tensors into a graph. `inputs` fixes the names, shapes and dtypes;
 * `fn` returns the named outputs.
 *
 * @example
 * const g = trace({ x: spec([4, 3]), w: spec([3, 2]) }, ({ x, w }) => ({ y: x.matmul(w).relu() }));
 */
export function trace<I extends Record<string, TensorSpec>>(
  inputs: I,
  fn: (xs: { [K in keyof I]: Tensor }, b: GraphBuilder) => Record<string, Tensor>,
  options: BuilderOptions = {},
): Graph {
  const b = new GraphBuilder(options);
  const xs = {} as { [K in keyof I]: Tensor };
  for (const [name, s] of Object.entries(inputs)) (xs as any)[name] = b.input(name, s.shape, s.dtype);
  return b.build(fn(xs, b));
}

/** Inline `graph` into builder `b`, feeding its inputs from `xs` by name; returns its outputs by name. */
export function replay(graph: Graph, b: GraphBuilder, xs: Record<string, Tensor>): Record<string, Tensor> {
  const vals: Tensor[] = new Array(graph.nodes.length);
  for (const n of graph.nodes) {
    if (n.op === 'input') {
      const name = (n.attrs as OpAttrs['input']).name, t = xs[name];
      if (!t) throw new Error(`replay: no value for graph input "${name}"`);
      if (t.shape.join(',') !== n.shape.join(',') || t.dtype !== n.dtype)
        throw new ShapeError('replay', `input "${name}" expects ${n.dtype}[${n.shape.join(',')}], got ${t.dtype}[${t.shape.join(',')}]`);
      vals[n.id] = t;
    } else if (n.op === 'const') vals[n.id] = b.constant((n.attrs as OpAttrs['const']).value, n.shape, n.dtype);
    else vals[n.id] = b.emit(n.op as any, n.inputs.map((i) => vals[i]!), n.attrs as any);
  }
  const out: Record<string, Tensor> = {};
  for (const o of graph.outputs) out[o.name] = vals[o.id]!;
  return out;
}

/** Re-trace a graph with CSE, constant folding, identities and DCE. */
export function optimize(graph: Graph): Graph {
  const b = new GraphBuilder({ optimize: true });
  const xs: Record<string, Tensor> = {};
  for (const id of graph.inputs) {
    const n = graph.nodes[id]!;
    xs[(n.attrs as OpAttrs['input']).name] = b.input((n.attrs as OpAttrs['input']).name, n.shape, n.dtype);
  }
  return b.build(replay(graph, b, xs));
}
