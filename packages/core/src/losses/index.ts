// Fenchel–Young losses (docs/theory.md §2): each loss as IR composites and float64 host functions.
export { makeFYLoss, type FYLoss, type FYLossParts, type TargetDomain } from './fenchel-young.js';
export { softmaxLoss, softmaxCrossEntropyStable } from './softmax.js';
export { sparsemaxLoss, sparsemaxIR, sparsemaxHost } from './sparsemax.js';
export { entmaxLoss, entmax15Loss, type EntmaxLoss, type EntmaxOptions } from './entmax.js';
export { entmax15Host, entmax15IR, tsallisOmegaHost, tsallisOmegaIR, tsallisThreshHi } from './tsallis.js';
export {
  entmaxBisectHost, entmaxBisectIR, bisectIterations, thresholdParam, type BisectOptions, type BisectResult, type ThresholdParam,
} from './entmax-bisect.js';
export { squaredLoss } from './squared.js';
export { bernoulliLoss } from './bernoulli.js';
export { poissonLoss } from './poisson.js';
export { fyLoss, FY_LOSS_NAMES, type FYLossName, type FYLossSpec } from './factory.js';
export { LossInputError, oneHotLabels, validateLabels, validateLabelSets, validateTargetsIn, SIMPLEX_TOL } from './validate.js';
export { lossConformanceCases, hessianVector, type LossConformanceCase } from './conformance.js';
