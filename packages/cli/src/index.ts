export { createProgram, main } from './program.js';
export { runTrain, TRAIN_DEFAULTS } from './commands/train.js';
export { writeReport } from './report/write-report.js';
export { backendTable, backendFor, loadBackendPackages, DEFAULT_BACKEND } from './backends.js';
export * from './data/index.js';
