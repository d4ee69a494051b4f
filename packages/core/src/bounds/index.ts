// Bounds (docs/theory.md §3.3–3.5, §4, §5, §7 items 13–22): pure float64 functions.
export { BoundsInputError } from './errors.js';
export { groupRows, type Rows, type Grouping, type RowGroups } from './row-groups.js';
export {
  conditionalEntropy, conditionalEntropyOfPartition,
  type ConditionalEntropy, type ConditionalEntropyOptions, type ConflictGroup, type EntropyLoss, type Labels, type SoftTargets,
} from './conditional-entropy.js';
export { riskFloor, informationLoss, refines, type InformationLoss, type InformationLossOptions } from './risk-floor.js';
export {
  residualBounds, residualBoundsPerSample, mseRiskBounds, curvatureRiskBounds, crossEntropyRiskBounds,
  crossEntropyRiskBoundsAggregate, precursorLogBounds,
  type EnergySpectrum, type Interval, type CrossEntropySamples, type CrossEntropyRiskBounds,
} from './trainability.js';
export { sgdNeighbourhoodTerm, OutOfBatchChange, type SgdNeighbourhoodInput } from './sgd-neighbourhood.js';
export { binaryKl, klInverseUpper, klInverseLower, type KlInverseOptions } from './kl-inverse.js';
export {
  hoeffdingRadius, hoeffdingBound, mcAllesterBound, pacBayesKlBound, pacBayesComplexity,
  type ConfidenceInput, type PacBayesInput,
} from './classical.js';
export { maxLossEmpirical, maxLossSoftmax, maxLossSimplex, maxLossSquared } from './max-loss.js';
export {
  deterministicGeneralizationRange, probabilisticGeneralizationRange,
  type EntropyTerms, type GeneralizationRange, type UpperMethod, type ProbabilisticInput, type ProbabilisticRange,
} from './generalization.js';
