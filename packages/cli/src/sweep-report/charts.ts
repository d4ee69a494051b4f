import type { ReportFactor, ReportMetric, SweepReportData } from '@clt/experiments';
import type { TopLevelSpec } from 'vega-lite';
import { base, type Figure } from '../report/charts.js';

// The run report's look (fonts, sizes, background), without its single-chart width and height.
const { width: _w, height: _h, ...style } = base;

const valueLabel = (v: unknown) => (v === null || v === undefined ? '—' : String(v));

/** "skip=true · lr=0.1": a configuration's values of the given factors. */
export function configLabel(config: Readonly<Record<string, unknown>>, factors: readonly ReportFactor[]): string {
  return factors.length ? factors.map((f) => `${f.key}=${valueLabel(config[f.key])}`).join(' · ') : 'all runs';
}

/**
 * One figure per swept factor: a small chart per metric (λ*min, κ, E, final loss, test accuracy and
 * each correlation) with the factor on x, the mean over seeds as a point and ± one sample sd as a
 * bar, and the other factors' values as colour (one line per combination of them).
 */
export function factorFigure(d: SweepReportData, factor: ReportFactor): Figure {
  const others = d.factors.filter((f) => f !== factor);
  const rows = d.cells.flatMap((cell) => d.metrics.flatMap((m) => {
    const s = cell.stats[m.key];
    if (!s || s.mean === null) return [];
    const sd = s.sd ?? 0;
    return [{ x: valueLabel(cell.factors[factor.key]), group: configLabel(cell.factors, others), metric: m.key, mean: s.mean, sd: s.sd, lo: s.mean - sd, hi: s.mean + sd, n: s.n }];
  }));
  const groups = [...new Set(rows.map((r) => r.group))];
  const metrics = d.metrics.filter((m) => rows.some((r) => r.metric === m.key));
  const color = { field: 'group', type: 'nominal', title: others.length ? others.map((f) => f.key).join(' · ') : null, sort: groups,
    legend: groups.length > 1 ? { orient: 'bottom', columns: 2, labelLimit: 600 } : null } as const;
  const chart = (m: ReportMetric) => {
    const mine = rows.filter((r) => r.metric === m.key);
    // A log axis for quantities spanning orders of magnitude; a bar that would reach ≤ 0 there starts at the mean.
    const log = m.log && mine.every((r) => r.mean > 0);
    const y = { type: 'quantitative', title: null, scale: log ? { type: 'log' } : m.group === 'correlation' ? { domain: [-1, 1] } : { zero: false },
      ...(m.key === 'test_accuracy' ? { axis: { format: '.0%' } } : {}) } as const;
    return {
      width: 230, height: 150, title: { text: m.label, fontSize: 11, limit: 300 },
      transform: [{ filter: { field: 'metric', equal: m.key } }, ...(log ? [{ calculate: 'datum.lo > 0 ? datum.lo : datum.mean', as: 'lo' }] : [])],
      // Every value of the factor on the axis, also those with no completed run (their gap is the finding).
      encoding: { x: { field: 'x', type: 'ordinal', scale: { domain: factor.values.map(valueLabel) }, title: factor.key, axis: { labelAngle: 0, labelLimit: 110 } }, color, xOffset: { field: 'group', sort: groups } },
      layer: [
        { mark: { type: 'rule', strokeWidth: 1.6 }, encoding: { y: { field: 'lo', ...y }, y2: { field: 'hi' } } },
        { mark: { type: 'point', filled: true, size: 45 }, encoding: { y: { field: 'mean', ...y }, tooltip: [
          ...(others.length ? [{ field: 'group', type: 'nominal', title: others.map((f) => f.key).join(' · ') }] : []),
          { field: 'x', type: 'nominal', title: factor.key },
          { field: 'mean', type: 'quantitative', title: `${m.label}: mean over seeds`, format: '.4~g' },
          { field: 'sd', type: 'quantitative', title: 'sample sd', format: '.3~g' },
          { field: 'n', type: 'quantitative', title: 'runs (n)' },
        ] } },
      ],
    };
  };
  return {
    id: `factor-${factor.key}`, title: `Against ${factor.key}`,
    spec: { ...style, data: { values: rows }, columns: 3, concat: metrics.map(chart), resolve: { scale: { y: 'independent' } } } as unknown as TopLevelSpec,
    caption: `Each point is the mean over seeds of one configuration (completed and stalled runs), the bar ± one sample standard deviation (n − 1; no bar with one seed). ` +
      `x is ${factor.key}${others.length ? `; colour is the other factor${others.length > 1 ? 's' : ''} (${others.map((f) => f.key).join(', ')})` : ''}. ` +
      'λ*min, κ and E are the values at each run\'s last probe; r is summary.json\'s global Pearson r of log₂ bound against log₂ probe-set loss. ' +
      'On a log axis a bar whose lower end would be ≤ 0 starts at the mean.',
  };
}

/** The probe-set loss of every run along training, overlaid, coloured by configuration. */
export function curvesFigure(d: SweepReportData): Figure {
  const runs = new Map(d.runs.map((r) => [r.id, r]));
  // A log axis unless a loss is 0 (float32 underflow on separable data), which a log axis cannot show.
  const log = d.curves.every((c) => c.loss > 0);
  const values = d.curves.map((c) => {
    const r = runs.get(c.run);
    return { ...c, config: r ? configLabel(r.config, d.factors) : c.run, status: r?.status ?? '' };
  });
  return {
    id: 'loss-curves', title: 'Loss curves of every run',
    spec: {
      ...base, data: { values },
      mark: { type: 'line', strokeWidth: 1.4, opacity: 0.75, clip: true },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'training step (SGD updates)' },
        y: { field: 'loss', type: 'quantitative', scale: log ? { type: 'log' } : {}, title: `probe-set loss R̂ (nats${log ? ', log scale' : ''})` },
        color: { field: 'config', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 2, labelLimit: 600 } },
        strokeDash: { field: 'status', type: 'nominal', title: 'status', scale: { domain: ['completed', 'stalled', 'diverged', 'failed'], range: [[1, 0], [6, 3], [2, 2], [1, 3]] }, legend: { orient: 'bottom' } },
        detail: { field: 'run' },
      },
    } as TopLevelSpec,
    caption: 'The loss on each run\'s fixed probe set at every probe (the probes table\'s risk), one line per run; seeds of one configuration share a colour. Stalled runs are dashed.',
  };
}
