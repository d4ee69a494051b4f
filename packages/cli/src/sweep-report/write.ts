import { join } from 'node:path';
import { writeFileAtomic } from '@clt/core';
import { sweepReportData, type SweepReportOptions } from '@clt/experiments';
import { toSvg } from '../report/render.js';
import { curvesFigure, factorFigure } from './charts.js';
import { sweepReportHtml } from './page.js';

/** The sweep report's file name, in the sweep folder. */
export const SWEEP_REPORT_FILE = 'report.html';

/**
 * Write `<sweep>/report.html` from the sweep's results store, or from its run folders where there
 * is no store or no DuckDB (`source`, `errors`: see SweepReportOptions). Returns the path of the
 * page. The page is one self-contained file that opens offline: vega, vega-lite and vega-embed
 * inlined draw the interactive charts, each chart's static SVG kept beside them; `interactive:
 * false` writes the static page (inline SVG, no scripts).
 */
export async function writeSweepReport(sweepDir: string, options: SweepReportOptions & { interactive?: boolean } = {}): Promise<string> {
  const { interactive, ...source } = options;
  const d = await sweepReportData(sweepDir, source);
  const figures = [...d.factors.map((f) => factorFigure(d, f)), ...(d.curves.length ? [curvesFigure(d)] : [])];
  const figs = [];
  for (const figure of figures) figs.push({ figure, svg: await toSvg(figure.spec) });
  const path = join(d.dir, SWEEP_REPORT_FILE);
  writeFileAtomic(path, sweepReportHtml(d, figs, interactive === undefined ? {} : { interactive }));
  return path;
}
