import { join } from 'node:path';
import { writeFileAtomic } from '@clt/core';
import { sweepReportData } from '@clt/experiments';
import { toSvg } from '../report/render.js';
import { curvesFigure, factorFigure } from './charts.js';
import { sweepReportHtml } from './page.js';

/** The sweep report's file name, in the sweep folder. */
export const SWEEP_REPORT_FILE = 'report.html';

/**
 * Write `<sweep>/report.html` (self-contained: inline SVG, no scripts that run, no network) from
 * the sweep's results store. Returns the path of the page.
 */
export async function writeSweepReport(sweepDir: string): Promise<string> {
  const d = await sweepReportData(sweepDir);
  const figures = [...d.factors.map((f) => factorFigure(d, f)), ...(d.curves.length ? [curvesFigure(d)] : [])];
  const figs = [];
  for (const figure of figures) figs.push({ figure, svg: await toSvg(figure.spec) });
  const path = join(d.dir, SWEEP_REPORT_FILE);
  writeFileAtomic(path, sweepReportHtml(d, figs));
  return path;
}
