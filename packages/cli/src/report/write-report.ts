import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@clt/core';
import { figures } from './charts.js';
import { reportHtml } from './page.js';
import { toPng, toSvg } from './render.js';
import { correlations, readRun } from './series.js';

/**
 * Write `report.html` (self-contained: inline SVG, no scripts, no network) and `plots/<id>.png`
 * for a run directory. Returns the path of the page.
 */
export async function writeReport(runDir: string, options: { png?: boolean } = {}): Promise<string> {
  const run = readRun(runDir);
  const corr = correlations(run.probes);
  const figs = [];
  for (const figure of figures(run, corr)) figs.push({ figure, svg: await toSvg(figure.spec) });
  if (options.png ?? true) {
    mkdirSync(join(runDir, 'plots'), { recursive: true });
    for (const f of figs) writeFileSync(join(runDir, 'plots', `${f.figure.id}.png`), toPng(f.svg));
  }
  const path = join(runDir, 'report.html');
  writeFileAtomic(path, reportHtml(run, figs, corr));
  return path;
}
