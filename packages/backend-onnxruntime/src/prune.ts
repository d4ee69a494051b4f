import type { Graph, Node } from '@clt/core';

/**
 * The part of `graph` that the named outputs need (dead-code elimination), with every input kept
 * so feeds stay the same. Node ids are renumbered to positions, as the IR requires. ONNX Runtime
 * runs every node of a session, so a run that wants fewer outputs gets its own pruned session.
 */
export function pruneGraph(graph: Graph, outputs: readonly string[]): Graph {
  const outs = graph.outputs.filter((o) => outputs.includes(o.name));
  const live = new Uint8Array(graph.nodes.length);
  for (const id of graph.inputs) live[id] = 1;
  const stack = outs.map((o) => o.id);
  while (stack.length) {
    const id = stack.pop()!;
    if (live[id] && graph.nodes[id]!.op !== 'input') continue;
    live[id] = 1;
    for (const i of graph.nodes[id]!.inputs) if (!live[i]) stack.push(i);
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
