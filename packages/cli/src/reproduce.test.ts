import { spawnSync } from 'node:child_process';
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

describe('clt reproduce', () => {
  it('every recipe\'s quick and full sweep specs are valid `clt train` options', () => {
    for (const r of RECIPES) for (const size of ['quick', 'full'] as const) {
      expect(() => checkSpec({ ...r.spec(size) }, trainOptionInfo()), `${r.id} ${size}`).not.toThrow();
    }
  });

  it('--list names every recipe with its claim and source', () => {
    const text = listRecipes();
    for (const r of RECIPES) {
      expect(text).toContain(`${r.id}\n  claim:  ${r.claim}\n  source: ${r.source}\n`);
    }
    expect(text).toMatch(/width-kappa[\s\S]*depth-skip[\s\S]*label-noise-floor/);
  });

  it('prints the verdict in upper case beside its numbers', () => {
    const t = verdictTable([{ check: 'c', value: 'v 1 → 2', seeds: '0,1', verdict: 'contradicted', why: 'w' }]);
    expect(t.split('\n')[1]).toMatch(/^c\s+CONTRADICTED\s+v 1 → 2\s+0,1\s+w$/);
  });

  it.skipIf(!existsSync(BIN))(`end to end: --list, an unknown recipe, and width-kappa --quick (6 tiny runs, ~20 s on 2 cores)${NOTE}`, () => {
    const work = mkdtempSync(join(tmpdir(), 'clt-reproduce-'));
    const clt = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
    const list = clt(['reproduce', '--list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toBe(listRecipes());
    const bad = clt(['reproduce', 'nope']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/clt: unknown recipe "nope"; known: width-kappa, depth-skip, label-noise-floor/);
    const none = clt(['reproduce']);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/name a recipe: clt reproduce <recipe>/);

    const r = clt(['reproduce', 'width-kappa', '--quick', '--jobs', '2', '--out', 'sw']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^width-kappa: Over-parameterisation[^\n]*\n {2}source: Qi, Conjugate Learning Theory/);
    // The verdict itself depends on the measurement; the table must carry one of the three for each check.
    expect(r.stdout).toMatch(/median κ\(Aₓ\) at init falls with width\s+(REPRODUCED|CONTRADICTED|INCONCLUSIVE)\s+width 8 → 128: median κ/);
    expect(r.stdout).toMatch(/λ\*min at init grows with width\s+(REPRODUCED|CONTRADICTED|INCONCLUSIVE)/);
    const dir = join(work, 'sw', 'reproduce-width-kappa-quick');
    expect(r.stdout).toContain(`report: ${join(dir, 'report.html')}`);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    // Run again: every run is reused (the sweep skips final runs), same table.
    const again = clt(['reproduce', 'width-kappa', '--quick', '--out', 'sw']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/6\/6 done/);
    expect(again.stdout).toBe(r.stdout);
  }, 150_000);
});
