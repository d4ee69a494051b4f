import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@clt/core';
import { figures } from './charts.js';
import { reportHtml } from './page.js';
import { toPng, toSvg } from './render.js';
import { correlations, readRun } from './series.js';

/**
 * Write `report.html` and `plots/<id>.png` for a run directory. Returns the path of the page.
 * The page is one self-contained file that opens offline: vega, vega-lite and vega-embed are
 * inlined as scripts and draw interactive charts from each figure's embedded spec; each chart's
 * static SVG is kept in the page (shown where scripts do not run). `interactive: false` writes the
 * static page only (inline SVG, no scripts).
 */
export async function writeReport(runDir: string, options: { png?: boolean; interactive?: boolean } = {}): Promise<string> {
  const run = readRun(runDir);
  const corr = correlations(run.probes);
  const figs = [];
  for (const figure of figures(run, corr)) figs.push({ figure, svg: await toSvg(figure.spec) });
  const png = options.png ?? true;
  if (png) {
    mkdirSync(join(runDir, 'plots'), { recursive: true });
    for (const f of figs) writeFileSync(join(runDir, 'plots', `${f.figure.id}.png`), toPng(f.svg));
  }
  const path = join(runDir, 'report.html');
  writeFileAtomic(path, reportHtml(run, figs, corr, { png, interactive: options.interactive ?? true }));
  return path;
}
