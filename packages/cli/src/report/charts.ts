import type { TopLevelSpec } from 'vega-lite';
import type { CorrelationSeries, RunData } from './series.js';

/** One figure of the report: its id (file name), title, vega-lite spec and a plain-words caption. */
export interface Figure {
  readonly id: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
  readonly caption: string;
}

const W = 640, H = 300;
/** The look every clt chart shares (the sweep report reuses it). */
export const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: W, height: H, background: 'white',
  config: { font: 'DejaVu Sans', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 460 }, axisQuantitative: { tickCount: 6 } } } as const;
const stepAxis = { field: 'step', type: 'quantitative', title: 'training step (SGD updates)' } as const;
const positive = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

function long(rows: { step: number; series: string; value: number | null | undefined }[]) {
  return rows.filter((r) => positive(r.value));
}

/** A multi-series line chart with a log y axis; `dashed` series are drawn dashed. */
function lines(data: ReturnType<typeof long>, yTitle: string, allOrder: string[], allColors: string[], dashed: string[] = []): TopLevelSpec {
  // Only series that have data get a legend entry (e.g. no "data floor" when it is 0).
  const present = new Set(data.map((r) => r.series));
  const order = allOrder.filter((s) => present.has(s)), colors = allColors.filter((_, i) => present.has(allOrder[i]!));
  return {
    ...base,
    data: { values: data },
    mark: { type: 'line', point: data.length < 400 ? { size: 14 } : false, strokeWidth: 1.8, clip: true },
    encoding: {
      x: stepAxis,
      y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: yTitle, axis: { tickCount: 6, grid: true, gridOpacity: 0.6 } },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: order, range: colors }, legend: { orient: 'bottom', columns: 2, symbolType: 'stroke' } },
      strokeDash: { condition: { test: `indexof(${JSON.stringify(dashed)}, datum.series) >= 0`, value: [5, 3] }, value: [1, 0] },
    },
  } as TopLevelSpec;
}

export function figures(run: RunData, corr: CorrelationSeries[]): Figure[] {
  const { probes, steps, evals } = run;
  const floor = evals[0]?.dataFloor ?? (run.start?.dataFloor as number | undefined) ?? 0;
  const out: Figure[] = [];

  const L = ['probe-set loss R̂ (measured)', 'lower bound (Pinsker)', 'upper bound (χ², pmin)', 'upper bound (pmin-free)', 'training loss (full train set)', 'data floor R̂*'];
  const lossRows = long([
    ...probes.flatMap((p) => [
      { step: p.step, series: L[0]!, value: p.risk }, { step: p.step, series: L[1]!, value: p.riskLower },
      { step: p.step, series: L[2]!, value: p.riskUpper }, { step: p.step, series: L[3]!, value: p.riskUpperPminFree },
    ]),
    ...evals.map((e) => ({ step: e.step, series: L[4]!, value: e.trainLoss })),
    ...(floor > 0 ? [0, evals.at(-1)?.step ?? steps.at(-1)?.step ?? 0].map((s) => ({ step: s, series: L[5]!, value: floor })) : []),
  ]);
  out.push({
    id: 'loss-vs-bounds', title: 'Loss against the trainability sandwich', spec: lines(lossRows, 'loss (nats, log scale)', L, ['#1f2937', '#2563eb', '#dc2626', '#f59e0b', '#059669', '#7c3aed'], [L[1]!, L[2]!, L[3]!, L[5]!]),
    caption: `The black line is the softmax cross-entropy measured on the fixed probe set. The dashed lines are bounds computed from the gradient energy and the structure-matrix eigenvalues ` +
      `(theory.md §3.4, reconstructed): the loss must stay between the blue lower bound and the red/orange upper bounds at every probe. ` +
      `Green is the loss on the whole training set; purple is the data floor — no model can go below it` + (floor > 0 ? '.' : ' (0 here: no input appears twice with different labels, so it is not drawn).') +
      ` A missing point on an upper bound means it is +∞ there (λ_min = 0, or the pmin-free condition ‖gᵢ‖/√λmin,i < 1 fails).`,
  });

  const E = ['λ*max = maxᵢ λmax(Aᵢ)', 'median λmax(Aᵢ)', 'median λmin(Aᵢ)', 'λ*min = minᵢ λmin(Aᵢ)', 'Rayleigh quotient of each SGD step (batch NTK)'];
  const thin = Math.max(1, Math.floor(steps.length / 400));
  out.push({
    id: 'eigenvalues', title: 'Extreme eigenvalues of the structure matrix',
    spec: lines(long([
      ...probes.flatMap((p) => [
        { step: p.step, series: E[0]!, value: p.lambdaMaxStar }, { step: p.step, series: E[1]!, value: p.lambdaMaxMedian },
        { step: p.step, series: E[2]!, value: p.lambdaMinMedian }, { step: p.step, series: E[3]!, value: p.lambdaMinStar },
      ]),
      ...steps.filter((_, i) => i % thin === 0).map((s) => ({ step: s.step, series: E[4]!, value: s.rayleigh })),
    ]),
    'eigenvalue (log scale)', E, ['#dc2626', '#f87171', '#60a5fa', '#2563eb', '#d9b27c'], [E[1]!, E[2]!]),
    caption: 'Aᵢ = JᵢJᵢᵀ is the d×d Gram matrix of the output Jacobian of probe sample i (theory.md §3.1). Its extreme eigenvalues convert gradient energy into residual bounds: ' +
      'a λ*min far from 0 means small gradients force small residuals (trainability); the gap between red and blue is the conditioning. ' +
      'The light-brown line comes free with each SGD step: N²‖∇R̂‖²/‖r‖² lies between the smallest and largest eigenvalue of that mini-batch\'s NTK JJᵀ (N·d × N·d). ' +
      'That interval contains every per-sample eigenvalue of the batch (the Aᵢ are its diagonal blocks), so the quotient may leave the red–blue band.',
  });

  const G = ['gradient energy E (probe set)', 'batch-gradient norm² ‖∇R̂‖² (probe set)', 'gradient energy E (each training batch)'];
  out.push({
    id: 'gradient-energy', title: 'Gradient energy and gradient norm',
    spec: lines(long([
      ...probes.flatMap((p) => [{ step: p.step, series: G[0]!, value: p.energy }, { step: p.step, series: G[1]!, value: p.batchGradSq }]),
      ...steps.filter((_, i) => i % thin === 0).map((s) => ({ step: s.step, series: G[2]!, value: s.energy })),
    ]), 'squared gradient norm (log scale)', G, ['#1f2937', '#6b7280', '#6ee7b7'], [G[1]!]),
    caption: 'Gradient energy E = (1/n)Σᵢ‖∇θℓᵢ‖² averages the squared per-sample gradient norms; it is not the squared norm of the averaged gradient (grey, always ≤ E). ' +
      'Light green is the same energy measured inside every SGD step on its own mini-batch (free: no extra pass), so it is noisier than the probe-set value.',
  });

  // The plot keeps the three series of the loss plot; the summary table lists every series and baseline.
  const plotted = corr.filter((c) => ['lowerBound', 'upperBound', 'indicator'].includes(c.key));
  const window = corr[0]?.window ?? 0;
  const seriesName = (c: CorrelationSeries) => `${c.label} (global r = ${c.r === undefined ? '—' : c.r.toFixed(3)})`;
  // Same colours as the loss plot: lower bound blue, upper bound red, indicator black.
  const colorOf = (c: CorrelationSeries) => (c.key === 'lowerBound' ? '#2563eb' : c.key === 'upperBound' ? '#dc2626' : '#1f2937');
  out.push({
    id: 'correlation', title: 'How closely the bounds track the loss',
    spec: {
      ...base,
      data: { values: plotted.flatMap((c) => c.sliding.map((s) => ({ ...s, series: seriesName(c) }))) },
      mark: { type: 'line', strokeWidth: 1.8, point: { size: 12 } },
      encoding: {
        x: stepAxis,
        y: { field: 'r', type: 'quantitative', scale: { domain: [-1, 1] }, title: `Pearson r over the last ${window} probes` },
        color: { field: 'series', type: 'nominal', title: 'log₂ bound against log₂ loss', scale: { domain: plotted.map(seriesName), range: plotted.map(colorOf) }, legend: { orient: 'bottom', columns: 1, titleLimit: 700, labelLimit: 700 } },
      },
    } as TopLevelSpec,
    caption: `Pearson correlation between log₂ of each bound and log₂ of the probe-set loss, over a sliding window of ${window} probes (a quarter of the run's probes, at least 5 and at most 50 — the precursor code's window; the CLT experiments report values close to 1). ` +
      'r near 1 means the bound moves with the loss; it does not by itself mean the bound is tight (see the first plot for that). ' +
      'The χ² upper bound divides by pmin, the smallest softmax probability, which shrinks as the network grows confident; it can then rise while the loss falls, giving r < 0 (the caveat of theory.md §3.4).',
  });

  out.push({
    id: 'accuracy', title: 'Accuracy',
    spec: {
      ...base, height: 220,
      data: { values: evals.flatMap((e) => [{ step: e.step, series: 'train accuracy', value: e.trainAcc }, ...(e.testAcc === null ? [] : [{ step: e.step, series: 'test accuracy', value: e.testAcc }])]) },
      mark: { type: 'line', point: true },
      encoding: { x: stepAxis, y: { field: 'value', type: 'quantitative', title: 'fraction correct', scale: { zero: false }, axis: { format: '.0%' } }, color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } } },
    } as TopLevelSpec,
    caption: 'Accuracy on the full training split and the held-out test split, evaluated once per epoch.',
  });
  return out;
}
