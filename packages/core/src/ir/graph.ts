import type { DType } from './dtype.js';
import type { OpAttrs, OpName } from './ops.js';

/** One node of a graph. Nodes are stored in topological order; `inputs` index earlier nodes. */
export interface Node<K extends OpName = OpName> {
  readonly id: number;
  readonly op: K;
  readonly inputs: readonly number[];
  readonly attrs: OpAttrs[K];
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** The static signature of a graph input or output: its shape and element type. */
export interface TensorSpec {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * A traced, immutable computation: nodes in topological order (ids are positions), named inputs
 * (nodes of op `input`) and named outputs. Built by `trace`, transformed by `vjp`/`jvp`/`optimize`,
 * run by a backend's `compile`.
 */
export interface Graph {
  readonly nodes: readonly Node[];
  /** Node ids of the inputs, in signature order. */
  readonly inputs: readonly number[];
  readonly outputs: readonly { readonly name: string; readonly id: number }[];
}

/** Number of elements of a shape: the product of its dimensions (1 for the scalar shape `[]`). */
export function size(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

/** The name of the graph input whose node id is `id`; `id` must be that of an `input` node (it is not checked). */
export function inputName(g: Graph, id: number): string {
  return (g.nodes[id] as Node<'input'>).attrs.name;
}

/** The input signature of a graph: name → shape and dtype. */
export function inputSpecs(g: Graph): Record<string, TensorSpec> {
  const out: Record<string, TensorSpec> = {};
  for (const id of g.inputs) {
    const n = g.nodes[id]!;
    out[inputName(g, id)] = { shape: n.shape, dtype: n.dtype };
  }
  return out;
}

/** The output signature of a graph: output name → shape and dtype. */
export function outputSpecs(g: Graph): Record<string, TensorSpec> {
  const out: Record<string, TensorSpec> = {};
  for (const o of g.outputs) out[o.name] = { shape: g.nodes[o.id]!.shape, dtype: g.nodes[o.id]!.dtype };
  return out;
}

/** Count of nodes by op, excluding leaves; what optimizations are measured by. */
export function opCount(g: Graph): number {
  return g.nodes.filter((n) => n.op !== 'input' && n.op !== 'const').length;
}

function fmtAttrs(n: Node): string {
  if (n.op === 'input') return `"${(n.attrs as OpAttrs['input']).name}"`;
  if (n.op === 'const') {
    const v = (n.attrs as OpAttrs['const']).value;
    return v.length <= 4 ? `[${Array.from(v).join(', ')}]` : `[${v.length} values]`;
  }
  const entries = Object.entries(n.attrs as object);
  return entries.length ? entries.map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`).join(' ') : '';
}

/** Human-readable listing, one node per line: `%7 f32[4,3] = matmul %2 %5`. For debugging. */
export function printGraph(g: Graph): string {
  const lines: string[] = [];
  const outNames = new Map<number, string[]>();
  for (const o of g.outputs) outNames.set(o.id, [...(outNames.get(o.id) ?? []), o.name]);
  for (const n of g.nodes) {
    const args = n.inputs.map((i) => `%${i}`).join(' ');
    const tail = outNames.has(n.id) ? `   -> ${outNames.get(n.id)!.join(', ')}` : '';
    lines.push(`%${n.id} ${n.dtype}[${n.shape.join(',')}] = ${n.op}${args ? ' ' + args : ''}${fmtAttrs(n) ? ' ' + fmtAttrs(n) : ''}${tail}`);
  }
  return lines.join('\n');
}

/**
 * A structural hash of a graph (ops, attrs, shapes, wiring, names); equal graphs hash equal.
 * Backends key their compiled-executable caches by it.
 */
export function graphKey(g: Graph): string {
  let h1 = 0x811c9dc5 | 0, h2 = 0x01000193 | 0;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
    }
  };
  for (const n of g.nodes) {
    mix(n.op); mix(n.dtype); mix(n.shape.join(',')); mix(n.inputs.join(','));
    if (n.op === 'const') mix(Array.from((n.attrs as OpAttrs['const']).value).join(','));
    else mix(JSON.stringify(n.attrs));
  }
  mix(g.inputs.join(','));
  for (const o of g.outputs) { mix(o.name); mix(String(o.id)); }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0') + '-' + g.nodes.length;
}

/**
 * The part of `graph` that the named outputs need (dead-code elimination), with every input kept
 * so feeds stay the same, renumbered in topological order. Backends that run every node of what
 * they compile (ONNX Runtime sessions) use it to serve `run({ outputs })` without waste.
 */
export function selectOutputs(graph: Graph, outputs: readonly string[]): Graph {
  const outs = graph.outputs.filter((o) => outputs.includes(o.name));
  const live = new Uint8Array(graph.nodes.length);
  const stack = [...graph.inputs, ...outs.map((o) => o.id)];
  while (stack.length) {
    const id = stack.pop()!;
    if (live[id]) continue;
    live[id] = 1;
    for (const i of graph.nodes[id]!.inputs) stack.push(i);
  }
  const remap = new Int32Array(graph.nodes.length).fill(-1);
  const nodes: Node[] = [];
  for (const n of graph.nodes) {
    if (!live[n.id]) continue;
    remap[n.id] = nodes.length;
    nodes.push({ ...n, id: nodes.length, inputs: n.inputs.map((i) => remap[i]!) });
  }
  return { nodes, inputs: graph.inputs.map((i) => remap[i]!), outputs: outs.map((o) => ({ name: o.name, id: remap[o.id]! })) };
}
