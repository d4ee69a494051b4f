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
  /** Option mappings, each crossed with the grid (docs/experiments.md). */
  readonly list?: readonly Record<string, unknown>[];
  readonly seeds: number | readonly number[];
  /** Batch-size comparisons: at equal samples seen (`samples` each) or equal steps (docs/experiments.md). */
  readonly compareAt?: 'samples' | 'steps';
  readonly samples?: number;
}

/** A store row (`runs` or `probes`): numbers may arrive as numbers or, when non-finite, as "Infinity"/"NaN". */
export type StoreRow = Record<string, unknown>;

/** What a {@link SweepRecipe}'s verdict reads: the sweep's results-store rows, plus any extra data it `needs`. */
export interface RecipeData {
  /** Rows of the store's `runs` table, one per ended run (status, final metrics, flattened config). */
  readonly runs: readonly StoreRow[];
  /** Rows of the store's `probes` table, one per probe of every run (`run_id`, `step` and the probe fields). */
  readonly probes: readonly StoreRow[];
  /** Per run id, the generalization bounds `clt bounds --run` computes (only for recipes whose `needs` names them). */
  readonly generalization?: Readonly<Record<string, GeneralizationData | null>>;
}

/** The fields of `clt bounds --run --json`'s `run.generalization` a verdict reads. */
export interface GeneralizationData {
  readonly testRows: number;
  readonly classes: number;
  readonly delta: number;
  readonly rows: readonly {
    readonly bound: string;
    readonly quantity: string;
    readonly risk: { readonly lower: number; readonly upper: number };
    readonly gap: { readonly lower: number; readonly upper: number };
    readonly measuredGap: number;
    readonly measuredGapInside: boolean;
    readonly status: string;
  }[];
}

/**
 * How big a recipe's experiment is: `quick` fits in about 5 minutes on a 2-core machine, `full` is
 * the size one would publish.
 */
export type RecipeSize = 'quick' | 'full';

interface RecipeBase {
  readonly id: string;
  /** The claim in one sentence. */
  readonly claim: string;
  /** Where it comes from: paper and section (of the spec that summarises it). */
  readonly source: string;
}

/** A claim checked by a sweep of `clt train` runs; the verdict reads the results store. */
export interface SweepRecipe extends RecipeBase {
  readonly kind: 'sweep';
  /** `quick`: ≤ 5 minutes on a 2-core machine; `full`: the size one would publish. */
  spec(size: RecipeSize): RecipeSpec;
  /** Extra per-run data the caller computes after the sweep (the CLI has the code for it). */
  readonly needs?: readonly 'generalization'[];
  /** The verdict table: a pure function of the store's rows (and `needs` data), one row per check. */
  verdict(data: RecipeData): VerdictRow[];
}

/**
 * A claim about a closed-form or convex object (convex programs, linear nets, 1-D splines): no
 * `clt train` sweep, the library computes it directly. `compute` returns plain data (numbers per
 * problem and seed), `verdict` is a pure function of it, so the verdict is tested on synthetic data.
 */
export interface DirectRecipe<R = any> extends RecipeBase {
  readonly kind: 'direct';
  /** The problem sizes of a size, as text for the table header and docs. */
  describe(size: RecipeSize): string;
  /** Solve the recipe's problems at a size; `log` receives progress lines. */
  compute(size: RecipeSize, log?: (line: string) => void): R;
  /** The verdict table: a pure function of `compute`'s result, one row per check. */
  verdict(result: R): VerdictRow[];
}

/** A reproduction recipe of `clt reproduce`: a {@link SweepRecipe} (a training sweep) or a {@link DirectRecipe} (computed directly). */
export type Recipe = SweepRecipe | DirectRecipe;
