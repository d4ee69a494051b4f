import {
  deterministicGeneralizationRange, GraphBuilder, hoeffdingBound, maxLossSoftmax, mcAllesterBound, pacBayesKlBound, paramInputs, probabilisticGeneralizationRange,
  type Backend, type Model,
} from '@clt/core';

/** What a run measured at its end, and the data terms the bounds need. */
export interface GeneralizationInput {
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly testLoss: number | null;
  readonly testAcc: number;
  /** Rows of the test split (the i.i.d. sample the bounds are about). */
  readonly nTest: number;
  readonly classes: number;
  /** Failure probability δ of every row (each row is its own statement at level 1 − δ). */
  readonly delta: number;
  /** Plug-in Ĥ(Y|X) of the test rows (softmax cross-entropy, nats). */
  readonly conditionalEntropy?: number;
  /** B = max |logit| of the trained net on the test rows; gives ℓ_max = log(1 + (d − 1)e^{2B}). */
  readonly logitBound?: number;
}

export interface GeneralizationRow {
  readonly bound: string;
  readonly quantity: '0-1 error' | 'cross-entropy';
  /** Interval for the population risk R(h) of the trained net (upper = +∞ / lower = 0 where one-sided). */
  readonly risk: { lower: number; upper: number };
  /** R(h) − R̂_train(h): the risk interval shifted by the final training loss (error). */
  readonly gap: { lower: number; upper: number };
  /** Measured gap: test − train. */
  readonly measuredGap: number;
  readonly measuredGapInside: boolean;
  /** 'textbook': a classical inequality, exact as stated; 'reconstruction': tagged INF in docs/theory.md (checked, not the paper's verbatim statement). */
  readonly status: 'textbook' | 'reconstruction';
  readonly note: string;
}

/**
 * The generalization bounds the bounds module has, applied to a trained net and its held-out test
 * split (n i.i.d. rows never used in training, so the net is a predictor fixed before that sample:
 * PAC-Bayes with KL(ρ‖π) = 0 and Hoeffding apply as stated). Each row bounds the population risk
 * R(h) at level 1 − δ, and the population gap R(h) − R̂_train(h) by shifting with the training risk;
 * the measured gap (test − train) is shown beside it. Cross-entropy rows need ℓ_max, from the logit
 * bound measured on the test rows — a proxy for the supremum over all inputs, hence 'reconstruction'.
 */
export function generalizationRows(g: GeneralizationInput): GeneralizationRow[] {
  const rows: GeneralizationRow[] = [];
  const row = (bound: string, quantity: GeneralizationRow['quantity'], risk: { lower: number; upper: number }, train: number, test: number, status: GeneralizationRow['status'], note: string) => {
    const gap = { lower: risk.lower - train, upper: risk.upper - train }, measuredGap = test - train;
    rows.push({ bound, quantity, risk, gap, measuredGap, measuredGapInside: measuredGap >= gap.lower - 1e-12 && measuredGap <= gap.upper + 1e-12, status, note });
  };
  const n = g.nTest, delta = g.delta, e01 = 1 - g.testAcc, t01 = 1 - g.trainAcc;
  row('Hoeffding (two-sided)', '0-1 error', hoeffdingBound({ empiricalRisk: e01, n, delta }), t01, e01, 'textbook', 'fixed predictor, test rows i.i.d.');
  row('PAC-Bayes-kl, KL = 0', '0-1 error', pacBayesKlBound({ empiricalRisk: e01, kl: 0, n, delta }), t01, e01, 'textbook', 'Seeger/Maurer; the net is fixed before the test sample (posterior = prior = a point mass)');
  row('McAllester, KL = 0', '0-1 error', { lower: 0, upper: mcAllesterBound({ empiricalRisk: e01, kl: 0, n, delta }) }, t01, e01, 'textbook', 'Pinsker relaxation of PAC-Bayes-kl (upper only)');
  if (g.testLoss === null || g.logitBound === undefined) return rows;
  const ellMax = maxLossSoftmax(g.classes, g.logitBound), R = g.testLoss, tr = g.trainLoss;
  const ceNote = `ℓ_max = log(1 + (d − 1)e^{2B}) = ${ellMax.toPrecision(4)} with B = ${g.logitBound.toPrecision(4)} = max |logit| on the test rows (a proxy for the supremum over all inputs)`;
  row('Hoeffding (two-sided)', 'cross-entropy', hoeffdingBound({ empiricalRisk: R, n, delta, range: ellMax }), tr, R, 'reconstruction', ceNote);
  row('PAC-Bayes-kl, KL = 0', 'cross-entropy', pacBayesKlBound({ empiricalRisk: R, kl: 0, n, delta, range: ellMax }), tr, R, 'reconstruction', ceNote);
  row('McAllester, KL = 0', 'cross-entropy', { lower: 0, upper: mcAllesterBound({ empiricalRisk: R, kl: 0, n, delta, range: ellMax }) }, tr, R, 'reconstruction', ceNote);
  if (g.conditionalEntropy !== undefined) {
    const terms = { conditionalEntropy: g.conditionalEntropy, informationLoss: 0, ellMax };
    row('deterministic range [H(Y|X) + Δ, ℓ_max]', 'cross-entropy', deterministicGeneralizationRange({ ...terms, empiricalRisk: tr }).risk, tr, R, 'reconstruction',
      `theory.md §5.1 [INF]; conditional entropy Ĥ(Y|X) = ${g.conditionalEntropy.toPrecision(4)} (test rows, plug-in), information loss Δ = 0 (g = the identity; the net's hidden representations are not measured)`);
    const p = probabilisticGeneralizationRange({ ...terms, empiricalRisk: R, n, deltaFloor: delta / 2, deltaUpper: delta / 2, upper: { kind: 'hoeffding' } });
    row('probabilistic range (floor − McDiarmid, Hoeffding upper)', 'cross-entropy', p.risk, tr, R, 'reconstruction', `theory.md §5.1–5.3 [INF]; δ split ${delta / 2} + ${delta / 2}, floor slack ${p.floorSlack.toPrecision(3)}`);
  }
  return rows;
}

/** B = max over the rows of max_j |η_j| of the trained net (forward pass in chunks on `backend`). */
export async function maxAbsLogit(model: Model, params: Record<string, Float32Array | Float64Array>, x: Float32Array | Float64Array, backend: Backend): Promise<number> {
  const dtype = backend.dtypes.includes('f64') ? 'f64' : 'f32', w = model.inputDim, m = x.length / w, chunk = Math.min(512, m);
  const b = new GraphBuilder(), p = paramInputs(b, model, dtype), xi = b.input('x', [chunk, w], dtype);
  const logits = model.apply(p, xi);
  const exe = await backend.compile(b.build({ absMax: logits.abs().max(-1) }));
  const Arr = dtype === 'f64' ? Float64Array : Float32Array, xb = new Arr(chunk * w);
  const inputs = Object.fromEntries(model.params.map((q) => [q.name, { data: Arr.from(params[q.name]!), shape: q.shape, dtype }]));
  let B = 0;
  for (let c0 = 0; c0 < m; c0 += chunk) {
    const rows = Math.min(chunk, m - c0);
    xb.fill(0);
    xb.set(x.subarray(c0 * w, (c0 + rows) * w));
    const out = await exe.run({ ...inputs, x: { data: xb, shape: [chunk, w], dtype } });
    const v = await out.absMax!.download();
    for (let i = 0; i < rows; i++) B = Math.max(B, Number(v[i]));
    for (const t of Object.values(out)) t.dispose();
  }
  return B;
}
