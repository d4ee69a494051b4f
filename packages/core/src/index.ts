// The graph IR
export type { DType, TypedArray } from './ir/dtype.js';
export { DTYPES, isFloat, byteSize, allocate, toTyped, dtypeOf } from './ir/dtype.js';
export * from './ir/ops.js';
export type { Graph, Node, TensorSpec } from './ir/graph.js';
export { size, inputSpecs, outputSpecs, opCount, printGraph, graphKey, inputName, selectOutputs } from './ir/graph.js';
export { ShapeError, broadcastShapes } from './ir/shape.js';
export { GraphBuilder, trace, replay, optimize, spec, type BuilderOptions } from './ir/builder.js';
export { Tensor, where, concat, oneHot } from './ir/tensor.js';
export { conv2d, conv2dTranspose, conv2dFilterGrad, avgPool2d, maxPool2d, globalAvgPool, convAttrs, type Conv2dOptions, type Pool2dOptions } from './ir/conv.js';
export { convOutSize } from './ir/shape.js';
// Autodiff
export { gradients, grad as gradT, jvp as jvpT } from './ad/gradients.js';
export { vjp, grad, jvp, hvp, type DiffOptions } from './ad/transforms.js';
export { VJP_RULES, unbroadcast } from './ad/rules.js';
// Backends
export * from './backend/contract.js';
export * from './backend/registry.js';
export { ReferenceBackend } from './reference/backend.js';
export { interpret } from './reference/interpret.js';
// Utilities
export { Rng } from './util/random.js';
// Models
export type { Model, ParamSpec, DenseTap, ConvTap, LayerTap } from './models/model.js';
export { isConvTap, parameterCount, parameterCounts, describeParameterCount, initParams, paramInputs } from './models/model.js';
export { Mlp, activate, layerNorm, type MlpOptions, type Activation } from './models/mlp.js';
export { LeNet, type LeNetOptions } from './models/lenet.js';
export { ResNet, type ResNetOptions } from './models/resnet.js';
export { Vit, type VitOptions } from './models/vit.js';
export { sampleNorm, ACTIVATIONS } from './models/layers.js';
export { modelFromDescription, MODEL_KINDS, type ModelKind } from './models/from-description.js';
// Theory (each area has its own barrel)
export type { FYLoss } from './losses/fenchel-young.js';
export * from './losses/index.js';
export * from './linop/index.js';
export * from './estimators/index.js';
export * from './probes/index.js';
export * from './bounds/index.js';
export * from './train/index.js';
