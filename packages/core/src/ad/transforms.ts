import { GraphBuilder, replay } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { inputName } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { gradients, jvp as jvpT } from './gradients.js';

/**
 * Graph-to-graph transformations. Each returns a new graph whose inputs are the original inputs
 * plus the extra vectors, and whose outputs are the original outputs plus the derivatives, named
 * `<prefix>_<name>`. Results are graphs, so they compose: `vjp(jvp(g))`, `hvp` = grad of grad.
 */

function open(graph: Graph, extra: (b: GraphBuilder, xs: Record<string, Tensor>, ys: Record<string, Tensor>) => Record<string, Tensor>): Graph {
  const b = new GraphBuilder();
  const xs: Record<string, Tensor> = {};
  for (const id of graph.inputs) xs[inputName(graph, id)] = b.input(inputName(graph, id), graph.nodes[id]!.shape, graph.nodes[id]!.dtype);
  const ys = replay(graph, b, xs);
  return b.build({ ...ys, ...extra(b, xs, ys) });
}

function pick(graph: Graph, names: readonly string[] | undefined, kind: 'input' | 'output'): string[] {
  const all = kind === 'input' ? graph.inputs.map((id) => inputName(graph, id)) : graph.outputs.map((o) => o.name);
  const chosen = names ? [...names] : all;
  for (const n of chosen) if (!all.includes(n)) throw new Error(`no ${kind} named "${n}" (have: ${all.join(', ')})`);
  return chosen;
}

/** What {@link vjp} and {@link jvp} differentiate: the inputs `wrt` (default every float input) and the outputs `of` (default every output). */
export interface DiffOptions {
  /** Inputs to differentiate with respect to (default: all float inputs). */
  wrt?: readonly string[];
  /** Outputs to differentiate (default: all). */
  of?: readonly string[];
}

const floatInputs = (g: Graph) => g.inputs.filter((id) => g.nodes[id]!.dtype === 'f32' || g.nodes[id]!.dtype === 'f64').map((id) => inputName(g, id));

/** Reverse mode: adds inputs `ct_<out>` and outputs `grad_<in>` = Σ ct·∂out/∂in. */
export function vjp(graph: Graph, options: DiffOptions = {}): Graph {
  const wrt = options.wrt ? pick(graph, options.wrt, 'input') : floatInputs(graph);
  const of = pick(graph, options.of, 'output');
  return open(graph, (b, xs, ys) => {
    const cts = of.map((o) => b.input(`ct_${o}`, ys[o]!.shape, ys[o]!.dtype));
    const gs = gradients(of.map((o) => ys[o]!), wrt.map((w) => xs[w]!), cts);
    return Object.fromEntries(wrt.map((w, i) => [`grad_${w}`, gs[i]!]));
  });
}

/** Gradient of a scalar output `of` (default: the only output): adds outputs `grad_<in>`. */
export function grad(graph: Graph, options: { of?: string; wrt?: readonly string[] } = {}): Graph {
  const of = options.of ?? (graph.outputs.length === 1 ? graph.outputs[0]!.name : undefined);
  if (!of) throw new Error(`grad: graph has ${graph.outputs.length} outputs; say which one with { of }`);
  const wrt = options.wrt ? pick(graph, options.wrt, 'input') : floatInputs(graph);
  pick(graph, [of], 'output');
  return open(graph, (b, xs, ys) => {
    const y = ys[of]!;
    if (y.size !== 1) throw new Error(`grad: output "${of}" has shape [${y.shape}], not a scalar; use vjp`);
    const gs = gradients([y], wrt.map((w) => xs[w]!), [b.fill(1, y.shape, y.dtype)]);
    return Object.fromEntries(wrt.map((w, i) => [`grad_${w}`, gs[i]!]));
  });
}

/** Forward mode: adds inputs `tan_<in>` and outputs `jvp_<out>` = Σ ∂out/∂in · tan. */
export function jvp(graph: Graph, options: DiffOptions = {}): Graph {
  const wrt = options.wrt ? pick(graph, options.wrt, 'input') : floatInputs(graph);
  const of = pick(graph, options.of, 'output');
  return open(graph, (b, xs, ys) => {
    const tans = wrt.map((w) => b.input(`tan_${w}`, xs[w]!.shape, xs[w]!.dtype));
    const out = jvpT(of.map((o) => ys[o]!), wrt.map((w) => xs[w]!), tans);
    return Object.fromEntries(of.map((o, i) => [`jvp_${o}`, out[i]!]));
  });
}

/**
 * Hessian–vector product of a scalar output: adds inputs `vec_<in>` and outputs `grad_<in>` and
 * `hvp_<in>` = Σ_j ∂²y/∂in∂in_j · vec_j.
 */
export function hvp(graph: Graph, options: { of?: string; wrt?: readonly string[] } = {}): Graph {
  const of = options.of ?? (graph.outputs.length === 1 ? graph.outputs[0]!.name : undefined);
  if (!of) throw new Error(`hvp: graph has ${graph.outputs.length} outputs; say which one with { of }`);
  const wrt = options.wrt ? pick(graph, options.wrt, 'input') : floatInputs(graph);
  return open(graph, (b, xs, ys) => {
    const y = ys[of]!;
    if (y.size !== 1) throw new Error(`hvp: output "${of}" is not a scalar`);
    const vecs = wrt.map((w) => b.input(`vec_${w}`, xs[w]!.shape, xs[w]!.dtype));
    const gs = gradients([y], wrt.map((w) => xs[w]!), [b.fill(1, y.shape, y.dtype)]);
    const hv = gradients(gs, wrt.map((w) => xs[w]!), vecs);
    return Object.fromEntries([...wrt.map((w, i) => [`grad_${w}`, gs[i]!]), ...wrt.map((w, i) => [`hvp_${w}`, hv[i]!])]);
  });
}
