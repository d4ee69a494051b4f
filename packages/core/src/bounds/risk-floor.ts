import { conditionalEntropy, conditionalEntropyOfPartition, type ConditionalEntropy, type ConditionalEntropyOptions, type EntropyLoss, type Labels } from './conditional-entropy.js';
import { BoundsInputError } from './errors.js';
import { groupRows, type Grouping, type RowGroups, type Rows } from './row-groups.js';

/**
 * The model-agnostic floor on empirical risk (a reconstruction, docs/theory.md §4 [INF]; the paper's
 * own formula was not retrievable):
 *
 *     R̂(θ) ≥ R̂* := (1/n) Σ_{distinct x} min_η Σ_{i: x_i = x} L_Ω(η; y_i) = Σ_x (n_x/n) H_Ω(p̂(·|x)) = Ĥ_Ω(Y|X)
 *
 * for EVERY model f_θ and every θ: the empirical risk of any function of x is at least the minimum
 * over all functions of x, which splits over the distinct inputs. R̂* > 0 exactly when some input
 * appears with different labels; `conflicts` lists those groups (size, label histogram, share), so
 * you can see why the floor is positive. Reaching the global optimum of the empirical risk means
 * driving R̂ down to R̂*, not to 0.
 *
 * Grouping: 'exact' (default) gives the floor for models that see the raw input. A grid or keys
 * give Ĥ_Ω(Y|q(X)) ≥ Ĥ_Ω(Y|X), the floor for models that see only q(x): NOT a lower bound on a
 * raw-input model's risk (merging distinct inputs can only raise the value).
 *
 * Cost: O(n·(dim + d)); 60000 × 784 float32 MNIST rows hash in well under a second.
 * @see docs/theory.md §4, §7 item 16.
 */
export function riskFloor(loss: EntropyLoss, x: Rows, labels: Labels, options: ConditionalEntropyOptions = {}): ConditionalEntropy {
  return conditionalEntropy(loss, x, labels, options);
}

/** Options of {@link informationLoss}: groupings of the inputs X and of the representation Z (default exact; give a grid for real-valued activations), and the class count of integer labels. */
export interface InformationLossOptions {
  /** Grouping of the inputs X (default 'exact'). */
  readonly xGrouping?: Grouping;
  /** Grouping of the representation Z = g(X) (default 'exact'; give a grid for real activations). */
  readonly zGrouping?: Grouping;
  readonly numClasses?: number;
}

/** The plug-in information loss Δ̂ = Ĥ_Ω(Y|Z) − Ĥ_Ω(Y|X) from {@link informationLoss}, both conditional entropies, and whether Z is a function of X on the sample. */
export interface InformationLoss {
  /** Δ̂ = Ĥ_Ω(Y|Z) − Ĥ_Ω(Y|X). */
  readonly value: number;
  readonly hX: ConditionalEntropy;
  readonly hZ: ConditionalEntropy;
  /**
   * True when Z is a function of X on this sample (equal x ⇒ equal z-group). Then Δ̂ ≥ 0 exactly
   * (up to round-off), by concavity of H_Ω. When false, Z carries information not in X (noise,
   * a different sample order?) and Δ̂ may be negative.
   */
  readonly zIsFunctionOfX: boolean;
}

/**
 * Information loss of a map g (a reconstruction, docs/theory.md §5.3 [INF/BG]):
 *
 *     Δ̂_g = Ĥ_Ω(Y | g(X)) − Ĥ_Ω(Y | X)  ≥ 0
 *
 * 0 when g is injective on the sample (or sufficient for Y); non-decreasing along a chain
 * X → g₁(X) → g₂(g₁(X)) → … (data processing: a function of a representation is a coarser
 * partition, and a coarser partition never lowers a conditional generalized entropy). With the
 * Shannon entropy (softmax loss), Δ̂_g = Î(X;Y) − Î(g(X);Y) in nats. `x` and `z` are row-aligned:
 * row i of z is g applied to row i of x.
 *
 * Cost: two `conditionalEntropy` calls.
 * @see docs/theory.md §5.3, §7 item 19.
 */
export function informationLoss(loss: EntropyLoss, x: Rows, z: Rows, labels: Labels, options: InformationLossOptions = {}): InformationLoss {
  const px = groupRows(x, options.xGrouping ?? 'exact', 'informationLoss (inputs)');
  const pz = groupRows(z, options.zGrouping ?? 'exact', 'informationLoss (representation)');
  if (px.n !== pz.n) throw new BoundsInputError('informationLoss', `inputs have ${px.n} rows but the representation has ${pz.n}; give g(x_i) for every sample, in the same order`);
  const opts = { numClasses: options.numClasses, maxConflicts: 20 };
  const hX = conditionalEntropyOfPartition(loss, px, labels, opts), hZ = conditionalEntropyOfPartition(loss, pz, labels, opts);
  return { value: hZ.value - hX.value, hX, hZ, zIsFunctionOfX: refines(px, pz) };
}

/** True when every group of `fine` lies inside one group of `coarse`. */
export function refines(fine: RowGroups, coarse: RowGroups): boolean {
  if (fine.n !== coarse.n) return false;
  const target = new Int32Array(fine.count).fill(-1);
  for (let i = 0; i < fine.n; i++) {
    const g = fine.groupOf[i]!, h = coarse.groupOf[i]!;
    if (target[g] === -1) target[g] = h; else if (target[g] !== h) return false;
  }
  return true;
}
