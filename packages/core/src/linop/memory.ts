/**
 * Memory guard. The empirical NTK of n samples with d outputs has (n·d)² entries; the per-sample
 * Jacobians n·d·P. Both blow up at realistic sizes (the most common complaint about NTK tools),
 * so every probe estimates the bytes of a dense object before forming it and, past a budget,
 * switches to a matrix-free path or stops with a message that says what to change.
 */

/** Default budget for one dense object: 1 GiB. */
export const DEFAULT_MEMORY_BUDGET = 2 ** 30;

/** Raised when a dense object would exceed the memory budget. */
export class MemoryBudgetError extends Error {
  constructor(readonly bytes: number, readonly budget: number, message: string) {
    super(message);
    this.name = 'MemoryBudgetError';
  }
}

/** Bytes of `entries` values of `bytesPerEntry` bytes. */
export function denseBytes(entries: number, bytesPerEntry = 8): number {
  return entries * bytesPerEntry;
}

/** A byte count in binary units for messages, e.g. `512 B`, `1.50 GiB`, `12 MiB`: two decimals below 10 of a unit above bytes, none otherwise. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes, u = 0;
  while (v >= 1024 && u + 1 < units.length) { v /= 1024; u++; }
  return `${v.toFixed(v < 10 && u > 0 ? 2 : 0)} ${units[u]}`;
}

/** Whether `bytes` fit the budget. */
export function fitsBudget(bytes: number, budget = DEFAULT_MEMORY_BUDGET): boolean {
  return bytes <= budget;
}

/**
 * Throw a MemoryBudgetError when `bytes` exceed `budget`. `what` names the object, `hint` says
 * what to change (a matrix-free method, a smaller probe set, a larger `memoryBudget`).
 */
export function guardMemory(what: string, bytes: number, budget: number, hint: string): void {
  if (!(budget > 0)) throw new Error(`memoryBudget must be a positive number of bytes, got ${budget}`);
  if (bytes > budget)
    throw new MemoryBudgetError(bytes, budget, `${what} needs ${formatBytes(bytes)}, over the memory budget of ${formatBytes(budget)}. ${hint}`);
}
