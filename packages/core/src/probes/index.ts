export { ProbeRuntime, flattenParams, splitFlat, type ParamValues, type ArrayValue, type FloatDType } from './runtime.js';
export { perSampleJacobians, jacobianContractionGraph, type JacobianMode } from './jacobian-contraction.js';
export { ntkVpGraph } from './ntk-vp.js';
export { layerwiseGramGraph, layerSensitivities, uncoveredParams, type LayerwiseMode, type LayerSlices } from './layerwise-gram.js';
export * from './structure-matrix.js';
export * from './gershgorin.js';
export * from './structure-summary.js';
export * from './gradient-energy.js';
export * from './hessian.js';
