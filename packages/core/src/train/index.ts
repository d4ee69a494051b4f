export { sgdStepGraph, softmaxCrossEntropy, stepNames, type SgdStepOptions } from './sgd-step.js';
