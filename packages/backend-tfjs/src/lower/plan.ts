import { inputName, type Graph, type Node, type OpName } from '@clt/core';
import * as tf from '@tensorflow/tfjs-core';
import { constTensor, TF_LOWERINGS, zerosOf, type TfjsPlatform, type TfLowerContext, type TfLowering } from './lower-table.js';

/** One step of a plan: the rule of a node, its operand slots, and the slots it is the last reader of. */
interface Step {
  readonly node: Node;
  readonly rule: TfLowering<OpName>;
  readonly args: readonly number[];
  readonly inNodes: readonly Node[];
  /** Intermediate slots whose last reader is this step (freed right after it). */
  readonly free: readonly number[];
  /** The result has no elements. */
  readonly empty: boolean;
}

/**
 * A graph lowered once to a flat list of tfjs calls: slots per node, the rule to call, and when
 * each intermediate can be freed. Built by `compile`, executed by every `run`, so no lookup,
 * liveness analysis or constant upload happens per step. Constants are uploaded here once and
 * live until `dispose`.
 */
export class TfPlan {
  readonly steps: readonly Step[];
  /** Slot of each graph input, by name. */
  readonly inputSlots: ReadonlyMap<string, number>;
  private readonly consts = new Map<number, tf.Tensor>();
  private disposed = false;

  constructor(readonly graph: Graph, readonly cx: TfLowerContext) {
    const outputIds = new Set(graph.outputs.map((o) => o.id));
    const fused = fuseTransposes(graph, outputIds, cx.platform);
    // Operands per node after fusion; nodes absorbed into a fused matmul are not run at all.
    const argsOf = (n: Node) => fused.args.get(n.id) ?? n.inputs;
    const lastUse = new Int32Array(graph.nodes.length).fill(-1);
    for (const n of graph.nodes) if (!fused.dead.has(n.id)) for (const i of argsOf(n)) lastUse[i] = n.id;
    const isLeaf = (id: number) => graph.nodes[id]!.op === 'input' || graph.nodes[id]!.op === 'const';
    const freeAt = new Map<number, number[]>();
    for (let id = 0; id < graph.nodes.length; id++) {
      // Outputs and leaves are never freed mid-run: outputs leave the run, leaves are owned elsewhere.
      if (lastUse[id]! >= 0 && !outputIds.has(id) && !isLeaf(id)) freeAt.set(lastUse[id]!, [...(freeAt.get(lastUse[id]!) ?? []), id]);
    }
    const slots = new Map<string, number>();
    for (const id of graph.inputs) slots.set(inputName(graph, id), id);
    this.inputSlots = slots;
    const steps: Step[] = [];
    try {
      for (const n of graph.nodes) {
        if (n.op === 'input' || fused.dead.has(n.id)) continue;
        if (n.op === 'const') { this.consts.set(n.id, tf.keep(constTensor(n as Node<'const'>))); continue; }
        const args = argsOf(n);
        steps.push({
          node: n, rule: fused.rules.get(n.id) ?? (TF_LOWERINGS[n.op] as TfLowering<OpName>), args,
          inNodes: args.map((i) => graph.nodes[i]!), free: freeAt.get(n.id) ?? [], empty: n.shape.includes(0),
        });
      }
    } catch (err) {
      this.dispose();
      throw err;
    }
    this.steps = steps;
  }

  get platform(): TfjsPlatform { return this.cx.platform; }

  /** Tensors held by the plan (constants), for leak accounting. */
  get heldTensors(): number { return this.consts.size; }

  /**
   * Execute the plan on bound inputs (tensors the caller owns; they are never disposed here).
   * Must be called with the plan's tfjs backend active. Runs inside `tf.tidy`: every tensor made
   * during the run that is not returned is freed, even if a rule throws. Returned tensors are new
   * (an output that is an input or a constant is cloned, as is a node named twice), so the caller
   * owns and disposes each exactly once.
   */
  execute(inputs: ReadonlyMap<number, tf.Tensor>, want: readonly { readonly name: string; readonly id: number }[]): tf.Tensor[] {
    if (this.disposed) throw new Error('tfjs plan used after dispose()');
    return tf.tidy(() => {
      const vals: (tf.Tensor | undefined)[] = new Array(this.graph.nodes.length);
      for (const [id, t] of inputs) vals[id] = t;
      for (const [id, t] of this.consts) vals[id] = t;
      const needed = this.neededNodes(want);
      for (const s of this.steps) {
        if (needed && !needed[s.node.id]) continue;
        const ins = s.args.map((i) => vals[i]!);
        // Empty results skip the kernel: tfjs-webgpu cannot create zero-size buffers.
        let out = s.empty ? zerosOf(s.node) : s.rule(this.cx, s.node, ins, s.inNodes);
        // A rule returning an operand would alias two slots; a clone shares the data, not the handle.
        if (ins.includes(out)) out = tf.clone(out);
        vals[s.node.id] = out;
        for (const f of s.free) { vals[f]?.dispose(); vals[f] = undefined; }
      }
      const seen = new Set<number>();
      return want.map((o) => {
        const t = vals[o.id]!;
        const owned = !seen.has(o.id) && !inputs.has(o.id) && !this.consts.has(o.id);
        seen.add(o.id);
        return owned ? t : tf.clone(t);
      });
    });
  }

  /** Nodes that the wanted outputs depend on, or null when every output is wanted. */
  private neededNodes(want: readonly { readonly id: number }[]): Uint8Array | null {
    if (want.length === this.graph.outputs.length) return null;
    const need = new Uint8Array(this.graph.nodes.length);
    const stack = want.map((o) => o.id);
    while (stack.length) {
      const id = stack.pop()!;
      if (need[id]) continue;
      need[id] = 1;
      for (const i of this.graph.nodes[id]!.inputs) stack.push(i);
    }
    return need;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.consts.values()) t.dispose();
    this.consts.clear();
  }
}

const isTranspose2d = (n: Node) => n.op === 'transpose' && n.shape.length === 2;

/**
 * Fold 2-D transposes into the matmuls that read them (`tf.matMul(a, b, transposeA, transposeB)`):
 * autodiff of `x Wᵀ` produces `Wᵀ`, `δᵀ a` and transposes of transposes, and every one avoided is
 * a full copy of a weight-sized matrix per step (MLP 784-256-256-10 SGD step, batch 128: tfjs-cpu
 * 485 → 285 ms, tfjs-wasm 43 → 35 ms with transposed B only). A transpose read by anything else
 * still runs.
 */
function fuseTransposes(graph: Graph, outputIds: ReadonlySet<number>, platform: TfjsPlatform): { args: Map<number, number[]>; rules: Map<number, TfLowering<OpName>>; dead: Set<number> } {
  const args = new Map<number, number[]>(), rules = new Map<number, TfLowering<OpName>>();
  const readers = new Map<number, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  const absorbed = new Map<number, number>();
  // tfjs-wasm's XNNPACK path has no transposed-A GEMM: its fallback was 2x slower than the copy.
  const foldA = platform !== 'wasm';
  for (const n of graph.nodes) {
    if (n.op !== 'matmul' || n.shape.length !== 2) continue;
    const [a, b] = n.inputs.map((i) => graph.nodes[i]!) as [Node, Node];
    const ta = foldA && isTranspose2d(a), tb = isTranspose2d(b);
    if (!ta && !tb) continue;
    args.set(n.id, [ta ? a.inputs[0]! : a.id, tb ? b.inputs[0]! : b.id]);
    // Zero-size operands keep the unfused rule's guard: tfjs-webgpu's GEMM with k = 0 returns an
    // uninitialized buffer (the gradient of weights over an empty batch came back as garbage).
    rules.set(n.id, (_cx, node, [x, y]) => (x!.size === 0 || y!.size === 0 ? zerosOf(node) : tf.matMul(x!, y!, ta, tb)));
    for (const t of [ta ? a : undefined, tb ? b : undefined]) if (t) absorbed.set(t.id, (absorbed.get(t.id) ?? 0) + 1);
  }
  const dead = new Set<number>();
  for (const [id, k] of absorbed) if (k === readers.get(id) && !outputIds.has(id)) dead.add(id);
  return { args, rules, dead };
}
