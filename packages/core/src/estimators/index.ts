export * from './tridiagonal-eigen.js';
export * from './symmetric-eigen.js';
export * from './lanczos.js';
export * from './lobpcg.js';
export * from './power-iteration.js';
export * from './hutchinson.js';
