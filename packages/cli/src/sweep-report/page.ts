import type { Stat, SweepReportData } from '@clt/experiments';
import type { Figure } from '../report/charts.js';
import { embedScript, interactiveSpec, jsonBlock, libraryScripts } from '../report/interactive.js';
import { esc, num, PAGE_CSS } from '../report/page.js';
import { configLabel } from './charts.js';

/** The id of the page's embedded data block: the numbers behind the plots, as JSON (not a script that runs). */
export const DATA_ID = 'clt-sweep-data';

const statCell = (s: Stat | undefined) => (!s || s.mean === null ? '—' : `${num(s.mean)}${s.sd === null ? '' : ` ± ${num(s.sd)}`} <span class="muted">(${s.n}${s.nonFinite ? `, ${s.nonFinite} non-finite left out` : ''})</span>`);
const row = (cells: string[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
// JSON has no ±Infinity / NaN: written as strings, as metrics.jsonl does. `</` is escaped so the block cannot close early.
const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)).replace(/<\//g, '<\\/');

/** How the sweep page is built: `interactive` (default) inlines the vega scripts, as the run report does. */
export interface SweepPageOptions {
  readonly interactive?: boolean;
}

/**
 * The self-contained sweep report: overview, one figure per factor, loss curves, the aggregates
 * table, and the runs that did not complete. With `interactive` (the default) the charts are drawn
 * in the browser by the run report's machinery (vega, vega-lite and vega-embed inlined; tooltips;
 * zoom; the ⋯ menu saves a chart as SVG or PNG); each static SVG stays in its container, shown
 * where scripts do not run. One file, nothing fetched.
 */
export function sweepReportHtml(d: SweepReportData, figs: { figure: Figure; svg: string }[], options: SweepPageOptions = {}): string {
  const interactive = options.interactive ?? true;
  const byStatus = new Map<string, number>();
  for (const r of d.runs) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const problems = d.runs.filter((r) => r.status !== 'completed');
  const overview: [string, string][] = [
    ['folder', `<code>${esc(d.dir)}</code>`],
    ['runs', [...byStatus].map(([s, n]) => `${n} ${esc(s)}`).join(', ')],
    ['factors', d.factors.length ? d.factors.map((f) => `<b>${esc(f.key)}</b>: ${f.values.map((v) => esc(String(v))).join(', ')}`).join('<br>') : 'none (every run has the same config but its seed)'],
    ...(d.derived.length ? [['follows a factor', d.derived.map((x) => `${esc(x.key)} (set by ${esc(x.from)})`).join(', ')] as [string, string]] : []),
    ['the same in every run', Object.entries(d.constants).map(([k, v]) => `${esc(k)}=${esc(String(v))}`).join(' · ')],
    ['correlation window', d.correlationWindows.length ? `${d.correlationWindows.join(', ')} probes (sliding r; the plots use the global r)` : '—'],
  ];
  const figure = ({ figure: f, svg }: { figure: Figure; svg: string }) => `<section><h2>${esc(f.title)}</h2>
<div class="fig vis" id="${f.id}"${interactive ? ` data-spec="spec-${f.id}"` : ''}>${svg}</div>
<p class="cap">${esc(f.caption)}</p>${interactive ? `\n<script type="application/json" id="spec-${f.id}">${jsonBlock(interactiveSpec(f))}</script>` : ''}</section>`;
  const aggregates = `<div class="wide"><table class="grid">${row([...d.factors.map((f) => esc(f.key)), 'seeds', ...d.metrics.map((m) => esc(m.label))], 'th')}
${d.cells.map((c) => row([...d.factors.map((f) => esc(String(c.factors[f.key]))), esc(c.seeds.join(', ')), ...d.metrics.map((m) => statCell(c.stats[m.key]))])).join('\n')}</table></div>`;
  const problemTable = problems.length
    ? `<div class="wide"><table class="grid" id="problems">${row(['run', 'status', 'config', 'seed', 'reason'], 'th')}
${problems.map((r) => row([`<code>${esc(r.id)}</code>`, `<b>${esc(r.status)}</b>`, esc(configLabel(r.config, d.factors)), esc(String(r.config.seed ?? '—')), esc(r.reason ?? '')])).join('\n')}</table></div>`
    : '<p id="problems">Every run completed.</p>';
  const data = { name: d.name, source: d.source, factors: d.factors, derived: d.derived, metrics: d.metrics, cells: d.cells, runs: d.runs.map(({ id, status, reason, config, metrics }) => ({ id, status, reason, config, metrics })) };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clt sweep report — ${esc(d.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${PAGE_CSS}
.wide{overflow-x:auto} table.grid th{font-weight:600;text-align:left;padding:.25rem .8rem .25rem 0;border-bottom:1px solid #e5e7eb;vertical-align:bottom} table.grid td{white-space:nowrap} table.grid td:last-child{white-space:normal}
</style></head><body>
<h1>clt sweep report: ${esc(d.name)}</h1>
<p class="muted">Written by <code>clt sweep report</code> from ${d.source === 'store' ? 'the sweep\'s results store (results.duckdb)' : 'the run folders (runs/&lt;id&gt;/summary.json and metrics.jsonl; the results store needs @duckdb/node-api, which is not installed or not written yet)'} and sweep.json. Quantities follow conjugate learning theory (theory.md); bounds marked INF there are checked reconstructions.</p>
<table>${overview.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('\n')}</table>
<h2>How to read it</h2>
<p class="cap">Every number is aggregated over seeds per configuration (one value of each factor): mean ± sample standard deviation (n − 1), n the runs with a finite value.
Completed and stalled runs count (a stalled run is what its configuration did); failed and diverged runs have no final metrics and are listed at the end.
λ*min (the smallest eigenvalue of any probe sample's structure matrix Aᵢ = JᵢJᵢᵀ), κ (the median over probe samples of λmax(Aᵢ)/λmin(Aᵢ)) and the gradient energy E are
the values at each run's <b>last probe</b> (the end of training), not the minimum over the run. Final loss and test accuracy are the run's last evaluation (summary.json).
Each r is the global Pearson correlation, along the run, of log₂ of a bound (or baseline) with log₂ of the probe-set loss.</p>
${interactive ? '<p class="muted">The charts are interactive: hover a point for its values; drag or scroll on a chart to pan and zoom its y axis (the loss curves: both axes), double-click to reset. The menu (⋯) saves a chart as SVG or PNG.</p>\n' : ''}${figs.map(figure).join('\n')}
<h2>Per-configuration aggregates</h2>
${aggregates}
<h2>Runs that did not complete</h2>
<p class="cap">Failed runs (an error or a dead process; a re-run of the sweep retries them), diverged runs (non-finite loss or parameters), stalled runs (the loss stopped falling; see <code>--stall-probes</code>, <code>--stall-fraction</code>) and runs not ended yet.</p>
${problemTable}
<script type="application/json" id="${DATA_ID}">${json(data)}</script>
${interactive ? `${libraryScripts()}\n${embedScript()}\n` : ''}</body></html>
`;
}
