// @clt/convex — convex duality of ReLU networks (Pilanci & Ergen; Ergen & Pilanci).
// See docs/convex.md and spec/related-papers.md Parts B and C.
export { ConvexInputError, DEFAULT_MEMORY_BUDGET } from './errors.js';
export { dataset, withBias, oneHotTargets, type Dataset } from './data.js';
export {
  enumerateArrangements1D, enumerateArrangements, sampleArrangements, mergePatterns, patternOf, patternKey,
  coverCount, arrangementCoverage, type PatternSet, type ArrangementCoverage,
} from './arrangements.js';
export { squaredLoss, softmaxLoss, convexLoss, type ConvexLoss } from './losses.js';
export { PatternOperator } from './pattern-operator.js';
export { fistaGroupLasso, groupShrink, type GroupLassoProblem, type FistaResult } from './fista.js';
export { solveGatedGroupLasso, type GatedSolution } from './gated.js';
export { solveConvexReLU, groupNormSum, certifiedPoint, type ConvexReluOptions, type ConvexReluSolution } from './convex-relu.js';
export { projectToCones } from './feasible.js';
export type { SolveProgress, StopReason } from './progress.js';
export { certifyPredictions, type DualCertificate } from './certificate.js';
export { minNormInterpolation, type MinNormSolution } from './min-norm.js';
export {
  networkPredict, nonconvexObjective, recoverNetwork, toConvexVariables, toMlpParams, fromMlpParams,
  type TwoLayerNet, type MlpWeights,
} from './network.js';
export { certifyNetwork, type NetworkCertificate } from './certify-network.js';
export { trainDeep, deepPredict, deepObjective, deepToTwoLayer, type DeepNet, type TrainOptions, type TrainResult } from './train.js';
export { solveTwoLayerLinear, solveDeepLinear, factorizeLinear, type TwoLayerLinearSolution, type DeepLinearSolution } from './linear-networks.js';
export { checkLinearNetwork, reluRankReport, layerReport, type LinearNetworkReport, type ReluRankReport, type LayerReport } from './structure-checks.js';
export { checkSpline1D, type SplineReport, type Kink } from './spline.js';
export { svd, numericalRank, type Svd } from './linalg/svd.js';
export { projectOntoCone, type ConeProjection } from './linalg/cone-projection.js';
export { solveConvexReLUWorkingSet, type WorkingSetOptions } from './working-set.js';
export { splineSvg, type SplineCurve } from './spline-svg.js';
export { compareWithSgd, type SgdRun } from './compare-sgd.js';
