import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { checkSpec, findRecipe, query, RECIPES, runSweep, STORE_FILE, type PoolProgress, type Recipe, type RecipeData, type VerdictRow } from '@clt/experiments';
import { int, table } from '../options.js';
import { trainOptionInfo } from './sweep.js';

/** The worker module the sweep pool forks (the same one `clt sweep` uses). */
const WORKER = fileURLToPath(new URL('../sweep-worker.js', import.meta.url));

export function reproduceCommand(): Command {
  return new Command('reproduce')
    .description('Check one claim of the papers: run (or reuse) its sweep, print the claim with its source and a verdict table (reproduced / contradicted / inconclusive), and write the sweep report (see docs/experiments.md)')
    .argument('[recipe]', 'recipe id (clt reproduce --list names them)')
    .option('--list', 'list the recipes with their claims and sources')
    .option('--quick', 'the small size (≤ 5 minutes on 2 cores) instead of the full one')
    .option('--jobs <n>', 'runs at once, each in its own process', int('--jobs'), 1)
    .option('--out <dir>', 'folder holding sweeps; the recipe\'s sweep is <out>/reproduce-<recipe>-<quick|full>', 'sweeps')
    .action(async (id: string | undefined, opts: { list?: boolean; quick?: boolean; jobs: number; out: string }) => {
      if (opts.list) { process.stdout.write(listRecipes()); return; }
      if (!id) throw new Error(`name a recipe: clt reproduce <recipe> [--quick]; known: ${RECIPES.map((r) => r.id).join(', ')} (--list describes them)`);
      await reproduce(findRecipe(id), opts);
    });
}

export function listRecipes(): string {
  return `${RECIPES.map((r) => `${r.id}\n  claim:  ${r.claim}\n  source: ${r.source}\n`).join('\n')}\nrun one: clt reproduce <recipe> [--quick] [--jobs N]\n`;
}

async function reproduce(recipe: Recipe, opts: { quick?: boolean; jobs: number; out: string }): Promise<void> {
  const size = opts.quick ? 'quick' : 'full';
  const raw = recipe.spec(size);
  const spec = checkSpec({ ...raw }, trainOptionInfo(), (p) => `recipe ${recipe.id} (${size}) ${p.join('.')}`);
  const dir = resolve(opts.out, raw.name);
  process.stdout.write(`${recipe.id}: ${recipe.claim}\n  source: ${recipe.source}\n`);
  process.stderr.write(`clt reproduce: sweep ${dir} (${size}, jobs ${opts.jobs}; finished runs are reused)\n`);
  const ac = new AbortController();
  const stop = () => { process.stderr.write('\nclt reproduce: stopping — run the same command again to continue\n'); ac.abort(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let last = '';
  const onProgress = (p: PoolProgress) => {
    const line = `  ${p.done}/${p.total} done · ${p.running} running · ${p.failed} failed · ${p.queued} queued${p.etaSeconds === null ? '' : ` · ETA ${Math.round(p.etaSeconds)} s`}`;
    if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
  };
  let result;
  try {
    result = await runSweep({ spec, options: trainOptionInfo(), dir, worker: WORKER, jobs: opts.jobs, signal: ac.signal, onProgress });
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  if (result.interrupted) { process.exitCode = 130; return; }
  if (!existsSync(join(result.dir, STORE_FILE))) throw new Error(`no run of recipe ${recipe.id} reached the results store in ${result.dir}; see the run folders under ${join(result.dir, 'runs')}`);
  const rows = await verdictData(result.dir, result.runs.map((r) => r.id));
  const verdicts = recipe.verdict(rows);
  process.stdout.write(`\n${verdictTable(verdicts)}\n`);
  let report: string | null = null;
  try { report = await (await import('../sweep-report/write.js')).writeSweepReport(result.dir); } catch (e) {
    process.stderr.write(`clt reproduce: the report could not be written: ${(e as Error).message}\n  retry with: clt sweep report ${result.dir}\n`);
  }
  process.stdout.write(`\nsweep: ${result.dir}\n${report ? `report: ${report}\n` : ''}`);
  const failed = result.outcomes.filter((o) => o.status === 'failed').length;
  if (failed) {
    process.stderr.write(`${failed} run${failed === 1 ? '' : 's'} failed (left out of the verdict); see: clt sweep query ${result.dir} "SELECT run_id, error FROM runs WHERE status = 'failed'"; a re-run retries them\n`);
    process.exitCode = 1;
  }
}

/** This sweep's rows only (the store could hold runs of an older version of the recipe). */
async function verdictData(dir: string, ids: readonly string[]): Promise<RecipeData> {
  const list = ids.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ');
  const runs = (await query(dir, `SELECT * FROM runs WHERE run_id IN (${list})`)).rows;
  const probes = (await query(dir, `SELECT * FROM probes WHERE run_id IN (${list}) ORDER BY run_id, step`)).rows;
  return { runs, probes };
}

export function verdictTable(rows: readonly VerdictRow[]): string {
  return table([['check', 'verdict', 'value', 'seeds', 'why'], ...rows.map((r) => [r.check, r.verdict.toUpperCase(), r.value, r.seeds, r.why])]);
}
