import { writeFile } from 'node:fs/promises';
import type { Graph } from '@clt/core';
import { lowerGraph, OPSET } from './lower/model.js';

/** Options of {@link toOnnx} and {@link exportOnnx}: element type of f64 tensors, doc string, graph name. */
export interface ExportOnnxOptions {
  /** Store f64 tensors as float32 (for runtimes without double kernels). Default false. */
  readonly f64AsF32?: boolean;
  /** Free text stored as the model's doc string. */
  readonly docString?: string;
  /** The ONNX graph's name. Default `clt`. */
  readonly graphName?: string;
}

/**
 * The ONNX model (`ModelProto` bytes, ai.onnx opset 18) of a graph: the same bytes the backend
 * hands to ONNX Runtime. Inputs and outputs keep the graph's names and static shapes.
 */
export function toOnnx(graph: Graph, options: ExportOnnxOptions = {}): Uint8Array {
  return lowerGraph(graph, { ...options, docString: options.docString ?? `clt graph, ai.onnx opset ${OPSET}` }).bytes;
}

/**
 * Write a graph (a model's forward, its gradient, an NTK–vector product, a fused SGD step...) as a
 * standard `.onnx` file that other ONNX tools open and run. Returns the number of bytes written.
 *
 * @example
 * ```ts
 * const g = grad(trace({ x: spec([8, 4]), w: spec([4, 3]) }, ({ x, w }) => ({ loss: x.matmul(w).tanh().sum() })), { wrt: ['w'] });
 * await exportOnnx(g, 'mlp-grad.onnx');
 * ```
 */
export async function exportOnnx(graph: Graph, path: string, options: ExportOnnxOptions = {}): Promise<number> {
  const bytes = toOnnx(graph, options);
  await writeFile(path, bytes);
  return bytes.length;
}
