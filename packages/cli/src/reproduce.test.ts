import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSpec, RECIPES } from '@clt/experiments';
import { listRecipes, verdictTable } from './commands/reproduce.js';
import { trainOptionInfo } from './commands/sweep.js';

/** The built CLI: the sweep forks dist/sweep-worker.js, so the end-to-end test needs `npx tsc -p tsconfig.build.json` first. */
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const NOTE = existsSync(BIN) ? '' : ' (skipped: build the package first, dist/bin.js is missing)';

/** The CLI in a child process, asynchronously: a blocking spawnSync of a minute starves the vitest worker's RPC. */
function cltIn(cwd: string) {
  return (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> => new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, timeout: 120_000 });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => { stderr += b; });
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

describe('clt reproduce', () => {
  it('every recipe\'s quick and full sweep specs are valid `clt train` options', () => {
    const sweeps = RECIPES.filter((r) => r.kind === 'sweep');
    expect(sweeps.length).toBeGreaterThanOrEqual(8);
    for (const r of sweeps) for (const size of ['quick', 'full'] as const) {
      expect(() => checkSpec({ ...r.spec(size) }, trainOptionInfo()), `${r.id} ${size}`).not.toThrow();
    }
  });

  it('--list names every recipe with its claim and source', () => {
    const text = listRecipes();
    for (const r of RECIPES) {
      expect(text).toContain(`${r.id}${r.kind === 'direct' ? ' (computed directly, no training sweep)' : ''}\n  claim:  ${r.claim}\n  source: ${r.source}\n`);
    }
    expect(text).toMatch(/width-kappa[\s\S]*depth-skip[\s\S]*sparsity[\s\S]*label-noise-floor[\s\S]*batch-size[\s\S]*bound-loss-correlation[\s\S]*generalization-gap[\s\S]*precursor-depth-skip[\s\S]*convex-duality-gap[\s\S]*deep-linear-rank-one[\s\S]*spline-1d/);
  });

  it('prints the verdict in upper case beside its numbers', () => {
    const t = verdictTable([{ check: 'c', value: 'v 1 → 2', seeds: '0,1', verdict: 'contradicted', why: 'w' }]);
    expect(t.split('\n')[1]).toMatch(/^c\s+CONTRADICTED\s+v 1 → 2\s+0,1\s+w$/);
  });

  it.skipIf(!existsSync(BIN))(`end to end: --list, an unknown recipe, and width-kappa --quick (6 tiny runs, ~20 s on 2 cores)${NOTE}`, async () => {
    const work = mkdtempSync(join(tmpdir(), 'clt-reproduce-'));
    const clt = cltIn(work);
    const list = await clt(['reproduce', '--list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toBe(listRecipes());
    const listJson = await clt(['reproduce', '--list', '--json']);
    expect(listJson.status, listJson.stderr).toBe(0);
    expect(JSON.parse(listJson.stdout)).toEqual(RECIPES.map((x) => ({ id: x.id, kind: x.kind, claim: x.claim, source: x.source })));
    const bad = await clt(['reproduce', 'nope']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/clt: unknown recipe "nope"; known: width-kappa, depth-skip, sparsity, label-noise-floor, batch-size,/);
    const none = await clt(['reproduce']);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/name a recipe: clt reproduce <recipe>/);

    const r = await clt(['reproduce', 'width-kappa', '--quick', '--jobs', '2', '--out', 'sw']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^width-kappa: Over-parameterisation[^\n]*\n {2}source: Qi, Conjugate Learning Theory/);
    // The verdict itself depends on the measurement; the table must carry one of the three for each check.
    expect(r.stdout).toMatch(/median κ\(Aₓ\) at init falls with width\s+(REPRODUCED|CONTRADICTED|INCONCLUSIVE)\s+width 8 → 128: median κ/);
    expect(r.stdout).toMatch(/λ\*min at init grows with width\s+(REPRODUCED|CONTRADICTED|INCONCLUSIVE)/);
    const dir = join(work, 'sw', 'reproduce-width-kappa-quick');
    expect(r.stdout).toContain(`report: ${join(dir, 'report.html')}`);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    // Run again: every run is reused (the sweep skips final runs), same table.
    const again = await clt(['reproduce', 'width-kappa', '--quick', '--out', 'sw']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/6\/6 done/);
    expect(again.stdout).toBe(r.stdout);
    // --json: the same verdicts as data, nothing else on stdout.
    const j = await clt(['reproduce', 'width-kappa', '--quick', '--out', 'sw', '--json']);
    expect(j.status, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ recipe: 'width-kappa', size: 'quick', sweep: dir, report: join(dir, 'report.html') });
    expect(doc.verdicts.map((v: { check: string }) => v.check)).toEqual(['median κ(Aₓ) at init falls with width', 'λ*min at init grows with width']);
    expect(doc.summary.reproduced + doc.summary.contradicted + doc.summary.inconclusive).toBe(2);
    expect(verdictTable(doc.verdicts)).toBe(r.stdout.split('\n\n')[1]);
  }, 150_000);

  it.skipIf(!existsSync(BIN))(`end to end: the direct recipes spline-1d and deep-linear-rank-one --quick (a few seconds, no training sweep)${NOTE}`, async () => {
    const work = mkdtempSync(join(tmpdir(), 'clt-reproduce-'));
    const clt = cltIn(work);
    const s = await clt(['reproduce', 'spline-1d', '--quick']);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^spline-1d: On 1-D data/);
    // These are exact computations (a lasso to 1e-14, ridge-path optima): the verdicts are fixed, not measurements that could go either way.
    expect(s.stdout).toMatch(/bias unpenalised \(the theorem's setting\)[^\n]*REPRODUCED/);
    expect(s.stdout).toMatch(/contrast, bias penalised[^\n]*REPRODUCED/);
    const d = await clt(['reproduce', 'deep-linear-rank-one', '--quick', '--json']);
    expect(d.status, d.stderr).toBe(0);
    const doc = JSON.parse(d.stdout);
    expect(doc.recipe).toBe('deep-linear-rank-one');
    expect(doc.summary).toEqual({ reproduced: 3, contradicted: 0, inconclusive: 0 });
    expect(doc.result.runs).toHaveLength(8);
    for (const run of doc.result.runs) expect(run.maxRankRatio).toBeLessThan(1e-4);
  }, 60_000);
});
