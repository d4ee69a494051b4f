import type { FYLoss } from '../losses/fenchel-young.js';
import { BoundsInputError } from './errors.js';
import { groupRows, type Grouping, type RowGroups, type Rows } from './row-groups.js';

/** Soft targets: n rows of length d, row-major, each in the loss's target domain. */
export interface SoftTargets {
  readonly targets: ArrayLike<number>;
  readonly d: number;
}

/** Integer class labels 0..K−1 (one per sample), or soft targets. */
export type Labels = ArrayLike<number> | SoftTargets;

/** What the entropies need from a Fenchel–Young loss: H_Ω on label distributions, Ω on targets. */
export type EntropyLoss = Pick<FYLoss, 'name' | 'domain'> & { readonly host: Pick<FYLoss['host'], 'entropy' | 'regularizer'> };

/** Options of {@link conditionalEntropy} and {@link riskFloor}: how samples are grouped, the class count of integer labels, and how many conflicting groups to list. */
export interface ConditionalEntropyOptions {
  /** How samples are grouped (default 'exact': identical bytes). */
  readonly grouping?: Grouping;
  /** Number of classes K for integer labels (default: largest label + 1). */
  readonly numClasses?: number;
  /** How many conflicting groups to list, largest contribution first (default 20; Infinity for all). */
  readonly maxConflicts?: number;
}

/** A group of samples with the same (quantized) input but different labels. */
export interface ConflictGroup {
  /** Group id (index into `partition`). */
  readonly group: number;
  readonly size: number;
  /** The samples in the group, ascending. */
  readonly samples: Int32Array;
  /** Class counts, for integer labels. */
  readonly histogram?: Float64Array;
  /** The group's label distribution p̂(·|x) (for soft targets: the mean target). */
  readonly meanTarget: Float64Array;
  /** H_Ω(p̂(·|x)): the least average loss any single prediction can reach on this group. */
  readonly entropy: number;
  /** (n_x / n) · H_Ω(p̂(·|x)): this group's share of the total. */
  readonly contribution: number;
}

/**
 * The plug-in conditional entropy Ĥ_Ω(Y|Z) of a sample ({@link conditionalEntropy}, {@link riskFloor}),
 * in the loss's units, with the group counts, the largest conflicting groups and the partition.
 */
export interface ConditionalEntropy {
  /** Ĥ_Ω(Y|Z) = Σ_z (n_z/n) · H_Ω(p̂(·|z)), in the loss's units (nats for softmax). */
  readonly value: number;
  readonly loss: string;
  readonly n: number;
  /** Number of distinct groups. */
  readonly groups: number;
  /** Groups whose samples do not all carry the same label; only these make the value positive. */
  readonly conflictingGroups: number;
  readonly conflictingSamples: number;
  /** The conflicting groups with the largest contributions (at most `maxConflicts`). */
  readonly conflicts: readonly ConflictGroup[];
  readonly partition: RowGroups;
}

/**
 * Plug-in generalized conditional entropy of the labels given a representation Z
 * (docs/theory.md §5.3, §7 item 18):
 *
 *     Ĥ_Ω(Y|Z) = Σ_z (n_z/n) · H_Ω(p̂(·|z)) = (1/n) Σ_z min_η Σ_{i: z_i = z} L_Ω(η; y_i)
 *
 * with H_Ω the loss's generalized entropy (Bayes risk; Shannon for softmax, Gini for sparsemax and
 * one-hot MSE, Tsallis for entmax). Z is any representation — inputs, hidden activations — grouped
 * exactly or on a grid (`grouping`). Integer labels use `loss.host.entropy` on the group's class
 * frequencies; soft targets use the Jensen gap mean_i Ω(y_i) − Ω(mean_i y_i), the minimum of the
 * group's average loss (clamped at 0 against round-off). Groups whose labels all agree contribute
 * exactly 0 without evaluating H_Ω.
 *
 * Cost: O(n·(dim + d)) time with exact hashing, O(n + K) memory. The plug-in is biased low as an
 * estimate of the population H_Ω(Y|Z) (E Ĥ ≤ H: a minimum of averages).
 * @see docs/theory.md §4 (computing it), §5.3 (generalized conditional entropy).
 */
export function conditionalEntropy(loss: EntropyLoss, z: Rows, labels: Labels, options: ConditionalEntropyOptions = {}): ConditionalEntropy {
  const partition = groupRows(z, options.grouping ?? 'exact', 'conditionalEntropy');
  return conditionalEntropyOfPartition(loss, partition, labels, options);
}

/**
 * The same plug-in Ĥ_Ω(Y|Z) on a partition you already have (from `groupRows`), e.g. to evaluate
 * several losses on one grouping without hashing again.
 */
export function conditionalEntropyOfPartition(
  loss: EntropyLoss, partition: RowGroups, labels: Labels, options: Omit<ConditionalEntropyOptions, 'grouping'> = {},
): ConditionalEntropy {
  const where = 'conditionalEntropy';
  const { n, count, groupOf, size } = partition;
  const lab = prepareLabels(loss, labels, n, options.numClasses, where);
  const d = lab.d;
  // Counting sort of the samples by group.
  const start = new Int32Array(count + 1);
  for (let g = 0; g < count; g++) start[g + 1] = start[g]! + size[g]!;
  const fill = start.slice(0, count), order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[fill[groupOf[i]!]!++] = i;

  const acc = new Float64Array(d), row = new Float64Array(d);
  const found: ConflictGroup[] = [];
  let total = 0, conflictingGroups = 0, conflictingSamples = 0;
  for (let g = 0; g < count; g++) {
    const s = start[g]!, e = start[g + 1]!, m = e - s;
    if (m < 2 || lab.allSame(order, s, e)) continue;
    conflictingGroups++; conflictingSamples += m;
    acc.fill(0);
    let h: number;
    if (lab.kind === 'classes') {
      for (let k = s; k < e; k++) acc[lab.cls[order[k]!]!]! += 1;
      for (let j = 0; j < d; j++) row[j] = acc[j]! / m;
      h = loss.host.entropy(row);
    } else {
      let omega = 0;
      for (let k = s; k < e; k++) {
        const off = order[k]! * d;
        for (let j = 0; j < d; j++) { const v = lab.t[off + j]!; row[j] = v; acc[j] += v; }
        omega += loss.host.regularizer(row);
      }
      for (let j = 0; j < d; j++) row[j] = acc[j]! / m;
      const gap = omega / m - loss.host.regularizer(row);
      if (!Number.isFinite(gap)) throw new BoundsInputError(where, `a target in group ${g} is outside the domain of the '${loss.name}' loss (Ω = ∞); check the targets`);
      h = Math.max(0, gap);
    }
    if (!Number.isFinite(h) || h < 0) throw new BoundsInputError(where, `the '${loss.name}' loss returned entropy ${h} for group ${g}; expected a finite value ≥ 0`);
    total += m * h;
    found.push({
      group: g, size: m, samples: order.slice(s, e).sort(),
      ...(lab.kind === 'classes' ? { histogram: acc.slice() } : {}),
      meanTarget: row.slice(), entropy: h, contribution: (m / n) * h,
    });
  }
  found.sort((a, b) => b.contribution - a.contribution || a.group - b.group);
  const maxConflicts = options.maxConflicts ?? 20;
  return {
    value: total / n, loss: loss.name, n, groups: count, conflictingGroups, conflictingSamples,
    conflicts: found.slice(0, Math.max(0, maxConflicts)), partition,
  };
}

type Prepared =
  | { kind: 'classes'; d: number; cls: Int32Array; allSame(order: Int32Array, s: number, e: number): boolean }
  | { kind: 'soft'; d: number; t: ArrayLike<number>; allSame(order: Int32Array, s: number, e: number): boolean };

function prepareLabels(loss: EntropyLoss, labels: Labels, n: number, numClasses: number | undefined, where: string): Prepared {
  if (typeof labels === 'object' && labels !== null && !ArrayBuffer.isView(labels) && 'targets' in labels && 'd' in labels) {
    const { targets: t, d } = labels as SoftTargets;
    if (!Number.isInteger(d) || d < 1) throw new BoundsInputError(where, `soft targets have d = ${d}; it must be a positive integer`);
    if (t.length !== n * d) throw new BoundsInputError(where, `${t.length} target values for ${n} samples of d = ${d}; give n·d values, row-major`);
    for (let k = 0; k < t.length; k++)
      if (!Number.isFinite(t[k]!)) throw new BoundsInputError(where, `target row ${Math.floor(k / d)}, entry ${k % d} is ${t[k]}; targets must be finite`);
    return {
      kind: 'soft', d, t,
      allSame(order, s, e) {
        const a = order[s]! * d;
        for (let k = s + 1; k < e; k++) { const b = order[k]! * d; for (let j = 0; j < d; j++) if (t[a + j] !== t[b + j]) return false; }
        return true;
      },
    };
  }
  const y = labels as ArrayLike<number>;
  if (y.length !== n) throw new BoundsInputError(where, `${y.length} labels for ${n} samples; give one label per sample`);
  if (loss.domain === 'binary')
    throw new BoundsInputError(where, `the '${loss.name}' loss takes 0/1 targets, not class indices; pass { targets, d } (d = 1 for one binary label)`);
  let max = -1;
  const cls = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = y[i]!;
    if (!Number.isInteger(c) || c < 0) throw new BoundsInputError(where, `label ${i} is ${c}; class labels must be integers ≥ 0 (pass { targets, d } for soft labels)`);
    cls[i] = c; if (c > max) max = c;
  }
  const d = numClasses ?? Math.max(2, max + 1);
  if (!Number.isInteger(d) || d < 1) throw new BoundsInputError(where, `numClasses is ${numClasses}; it must be a positive integer`);
  if (max >= d) throw new BoundsInputError(where, `a label is ${max} but numClasses is ${d}; labels must lie in 0..${d - 1}`);
  return {
    kind: 'classes', d, cls,
    allSame(order, s, e) {
      const a = cls[order[s]!];
      for (let k = s + 1; k < e; k++) if (cls[order[k]!] !== a) return false;
      return true;
    },
  };
}
