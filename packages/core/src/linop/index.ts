export * from './linear-operator.js';
export * from './memory.js';
export * from './dense.js';
export * from './compose.js';
export * from './cholesky.js';
