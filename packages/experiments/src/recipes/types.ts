/**
 * A recipe turns one checkable claim of the papers into a sweep plus a verdict. The verdict is a
 * pure function of the results store's rows (tables `runs` and `probes`, as `query` returns them),
 * so it is tested on synthetic rows whose right verdict is known, without training anything.
 */
export type Verdict = 'reproduced' | 'contradicted' | 'inconclusive';

/** One line of a verdict table: what was checked, the numbers behind it and the seeds they came from. */
export interface VerdictRow {
  readonly check: string;
  /** The measured values, as text (e.g. `width 8 → 128: κ 117 → 1.14`). */
  readonly value: string;
  /** The seeds behind the value, e.g. `0,1`. */
  readonly seeds: string;
  readonly verdict: Verdict;
  /** Why this verdict: the threshold it met or missed. */
  readonly why: string;
}

/** A sweep spec as plain data (checked by the caller against the run command's options). */
export interface RecipeSpec {
  readonly name: string;
  readonly base: Record<string, unknown>;
  readonly grid: Record<string, readonly unknown[]>;
  readonly seeds: number | readonly number[];
}

/** A store row (`runs` or `probes`): numbers may arrive as numbers or, when non-finite, as "Infinity"/"NaN". */
export type StoreRow = Record<string, unknown>;

export interface RecipeData {
  readonly runs: readonly StoreRow[];
  readonly probes: readonly StoreRow[];
}

export type RecipeSize = 'quick' | 'full';

export interface Recipe {
  readonly id: string;
  /** The claim in one sentence. */
  readonly claim: string;
  /** Where it comes from: paper and section (of the spec that summarises it). */
  readonly source: string;
  /** `quick`: ≤ 5 minutes on a 2-core machine; `full`: the size one would publish. */
  spec(size: RecipeSize): RecipeSpec;
  verdict(data: RecipeData): VerdictRow[];
}
