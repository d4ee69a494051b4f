import { inputName, type DType, type Graph, type OpName } from '@clt/core';
import { planGemms, type GemmPlan } from './fuse-gemm.js';
import { LOWERINGS, type LowerContext, type Lowering } from './lower-table.js';
import { planReluMasks } from './relu-mask.js';
import { encodeModel, OnnxType, rawBytes, type OnnxInitializer, type OnnxModel, type OnnxNode, type OnnxTypeCode } from './onnx-proto.js';

/**
 * ai.onnx opset of every lowered model. 18 is the newest opset at which every op the table emits
 * has a kernel on ONNX Runtime's CPU and WebGPU providers (WebGPU registers Transpose only up to
 * 20, ReduceMax with axes-as-input from 18); IR version 8 is the one that goes with opset 18.
 */
export const OPSET = 18;
/** ONNX IR version of every lowered model: 8, the one that goes with opset {@link OPSET} 18. */
export const IR_VERSION = 8;

/** How {@link lowerGraph} lowers a graph: f64 computed as f32, the Gemm fusion and the two ReLU-mask rewrites (each on by default), and the model's doc string and graph name. */
export interface LowerOptions {
  /** Compute f64 as f32 (targets without double kernels, e.g. WebGPU). Default false. */
  readonly f64AsF32?: boolean;
  /** Fuse 2-D matmuls with adjacent transposes, bias adds and scaled updates into Gemm (fuse-gemm.ts). Default true. */
  readonly fuseGemm?: boolean;
  /** Compare ReLU masks `h > 0` on `relu(h)` instead of `h` (exact; lets ONNX Runtime fuse Gemm+Relu; relu-mask.ts). Default true. */
  readonly reluMaskFromOutput?: boolean;
  /** Lower the ReLU derivative `where(mask, g, 0)` as `Mul(g, Cast(mask))` (same values for finite g; relu-mask.ts). Default true. */
  readonly reluSelectAsMul?: boolean;
  /** Model doc string (e.g. where the graph came from). */
  readonly docString?: string;
  readonly graphName?: string;
}

/** A graph lowered by {@link lowerGraph}: the ONNX model, its encoded `ModelProto` bytes, and the ONNX value name of each IR input and output. */
export interface LoweredGraph {
  readonly model: OnnxModel;
  readonly bytes: Uint8Array;
  /** ONNX input/output value name of each IR input/output name (they differ only on collisions). */
  readonly inputNames: Readonly<Record<string, string>>;
  readonly outputNames: Readonly<Record<string, string>>;
}

const TYPE: Record<DType, OnnxTypeCode> = { f32: OnnxType.FLOAT, f64: OnnxType.DOUBLE, i32: OnnxType.INT32, bool: OnnxType.BOOL };

/** Typed storage of a const node's float64 values in the element type it is computed in. */
function constData(type: OnnxTypeCode, v: Float64Array): Float32Array | Float64Array | Int32Array | Uint8Array {
  switch (type) {
    case OnnxType.FLOAT: return Float32Array.from(v);
    case OnnxType.DOUBLE: return v;
    case OnnxType.INT32: return Int32Array.from(v);
    case OnnxType.BOOL: return Uint8Array.from(v, (x) => (x ? 1 : 0));
    default: throw new Error(`lower: no constant storage for ONNX type ${type}`);
  }
}

/**
 * Compile an IR graph to an ONNX model (nodes in the IR's topological order, constants as
 * initializers, static shapes on every input and output). Graph inputs keep their IR names and
 * outputs are named after the IR outputs, so the exported file is readable in other tools.
 */
export function lowerGraph(graph: Graph, options: LowerOptions = {}): LoweredGraph {
  const type = (d: DType) => (options.f64AsF32 && d === 'f64' ? OnnxType.FLOAT : TYPE[d]);
  const nodes: OnnxNode[] = [];
  const inits: OnnxInitializer[] = [];
  const i64Cache = new Map<string, string>();
  const used = new Set<string>();
  let tmp = 0;
  const fresh = (hint: string) => {
    let name = `%${hint}`;
    while (used.has(name)) name = `%${hint}_${tmp++}`;
    used.add(name);
    return name;
  };

  // Names first: inputs keep theirs; the first output naming a computed node names its value.
  const valueName = new Map<number, string>();
  const inputNames: Record<string, string> = {};
  for (const id of graph.inputs) {
    const name = inputName(graph, id);
    if (name.startsWith('%')) throw new Error(`lower: input name "${name}" may not start with "%" (reserved for internal values)`);
    used.add(name); valueName.set(id, name); inputNames[name] = name;
  }
  const outputNames: Record<string, string> = {};
  const aliases: { from: number; to: string }[] = [];
  for (const o of graph.outputs) {
    if (o.name.startsWith('%')) throw new Error(`lower: output name "${o.name}" may not start with "%"`);
    const onnx = used.has(o.name) ? fresh(`${o.name}:out`) : (used.add(o.name), o.name);
    outputNames[o.name] = onnx;
    const n = graph.nodes[o.id]!;
    if (n.op === 'input' || n.op === 'const' || valueName.has(o.id)) aliases.push({ from: o.id, to: onnx });
    else valueName.set(o.id, onnx);
  }

  const cx: LowerContext = {
    type,
    emit(opType, inputs, attrs, outputs = 1, name) {
      const outs = Array.from({ length: outputs }, (_, i) => (i === 0 && name ? name : fresh(`${opType}${i ? `:${i}` : ''}`)));
      nodes.push({ opType, inputs, outputs: outs, ...(attrs ? { attrs } : {}) });
      return outs;
    },
    i64(values, scalar = false) {
      const key = `${scalar ? 's' : 'v'}${values.join(',')}`;
      let name = i64Cache.get(key);
      if (!name) {
        name = fresh(`i64[${values.join(',')}]`);
        inits.push({ name, type: OnnxType.INT64, dims: scalar ? [] : [values.length], raw: rawBytes(BigInt64Array.from(values, (v) => BigInt(v))) });
        i64Cache.set(key, name);
      }
      return name;
    },
    scalar(value, d) {
      const name = fresh('c');
      inits.push({ name, type: type(d), dims: [], raw: rawBytes(constData(type(d), Float64Array.of(value))) });
      return name;
    },
    constant(n) {
      const name = n.id >= 0 ? cx.out(n) : fresh('c');
      inits.push({ name, type: type(n.dtype), dims: n.shape, raw: rawBytes(constData(type(n.dtype), n.attrs.value)) });
      return name;
    },
    out(n) {
      let name = valueName.get(n.id);
      if (!name) { name = fresh(String(n.id)); valueName.set(n.id, name); }
      return name;
    },
  };

  const names: string[] = new Array(graph.nodes.length);
  const fusion = options.fuseGemm === false ? undefined : planGemms(graph);
  const relu = planReluMasks(graph);
  const maskFloat = new Map<number, string>();
  for (const n of graph.nodes) {
    if (fusion?.skip.has(n.id)) continue;
    const plan = fusion?.gemms.get(n.id);
    if (plan) { names[n.id] = emitGemm(cx, plan, names, graph); continue; }
    const ins = n.inputs.map((i) => names[i]!);
    const from = options.reluMaskFromOutput === false ? undefined : relu.maskFrom.get(n.id);
    if (from !== undefined) ins[0] = names[from]!;
    if (options.reluSelectAsMul !== false && relu.selectAsMul.has(n.id)) {
      const [c, g] = n.inputs as [number, number];
      let m = maskFloat.get(c);
      if (!m) { m = cx.emit('Cast', [names[c]!], { to: { kind: 'int', value: type(graph.nodes[g]!.dtype) } })[0]!; maskFloat.set(c, m); }
      names[n.id] = cx.emit('Mul', [names[g]!, m], undefined, 1, cx.out(n))[0]!;
      continue;
    }
    const rule = LOWERINGS[n.op] as Lowering<OpName>;
    names[n.id] = rule(cx, n, ins, n.inputs.map((i) => graph.nodes[i]!));
  }
  for (const a of aliases) nodes.push({ opType: 'Identity', inputs: [names[a.from]!], outputs: [a.to] });

  const info = (id: number, name: string) => ({ name, type: type(graph.nodes[id]!.dtype), dims: graph.nodes[id]!.shape });
  const model: OnnxModel = {
    irVersion: IR_VERSION,
    opset: OPSET,
    producerName: 'clt',
    producerVersion: '0',
    graphName: options.graphName ?? 'clt',
    nodes,
    initializers: inits,
    inputs: graph.inputs.map((id) => info(id, names[id]!)),
    outputs: graph.outputs.map((o) => info(o.id, outputNames[o.name]!)),
    ...(options.docString ? { docString: options.docString } : {}),
  };
  return { model, bytes: encodeModel(model), inputNames, outputNames };
}


function emitGemm(cx: LowerContext, p: GemmPlan, names: readonly string[], graph: Graph): string {
  let a = names[p.a]!, b = names[p.b]!;
  if (p.scale !== undefined) {
    // Scale the smaller operand: a batch-sized δ instead of a weight-sized product.
    const sa = graph.nodes[p.a]!.shape, sb = graph.nodes[p.b]!.shape;
    if (sa[0]! * sa[1]! <= sb[0]! * sb[1]!) a = cx.emit('Mul', [a, names[p.scale]!])[0]!;
    else b = cx.emit('Mul', [b, names[p.scale]!])[0]!;
  }
  const ins = p.c !== undefined ? [a, b, names[p.c]!] : [a, b];
  const attrs = { transA: { kind: 'int', value: p.transA ? 1 : 0 }, transB: { kind: 'int', value: p.transB ? 1 : 0 }, alpha: { kind: 'float', value: p.alpha } } as const;
  return cx.emit('Gemm', ins, attrs, 1, cx.out(graph.nodes[p.root]!))[0]!;
}
