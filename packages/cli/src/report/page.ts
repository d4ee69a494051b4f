import type { Figure } from './charts.js';
import type { CorrelationSeries, RunData } from './series.js';
import { generalizationRows } from './generalization.js';
import { embedScript, interactiveSpec, jsonBlock, libraryScripts } from './interactive.js';

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const num = (v: unknown, d = 4) => (typeof v === 'number' ? (Number.isFinite(v) ? (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(d - 1) : String(Number(v.toPrecision(d)))) : String(v)) : v === null || v === undefined ? '—' : esc(String(v)));
const r3 = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(3));
const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : '—');

/**
 * The report pages' style sheet (the run report and the sweep report). A live chart keeps a right
 * margin as wide as vega-embed's action menu (⋯), which sits in the container's top-right corner,
 * so the menu never covers the plot.
 */
export const PAGE_CSS = `
body{font-family:"DejaVu Sans",system-ui,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#111827;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2.2rem;border-bottom:1px solid #e5e7eb;padding-bottom:.2rem}
table{border-collapse:collapse;font-size:.92rem} td{padding:.25rem .8rem .25rem 0;vertical-align:top} td:first-child{color:#4b5563;white-space:nowrap}
.fig svg{max-width:100%;height:auto} .cap{color:#374151;font-size:.92rem;max-width:760px} .muted{color:#6b7280;font-size:.85rem}
.vis.vega-embed{display:block;padding-right:40px}
`;

/**
 * The run report's own layout: a wider page whose figures fill it, in a responsive grid (two
 * columns on a wide screen, one on a narrow one); charts stretch to their column.
 */
const RUN_CSS = `
body{max-width:1480px} .intro{max-width:980px}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,600px),1fr));gap:.5rem 2.5rem;align-items:start}
.figs section{min-width:0} .figs .vis{display:block;width:100%} .figs .vis > svg{width:100%;max-width:100%;height:auto}
.figs .vis.vega-embed{display:block;width:100%} .figs .cap{max-width:none}
.png{font-size:.8rem;margin-left:.6rem;font-weight:normal}
`;

/** How the report page is built: `png` links each chart to its PNG copy in `plots/`; `interactive` (default) adds the inline vega scripts. */
export interface ReportPageOptions {
  readonly png?: boolean;
  readonly interactive?: boolean;
}

/**
 * The self-contained report page: summary table, then each figure with its caption. With
 * `interactive` (the default), vega, vega-lite and vega-embed are inlined and each figure's spec is
 * embedded as JSON: the chart is drawn in the browser (tooltips; drag/wheel pan and zoom on charts
 * over steps). The static SVG stays inside each chart's container, shown where scripts do not run.
 */
export function reportHtml(run: RunData, figs: { figure: Figure; svg: string }[], corr: CorrelationSeries[], options: ReportPageOptions = {}): string {
  const interactive = options.interactive ?? true;
  const s = run.summary ?? {}, last = run.evals.at(-1), probes = run.probes;
  const held = probes.filter((p) => p.holds).length;
  const model = s.model ? `MLP ${(s.model.sizes ?? []).join('-')} (${s.model.activation}${s.model.skip ? ', skip' : ''}${s.model.layerNorm ? ', LayerNorm' : ''})` : '—';
  const rows: [string, string][] = [
    ['data', `${esc(String(s.data?.source ?? '—'))}${s.data?.note ? ` — ${esc(s.data.note)}` : ''}`],
    ['model', `${esc(model)}, ${typeof s.parameters === 'number' ? s.parameters.toLocaleString('en-US') : '—'} parameters`],
    ['backend', esc(String(s.backend ?? '—'))],
    ['training', `${num(s.steps)} steps, ${num(s.seconds, 3)} s (of which probes ${num(s.probeSeconds, 3)} s)`],
    ['test accuracy', pct(last?.testAcc)],
    ['final training loss', `${num(last?.trainLoss)} nats (data floor ${num(last?.dataFloor)}: ${last && last.trainLoss >= last.dataFloor ? 'above, as it must be' : 'BELOW — check the data grouping'})`],
    ['sandwich', `held at ${held} of ${probes.length} probes${held < probes.length ? ` — first violation at step ${probes.find((p) => !p.holds)?.step}` : ''}`],
    [`correlation with log₂ loss (global r; sliding-window min / median, window ${corr[0]?.window ?? '—'} probes)`, corr.map((c) => `${esc(c.label)}: <b>${r3(c.r)}</b> (${r3(c.slidingMin)} / ${r3(c.slidingMedian)})`).join('<br>')],
  ];
  const gen = generalizationSummary(run);
  if (gen) rows.push(['generalization (test split)', gen]);
  const M = probes.at(-1);
  if (M && M.neighbourhood !== null) rows.push(['SGD neighbourhood term', `ε² + 4L(n − m)M/m = ${num(M.neighbourhood)} (L = ${num(M.smoothness)} = top Hessian eigenvalue on the probe set, M = ${num(M.M)} = largest out-of-batch loss change per step seen after a probe, ε = 0; theory.md §3.5: a diagnostic — what the paraphrased theorem bounds is not known)`]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clt report — ${esc(String(s.run ?? run.dir))}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${PAGE_CSS}${RUN_CSS}</style></head><body>
<h1>clt training report: ${esc(String(s.run ?? run.dir))}</h1>
<div class="intro">
<p class="muted">Written by <code>clt report</code>. Quantities follow conjugate learning theory (theory.md); bounds marked INF there are checked reconstructions, not verbatim theorems.
Probes are measured on a fixed set of ${M?.probeSize ?? '—'} training rows.</p>
<table>${rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('\n')}</table>
<h2>How to read the bounds</h2>
<p class="cap">For each probe sample i, gᵢ is its parameter gradient, rᵢ = softmax − one-hot its residual and Aᵢ = JᵢJᵢᵀ its structure matrix. Because gᵢ = Jᵢᵀrᵢ,
λmin(Aᵢ)‖rᵢ‖² ≤ ‖gᵢ‖² ≤ λmax(Aᵢ)‖rᵢ‖². With ½‖rᵢ‖² ≤ ℓᵢ ≤ ‖rᵢ‖²/pmin,i for cross-entropy this turns gradient sizes into loss bounds:
small gradient energy plus a well-conditioned structure matrix forces a small loss, even though the loss is non-convex in the weights.
The loss can never fall below the data floor (the conditional entropy of the labels given the inputs).</p>
${interactive ? '<p class="muted">The charts are interactive: hover a point for its values; on charts over training steps drag to pan, scroll to zoom, double-click to reset. The menu (⋯) saves a chart as SVG or PNG.' + (options.png ? ' The PNG links give the fixed-size copies in <code>plots/</code>, for papers.' : '') + '</p>' : ''}
</div>
<div class="figs">
${figs.map(({ figure, svg }) => `<section><h2>${esc(figure.title)}${options.png ? `<a class="png" href="plots/${figure.id}.png">PNG</a>` : ''}</h2>
<div class="fig vis" id="${figure.id}"${interactive ? ` data-spec="spec-${figure.id}"` : ''}>${svg}</div>
<p class="cap">${esc(figure.caption)}</p>${interactive ? `\n<script type="application/json" id="spec-${figure.id}">${jsonBlock(interactiveSpec(figure))}</script>` : ''}</section>`).join('\n')}
</div>
${interactive ? `${libraryScripts()}\n${embedScript()}` : ''}
</body></html>
`;
}

/**
 * The 0-1-error generalization bounds on the test split beside the measured gap (train and test
 * accuracy of the last evaluation). The cross-entropy rows need a forward pass for ℓ_max: `clt bounds --run`.
 */
function generalizationSummary(run: RunData): string | undefined {
  const last = run.evals.at(-1), testRows = Number((run.start?.config as Record<string, unknown> | undefined)?.testRows ?? run.summary?.testRows);
  if (!last || last.testAcc === null || !(testRows > 0)) return undefined;
  const rows = generalizationRows({ trainLoss: last.trainLoss, trainAcc: last.trainAcc, testLoss: last.testLoss, testAcc: last.testAcc, nTest: testRows, classes: 2, delta: 0.05 }); // classes only matters for the cross-entropy rows, which need a logit bound the report does not have
  const gap = rows[0]!.measuredGap;
  return `measured 0-1 gap (test error − train error) ${num(gap)}; with probability ≥ 0.95 over the ${testRows} test rows the population error lies in ` +
    rows.map((r) => `${esc(r.bound)} [${num(r.risk.lower)}, ${num(r.risk.upper)}] (gap [${num(r.gap.lower)}, ${num(r.gap.upper)}])`).join('; ') +
    '. Textbook bounds (fixed predictor on held-out rows). The cross-entropy bounds (ℓ_max, conditional entropy; reconstructions, INF in theory.md) are printed by <code>clt bounds --run</code>.';
}
