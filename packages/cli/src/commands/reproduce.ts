import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import {
  checkSpec, findRecipe, query, RECIPES, runSweep, STORE_FILE, storeUnavailableReason, type DirectRecipe, type GeneralizationData, type PoolProgress, type RecipeData, type RecipeSize, type SweepRecipe, type VerdictRow,
} from '@clt/experiments';
import { DEFAULT_BACKEND } from '../backends.js';
import { int, printJson, table } from '../options.js';
import { readRun } from '../report/series.js';
import { generalization } from './bounds.js';
import { trainOptionInfo } from './sweep.js';

/** The worker module the sweep pool forks (the same one `clt sweep` uses). */
const WORKER = fileURLToPath(new URL('../sweep-worker.js', import.meta.url));

export function reproduceCommand(): Command {
  return new Command('reproduce')
    .description('Check one claim of the papers: run (or reuse) its sweep, print the claim with its source and a verdict table (reproduced / contradicted / inconclusive), and write the sweep report (see docs/experiments.md)')
    .argument('[recipe]', 'recipe id (clt reproduce --list names them)')
    .option('--list', 'list the recipes with their claims and sources (with --json: as JSON)')
    .option('--quick', 'the small size (≤ 5 minutes on 2 cores) instead of the full one')
    .option('--jobs <n>', 'runs at once, each in its own process', int('--jobs'), 1)
    .option('--out <dir>', 'folder holding sweeps; the recipe\'s sweep is <out>/reproduce-<recipe>-<quick|full>', 'sweeps')
    .option('--json', 'print the verdicts as JSON on stdout (progress stays on stderr)')
    .action(async (id: string | undefined, opts: ReproduceOptions) => {
      if (opts.list) {
        if (opts.json) printJson(RECIPES.map((r) => ({ id: r.id, kind: r.kind, claim: r.claim, source: r.source })));
        else process.stdout.write(listRecipes());
        return;
      }
      if (!id) throw new Error(`name a recipe: clt reproduce <recipe> [--quick]; known: ${RECIPES.map((r) => r.id).join(', ')} (--list describes them)`);
      const recipe = findRecipe(id);
      if (recipe.kind === 'direct') await reproduceDirect(recipe, opts);
      else await reproduce(recipe, opts);
    });
}

interface ReproduceOptions { list?: boolean; quick?: boolean; jobs: number; out: string; json?: boolean }

export function listRecipes(): string {
  return `${RECIPES.map((r) => `${r.id}${r.kind === 'direct' ? ' (computed directly, no training sweep)' : ''}\n  claim:  ${r.claim}\n  source: ${r.source}\n`).join('\n')}\nrun one: clt reproduce <recipe> [--quick] [--jobs N] [--json]\n`;
}

/** What `--json` prints: one document per recipe run. */
export interface ReproduceJson {
  readonly recipe: string;
  readonly claim: string;
  readonly source: string;
  readonly size: RecipeSize;
  /** The verdict of every check, and a tally. */
  readonly verdicts: readonly VerdictRow[];
  readonly summary: { reproduced: number; contradicted: number; inconclusive: number };
  readonly sweep?: string;
  readonly report?: string | null;
  /** Direct recipes: the problems computed, and the numbers the verdict read. */
  readonly problems?: string;
  readonly result?: unknown;
  readonly seconds: number;
}

function tally(rows: readonly VerdictRow[]): ReproduceJson['summary'] {
  return { reproduced: rows.filter((r) => r.verdict === 'reproduced').length, contradicted: rows.filter((r) => r.verdict === 'contradicted').length, inconclusive: rows.filter((r) => r.verdict === 'inconclusive').length };
}

function header(recipe: { id: string; claim: string; source: string }, json?: boolean): void {
  if (!json) process.stdout.write(`${recipe.id}: ${recipe.claim}\n  source: ${recipe.source}\n`);
}

/** A recipe computed in this process with the library (convex programs, linear nets, splines). */
async function reproduceDirect(recipe: DirectRecipe, opts: ReproduceOptions): Promise<void> {
  const size: RecipeSize = opts.quick ? 'quick' : 'full', t0 = performance.now();
  header(recipe, opts.json);
  const problems = recipe.describe(size);
  process.stderr.write(`clt reproduce: ${recipe.id} (${size}): ${problems}\n`);
  const result = recipe.compute(size, (line) => process.stderr.write(`${line}\n`));
  const verdicts = recipe.verdict(result);
  const seconds = (performance.now() - t0) / 1000;
  if (opts.json) return printJson({ recipe: recipe.id, claim: recipe.claim, source: recipe.source, size, verdicts, summary: tally(verdicts), problems, result, seconds } satisfies ReproduceJson);
  process.stdout.write(`  computed: ${problems} (${seconds.toFixed(1)} s)\n\n${verdictTable(verdicts)}\n`);
}

async function reproduce(recipe: SweepRecipe, opts: ReproduceOptions): Promise<void> {
  const size: RecipeSize = opts.quick ? 'quick' : 'full', t0 = performance.now();
  const raw = recipe.spec(size);
  const spec = checkSpec({ ...raw }, trainOptionInfo(), (p) => `recipe ${recipe.id} (${size}) ${p.join('.')}`);
  const dir = resolve(opts.out, raw.name);
  // The verdicts are SQL on the sweep's store: say what to install before any run starts.
  const noStore = await storeUnavailableReason();
  if (noStore) throw new Error(`recipe ${recipe.id} reads its sweep's results store: ${noStore.message}`);
  header(recipe, opts.json);
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
  const verdicts = recipe.verdict(recipe.needs?.includes('generalization') ? { ...rows, generalization: await generalizationOf(result.dir, rows) } : rows);
  if (!opts.json) process.stdout.write(`\n${verdictTable(verdicts)}\n`);
  let report: string | null = null;
  try { report = await (await import('../sweep-report/write.js')).writeSweepReport(result.dir); } catch (e) {
    process.stderr.write(`clt reproduce: the report could not be written: ${(e as Error).message}\n  retry with: clt sweep report ${result.dir}\n`);
  }
  if (opts.json) printJson({ recipe: recipe.id, claim: recipe.claim, source: recipe.source, size, verdicts, summary: tally(verdicts), sweep: result.dir, report, seconds: (performance.now() - t0) / 1000 } satisfies ReproduceJson);
  else process.stdout.write(`\nsweep: ${result.dir}\n${report ? `report: ${report}\n` : ''}`);
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

/**
 * Per usable run, the generalization bounds `clt bounds --run` prints (δ = 0.05, on the run's own
 * test split, default backend); null for a run without a test evaluation or whose checkpoint
 * cannot be read (said on stderr).
 */
async function generalizationOf(dir: string, data: RecipeData): Promise<Record<string, GeneralizationData | null>> {
  const out: Record<string, GeneralizationData | null> = {};
  for (const run of data.runs) {
    if (run.status !== 'completed' && run.status !== 'stalled') continue;
    const id = String(run.run_id), runDir = join(dir, 'runs', id);
    try {
      out[id] = await generalization(runDir, readRun(runDir).evals.at(-1), 0.05, DEFAULT_BACKEND);
    } catch (e) {
      process.stderr.write(`clt reproduce: no generalization bounds for run ${id}: ${(e as Error).message}\n`);
      out[id] = null;
    }
  }
  return out;
}

export function verdictTable(rows: readonly VerdictRow[]): string {
  return table([['check', 'verdict', 'value', 'seeds', 'why'], ...rows.map((r) => [r.check, r.verdict.toUpperCase(), r.value, r.seeds, r.why])]);
}
