import { Command } from 'commander';
import { printJson } from '../options.js';
import { correlations, readRun } from '../report/series.js';

export function reportCommand(): Command {
  return new Command('report')
    .description('Write <run-dir>/report.html, one self-contained page that opens offline: interactive charts (tooltips, zoom, SVG/PNG export; static SVG where scripts do not run) of loss against bounds, eigenvalues, gradient energy, correlation and accuracy, and plots/*.png for papers')
    .argument('<run-dir>', 'a directory written by `clt train`, e.g. runs/mnist')
    .option('--no-png', 'skip the PNG copies of the plots (plots/*.png)')
    .option('--backend <name>', 'accepted for symmetry with other commands; a report needs no backend')
    .option('--json', 'print the report path and correlation summary as JSON')
    .action(async (dir: string, opts) => {
      if (dir.trim() === '') throw new Error('report: name a run folder written by `clt train`, e.g. runs/mnist (the argument is empty)');
      const { writeReport } = await import('../report/write-report.js'); // heavy (vega, resvg): loaded only when used
      const path = await writeReport(dir, { png: opts.png });
      const corr = correlations(readRun(dir).probes).map((c) => ({ key: c.key, bound: c.label, kind: c.kind, r: c.r ?? null, window: c.window, slidingMin: c.slidingMin ?? null, slidingMedian: c.slidingMedian ?? null }));
      if (opts.json) printJson({ report: path, correlations: corr });
      else process.stdout.write(`report: ${path}\n`);
    });
}
