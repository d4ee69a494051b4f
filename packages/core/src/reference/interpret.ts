import { toTyped, type TypedArray } from '../ir/dtype.js';
import type { Graph } from '../ir/graph.js';
import { inputName, size } from '../ir/graph.js';
import type { OpAttrs } from '../ir/ops.js';
import { ShapeError } from '../ir/shape.js';
import { evalNode } from './kernels.js';

/**
 * Evaluate a graph on the host in float64: the living definition of the IR's semantics and the
 * oracle for every backend. Inputs may be any typed array or plain number array; floats come back
 * as Float64Array, i32 as Int32Array, bool as Uint8Array.
 */
export function interpret(graph: Graph, inputs: Record<string, ArrayLike<number>>): Record<string, TypedArray> {
  const vals: TypedArray[] = new Array(graph.nodes.length);
  for (const id of graph.inputs) {
    const n = graph.nodes[id]!, name = inputName(graph, id), v = inputs[name];
    if (v === undefined) throw new Error(`interpret: missing input "${name}" (${n.dtype}[${n.shape.join(',')}])`);
    if (v.length !== size(n.shape)) throw new ShapeError('interpret', `input "${name}" has ${v.length} values, expected ${size(n.shape)} for [${n.shape.join(',')}]`);
    vals[id] = n.dtype === 'f32' || n.dtype === 'f64' ? Float64Array.from(v) : toTyped(n.dtype, v);
  }
  // Free intermediates once their last consumer ran, so large graphs fit in memory.
  const lastUse = new Int32Array(graph.nodes.length).fill(-1);
  for (const n of graph.nodes) for (const i of n.inputs) lastUse[i] = n.id;
  const keep = new Set(graph.outputs.map((o) => o.id));
  for (const n of graph.nodes) {
    if (n.op === 'input') continue;
    if (n.op === 'const') { vals[n.id] = constArray(n.dtype, (n.attrs as OpAttrs['const']).value); continue; }
    vals[n.id] = evalNode(n, n.inputs.map((i) => vals[i]!), n.inputs.map((i) => graph.nodes[i]!.shape));
    for (const i of n.inputs) if (lastUse[i] === n.id && !keep.has(i)) (vals as any)[i] = undefined;
  }
  const out: Record<string, TypedArray> = {};
  for (const o of graph.outputs) out[o.name] = vals[o.id]!;
  return out;
}

function constArray(d: string, v: Float64Array): TypedArray {
  return d === 'f32' || d === 'f64' ? v : toTyped(d as any, v);
}
